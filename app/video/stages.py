"""What runs on one camera's frames: a base detector, tracking, and the scene rules.

The base detector is YOLO when the camera has a model (chosen by the operator or in the
settings), else the camera's configured OpenCV detectors. Zones drawn on the map reach the
camera through its ground mapping: a zone the camera cannot see is simply not in its rules.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.model import GeoPoint, Zone
from app.plugins import PluginRegistry
from app.video.config import CameraConfig
from detectors.video.analysis import build_analysis
from detectors.video.frames import Frame, FrameStepper
from detectors.video.ground import GroundMapping
from detectors.video.scene import SceneLine, SceneParams, SceneZone

log = logging.getLogger(__name__)

GroundPairs = Sequence[tuple[tuple[float, float], tuple[float, float]]]


class StageError(ValueError):
    """A camera's detectors cannot be built; the message says which and why."""


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """A camera as the video side runs it (from a site layer and/or the settings)."""

    camera_id: str
    name: str
    uri: str
    point: GeoPoint | None = None

    @property
    def exercise(self) -> bool:
        """Simulated cameras feed exercises: what they raise is never taken for real."""
        return self.uri.startswith("demo://")


class Chain:
    """Several base detectors on the same frame, as one (e.g. motion and faces)."""

    def __init__(self, steppers: Sequence[FrameStepper]) -> None:
        self.steppers = tuple(steppers)

    def step(self, item: Frame) -> list[Any]:
        return [found for stepper in self.steppers for found in stepper.step(item)]


def ground_mapping(config: CameraConfig, fallback: GroundPairs = ()) -> GroundMapping | None:
    pairs: GroundPairs = [
        ((p.image[0], p.image[1]), (p.lat, p.lon)) for p in config.ground_points
    ] or list(fallback)
    if not pairs:
        return None
    try:
        return GroundMapping.from_points(pairs)
    except ValueError as exc:
        log.error("Ignoring a camera's ground mapping: %s", exc)
        return None


def scene_zones(mapping: GroundMapping | None, zones: Sequence[Zone]) -> list[SceneZone]:
    if mapping is None:
        return []
    seen = []
    for zone in zones:
        polygon = mapping.zone_in_image(zone.polygon)
        if len(polygon) >= 3:
            seen.append(SceneZone(zone.identifier, zone.name, zone.kind, tuple(polygon)))
    return seen


def scene_lines(config: CameraConfig) -> list[SceneLine]:
    return [SceneLine(ln.id, ln.name or ln.id, ln.a, ln.b, ln.direction) for ln in config.lines]


def base_detector(
    config: CameraConfig, plugins: PluginRegistry, weights: Path | None
) -> FrameStepper:
    """YOLO when there are weights, else the configured OpenCV detectors, chained."""
    if weights is not None:
        # One inference thread per camera: several cameras share two cores, and thread pools
        # that each expect every core collapse when another camera holds one.
        params = {"weights": str(weights), "confidence": config.confidence, "threads": 1}
        return _load(plugins, "yolo", params)
    steppers = [
        _load(plugins, detector_id, config.detector_params.get(detector_id, {}))
        for detector_id in config.detectors
    ]
    if not steppers:
        raise StageError("no detector is configured")
    return steppers[0] if len(steppers) == 1 else Chain(steppers)


def _load(plugins: PluginRegistry, detector_id: str, params: dict[str, Any]) -> FrameStepper:
    manifest = plugins.get(detector_id)
    if manifest is None or manifest.kind != "video-detector":
        raise StageError(f"{detector_id!r} is not an installed video detector")
    build = plugins.load(detector_id)
    if build is None:
        raise StageError(plugins.problems[-1].message if plugins.problems else detector_id)
    try:
        return build(params)
    except (OSError, ValueError) as exc:
        raise StageError(f"{detector_id}: {exc}") from exc


def camera_stages(
    camera: CameraSpec,
    config: CameraConfig,
    plugins: PluginRegistry,
    zones: Sequence[Zone],
    weights: Path | None,
    ground: GroundPairs = (),
) -> tuple[FrameStepper, tuple[tuple[tuple[float, float], ...], ...]]:
    """The camera's analysis and the zone outlines it draws (normalised image polygons)."""
    mapping = ground_mapping(config, ground)
    visible = scene_zones(mapping, zones)
    stages = build_analysis(
        base_detector(config, plugins, weights),
        camera_id=camera.camera_id,
        mapping=mapping,
        zones=visible,
        lines=scene_lines(config),
        params=SceneParams(loiter_s=config.loiter_s, crowd_limit=config.crowd_limit),
    )
    return stages, tuple(zone.polygon for zone in visible)
