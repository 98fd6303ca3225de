"""From a camera's findings to stored records: snapshot, detection, alert.

The analysis threads must never wait for the disk or the database, so they hand findings to
this recorder's bounded queue and go back to the next frame. The recorder writes the snapshot
(faces blurred), then stores the detection and its alert in one batch. A full queue drops the
newest findings and counts them (a flood of detections must not grow memory without bound);
a failing store keeps the batch and retries, so nothing that was accepted is lost.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np

from app.hub import Hub
from app.ingest import Ingest
from app.messages import HealthState, SourceHealth
from app.model import Detection, Status
from app.storage import StorageError
from app.terminology import Terminology
from app.video.alerting import CameraFacts, RepeatFilter, alertable, to_alert
from app.video.snapshots import SnapshotError, SnapshotStore
from detectors.video.frames import Frame
from i18n import N_, gettext

log = logging.getLogger(__name__)

QUEUE_LIMIT = 256
RETRY_S = (0.5, 1.0, 2.0, 5.0)
HEALTH_ID = "video-watch"
HEALTH_TITLE = N_("Video detection")

# Blurs a picture kept as evidence, given what the detectors found on it.
Blur = Callable[[np.ndarray, Sequence[Detection]], np.ndarray]


@dataclass(frozen=True, slots=True)
class Findings:
    camera: CameraFacts
    frame: Frame | None
    detections: tuple[Detection, ...]
    exercise: bool = False


class Recorder:
    def __init__(
        self,
        ingest: Ingest,
        hub: Hub,
        terms: Terminology,
        snapshots: SnapshotStore,
        blur: Blur | None,
        repeat_after: timedelta,
    ) -> None:
        self.ingest = ingest
        self.hub = hub
        self.terms = terms
        self.snapshots = snapshots
        self.blur = blur
        self.repeats = RepeatFilter(repeat_after)
        self.dropped = 0
        self.stored = 0
        self._queue: queue.Queue[Findings | None] = queue.Queue(QUEUE_LIMIT)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="video-recorder", daemon=True)
        # Pictures are blurred and written on their own thread, so a burst of alerts is stored
        # at once instead of each waiting for the previous one's picture.
        self._pictures: queue.Queue[tuple[Findings, str] | None] = queue.Queue(QUEUE_LIMIT)
        self._writer = threading.Thread(
            target=self._write_pictures, name="video-recorder-snapshots", daemon=True
        )

    def start(self) -> None:
        self._thread.start()
        self._writer.start()

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)
        if self._thread.ident is not None:
            self._thread.join(10)
        with contextlib.suppress(queue.Full):
            self._pictures.put_nowait(None)
        if self._writer.ident is not None:
            self._writer.join(10)

    def offer(self, findings: Findings) -> None:
        """Called on an analysis thread: never blocks."""
        if not alertable(list(findings.detections), self.terms):
            return
        try:
            self._queue.put_nowait(findings)
        except queue.Full:
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 100 == 0:
                log.error("Video findings dropped: %d (the recorder cannot keep up)", self.dropped)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                self._record(item)
            except Exception:
                log.exception("Cannot record findings of %s", item.camera.camera_id)

    def _record(self, findings: Findings) -> None:
        fresh = [
            d for d in alertable(list(findings.detections), self.terms) if self.repeats.fresh(d)
        ]
        if not fresh:
            return
        first = fresh[0]
        uri = None
        if findings.frame is not None:
            uri = self.snapshots.uri_for(findings.camera.camera_id, first.time, first.identifier)
        records: list[object] = []
        for detection in fresh:
            if findings.exercise:
                detection = replace(detection, status=Status.EXERCISE)
            detection = replace(detection, snapshot_uri=uri)
            records += [detection, to_alert(detection, findings.camera, self.terms, uri)]
        # The alert first: blurring a picture thoroughly takes a few hundred milliseconds,
        # and the operator must not wait for it to learn that something happened.
        self._store(records)
        if uri is not None:
            try:
                self._pictures.put_nowait((findings, uri))
            except queue.Full:
                log.error("Snapshot %s dropped: the snapshot writer cannot keep up", uri)

    def _write_pictures(self) -> None:
        while (item := self._pictures.get()) is not None:
            try:
                self._snapshot(*item)
            except Exception:
                log.exception("Cannot write the snapshot %s", item[1])

    def _snapshot(self, findings: Findings, uri: str) -> None:
        if findings.frame is None:
            return
        image = findings.frame.image
        try:
            if self.blur is not None:
                image = self.blur(image, findings.detections)
            self.snapshots.save_as(uri, image)
        except SnapshotError as exc:
            log.error("%s", exc)
            self._health(
                HealthState.DEGRADED,
                gettext("Snapshots cannot be saved: {reason}").format(reason=exc),
            )

    def _store(self, records: list[object]) -> None:
        attempt = 0
        while True:
            try:
                self.stored += self.ingest.accept(records)
                return
            except StorageError as exc:
                delay = RETRY_S[min(attempt, len(RETRY_S) - 1)]
                attempt += 1
                log.error("Video records not stored yet (retrying in %.1f s): %s", delay, exc)
                # Stopping gives up only after one more try: the batch is kept until then.
                if self._stop.wait(delay) and attempt > len(RETRY_S):
                    log.error("Giving up on %d video record(s) at shutdown", len(records))
                    return

    def _health(self, state: HealthState, problem: str) -> None:
        self.hub.publish(SourceHealth(HEALTH_ID, gettext(HEALTH_TITLE), state, problem))
