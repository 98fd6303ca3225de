"""The video side of the core: one pipeline per camera, their alerts, and operators' commands.

Cameras come from the site layers (and the settings); zones from the map. Everything that
changes what runs (a new site picture, a zone drawn, a model chosen, faces shown) is handled
on this service's own control thread, because building a detector can take a second (loading
YOLO weights) and the caller is often the GUI or another service's thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

from app.hub import Hub, Subscription
from app.ingest import Ingest
from app.map.zones import SiteSnapshot, ZoneRemoved
from app.messages import HealthState, SourceHealth
from app.model import AlertAction, Camera, Zone, new_identifier, utc_now
from app.plugins import PluginRegistry
from app.terminology import Terminology
from app.video.alerting import CameraFacts
from app.video.choices import ModelChoices
from app.video.config import VideoConfig
from app.video.display import DisplaySlot
from app.video.messages import (
    CameraInfo,
    CameraStatus,
    MarkDetection,
    ModelVersion,
    SelectModel,
    SetFaceBlur,
    VideoCameras,
)
from app.video.models import ModelRegistry, RegistryError
from app.video.pipeline import CameraPipeline, PipelineOptions
from app.video.privacy import LivePrivacy, SnapshotPrivacy
from app.video.recorder import Findings, Recorder
from app.video.snapshots import SnapshotStore
from app.video.stages import CameraSpec, StageError, camera_stages
from detectors.video.frames import Frame

log = logging.getLogger(__name__)

VideoCommand = MarkDetection | SelectModel | SetFaceBlur
MARK_ACTIONS = {True: "mark-true", False: "mark-false"}


class VideoWatch:
    def __init__(
        self,
        ingest: Ingest,
        hub: Hub,
        terms: Terminology,
        config: VideoConfig,
        plugins: PluginRegistry,
        models: ModelRegistry,
        snapshots: SnapshotStore | None = None,
    ) -> None:
        self.ingest = ingest
        self.hub = hub
        self.terms = terms
        self.config = config
        self.plugins = plugins
        self.models = models
        self.snapshots = snapshots or SnapshotStore()
        self.choices = ModelChoices(models.root / "camera-models.json")
        blur = SnapshotPrivacy() if config.blur_faces else None
        self.recorder = Recorder(
            ingest, hub, terms, self.snapshots, blur, timedelta(seconds=config.repeat_after_s)
        )
        self.cameras: dict[str, CameraSpec] = {}
        self.pipelines: dict[str, CameraPipeline] = {}
        self.slots: dict[str, DisplaySlot] = {}
        self.zones: dict[str, Zone] = {}
        self.lifted: set[str] = set()
        self._live: dict[str, LivePrivacy] = {}
        self._jobs: queue.Queue[object] = queue.Queue()
        self._subscriptions: list[Subscription] = []
        self._thread = threading.Thread(target=self._run, name="video-watch", daemon=True)

    # -- the VideoAccess protocol (what the panel uses) --------------------------------------
    def display(self, camera_id: str) -> DisplaySlot | None:
        return self.slots.get(camera_id)

    def snapshot_path(self, uri: str) -> Path | None:
        return self.snapshots.path(uri)

    # -- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        if not self.config.enabled:
            return
        self._subscriptions = [
            self.hub.subscribe(SiteSnapshot, self._on_site),
            self.hub.subscribe(Zone, self._on_zones),
            self.hub.subscribe(ZoneRemoved, self._on_zones_removed),
        ]
        self.recorder.start()
        self._thread.start()

    def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions = []
        self._jobs.put(None)
        if self._thread.ident is not None:
            self._thread.join(15)
        for pipeline in self.pipelines.values():
            pipeline.stop()
        self.pipelines.clear()
        for privacy in self._live.values():
            privacy.close()
        self._live.clear()
        self.recorder.stop()

    def submit(self, command: VideoCommand) -> None:
        self._jobs.put(command)

    # -- hub callbacks (any thread): queue and return ---------------------------------------
    def _on_site(self, snapshots: Sequence[SiteSnapshot]) -> None:
        self._jobs.put(snapshots[-1])

    def _on_zones(self, zones: Sequence[Zone]) -> None:
        self._jobs.put(tuple(zones))

    def _on_zones_removed(self, removed: Sequence[ZoneRemoved]) -> None:
        self._jobs.put(tuple(removed))

    # -- the control thread -----------------------------------------------------------------
    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                self._apply(job)
            except Exception:
                log.exception("Video: cannot apply %r", type(job).__name__)

    def _apply(self, job: object) -> None:
        if isinstance(job, SiteSnapshot):
            self.zones = {zone.identifier: zone for zone in job.zones}
            self._start_cameras(job.cameras)
        elif isinstance(job, tuple):
            self._zones_changed(job)
        elif isinstance(job, MarkDetection):
            self._mark(job)
        elif isinstance(job, SelectModel):
            self._select_model(job)
        elif isinstance(job, SetFaceBlur):
            self._set_blur(job)

    def _zones_changed(self, changes: tuple[object, ...]) -> None:
        for change in changes:
            if isinstance(change, Zone):
                self.zones[change.identifier] = change
            elif isinstance(change, ZoneRemoved):
                self.zones.pop(change.identifier, None)
        for camera_id in self.pipelines:
            self._restage(camera_id)

    def _start_cameras(self, site_cameras: Sequence[Camera]) -> None:
        for spec in self._camera_specs(site_cameras):
            if spec.camera_id in self.pipelines or not spec.uri:
                continue
            self.cameras[spec.camera_id] = spec
            slot = self.slots.setdefault(spec.camera_id, DisplaySlot(spec.camera_id))
            pipeline = CameraPipeline(
                spec.camera_id,
                spec.name,
                spec.uri,
                slot,
                on_findings=self._findings_handler(spec),
                on_status=self._on_status,
                privacy=self._privacy(spec.camera_id),
                terms=self.terms,
                options=PipelineOptions(
                    max_analysis_fps=self.config.camera(spec.camera_id).analysis_fps
                ),
            )
            self.pipelines[spec.camera_id] = pipeline
            self._restage(spec.camera_id)
            pipeline.start()
        self._publish_cameras()

    def _camera_specs(self, site_cameras: Sequence[Camera]) -> list[CameraSpec]:
        specs = {}
        for camera in site_cameras:
            override = self.config.cameras.get(camera.identifier)
            if override is not None and not override.enabled:
                continue
            uri = (override.uri if override else "") or camera.uri
            specs[camera.identifier] = CameraSpec(camera.identifier, camera.name, uri, camera.point)
        for camera_id, extra in self.config.cameras.items():
            if camera_id not in specs and extra.enabled and extra.uri:
                specs[camera_id] = CameraSpec(camera_id, extra.name or camera_id, extra.uri)
        return list(specs.values())

    def _findings_handler(self, spec: CameraSpec):  # -> Callable[[Frame | None, list], None]
        facts = CameraFacts(spec.camera_id, spec.name, spec.point)

        def handle(frame: Frame | None, detections: list) -> None:
            self.recorder.offer(Findings(facts, frame, tuple(detections), spec.exercise))

        return handle

    def _on_status(self, status: CameraStatus) -> None:
        self.hub.publish(
            status,
            SourceHealth(
                f"camera:{status.camera_id}",
                status.name,
                status.state,
                status.problem,
                records_in=status.frames_read,
            ),
        )

    def _restage(self, camera_id: str) -> None:
        spec, pipeline = self.cameras[camera_id], self.pipelines[camera_id]
        config = self.config.camera(camera_id)
        try:
            stages, outlines = camera_stages(
                spec,
                config,
                self.plugins,
                list(self.zones.values()),
                self._weights(camera_id),
                _demo_ground(spec),
            )
        except StageError as exc:
            log.error("Camera %s runs no detector: %s", camera_id, exc)
            self.hub.publish(
                SourceHealth(f"camera:{camera_id}", spec.name, HealthState.DEGRADED, str(exc))
            )
            pipeline.set_stages(None)
            return
        pipeline.set_stages(stages)
        pipeline.set_zones(outlines)
        pipeline.set_lines(tuple((line.a, line.b) for line in config.lines))

    def _weights(self, camera_id: str) -> Path | None:
        chose, version = self.choices.chosen(camera_id)
        wanted = version if chose else (self.config.camera(camera_id).model or None)
        if not wanted:
            return None
        try:
            return self.models.path(wanted)
        except KeyError:
            pass
        except RegistryError as exc:
            raise StageError(str(exc)) from exc
        path = Path(wanted).expanduser()
        if path.suffix in (".pt", ".onnx"):
            return path
        raise StageError(f"model {wanted!r} is neither a registered version nor a weights file")

    def _blurred(self, camera_id: str) -> bool:
        return self.config.blur_faces and camera_id not in self.lifted

    def _privacy(self, camera_id: str) -> LivePrivacy | None:
        old = self._live.pop(camera_id, None)
        if old is not None:
            old.close()
        if not self._blurred(camera_id):
            return None
        self._live[camera_id] = LivePrivacy(self.slots[camera_id])
        return self._live[camera_id]

    # -- operators' commands ----------------------------------------------------------------
    def _mark(self, command: MarkDetection) -> None:
        action = AlertAction(
            identifier=new_identifier(),
            alert_identifier=command.alert_identifier,
            action=MARK_ACTIONS[command.true_positive],
            by=command.by,
            time=utc_now(),
        )
        self.ingest.accept([action])

    def _select_model(self, command: SelectModel) -> None:
        if command.version is not None and command.version not in self._versions():
            log.error("Camera %s: no model version %s", command.camera_id, command.version)
            return
        self.choices.choose(command.camera_id, command.version)
        log.info(
            "Camera %s switched to model %s by %s",
            command.camera_id,
            command.version or "built-in",
            command.by,
        )
        if command.camera_id in self.pipelines:
            self._restage(command.camera_id)
        self._publish_cameras()

    def _set_blur(self, command: SetFaceBlur) -> None:
        targets = [command.camera_id] if command.camera_id else list(self.pipelines)
        if not command.blurred and not command.reason.strip():
            log.error("Refused to show faces on %s: no reason given", targets)
            return
        for camera_id in targets:
            if command.blurred:
                self.lifted.discard(camera_id)
            else:
                self.lifted.add(camera_id)
            if camera_id in self.pipelines:
                self.pipelines[camera_id].set_privacy(self._privacy(camera_id))
        # The one privacy switch is explicit and on the record: who, where, why.
        log.warning(
            "Faces %s on %s by %s: %s",
            "blurred" if command.blurred else "SHOWN",
            ", ".join(targets),
            command.by or "unknown",
            command.reason or "-",
        )
        self._publish_cameras()

    def _models(self) -> list[ModelVersion]:
        try:
            return self.models.versions()
        except RegistryError as exc:
            log.error("Model registry unusable: %s", exc)
            return []

    def _versions(self) -> set[str]:
        return {model.version for model in self._models()}

    def _publish_cameras(self) -> None:
        infos = []
        for camera_id, spec in self.cameras.items():
            chose, version = self.choices.chosen(camera_id)
            config = self.config.camera(camera_id)
            infos.append(
                CameraInfo(
                    camera_id,
                    spec.name,
                    tuple(config.detectors),
                    version if chose else (config.model or None),
                    self._blurred(camera_id),
                )
            )
        self.hub.publish(VideoCameras(tuple(infos), tuple(self._models())))


def _demo_ground(spec: CameraSpec):  # -> GroundPairs
    """Simulated demo cameras know exactly how their picture lies on the ground."""
    if not spec.uri.startswith("demo://"):
        return ()
    try:
        from app.demo.camera_pose import demo_ground_points

        return demo_ground_points(spec.uri.removeprefix("demo://"))
    except Exception as exc:
        log.error("No ground mapping for demo camera %s: %s", spec.camera_id, exc)
        return ()
