"""Video settings (``"video"`` in settings.json): which cameras run which detectors.

Cameras themselves come from the site layers (their ``uri``); this section adds cameras that are
in no site file, and says per camera which detectors run, with which model and confidence, and
how its picture maps onto the ground (for zone rules). A mistake here is refused when the
settings load, with the camera and field named, instead of a camera silently showing nothing.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

log = logging.getLogger(__name__)

CAMERA_ID = r"^[\w.-]+$"
# The zero-download default: motion is cheap and works on any picture; people (HOG) costs
# about ten times more per frame, so it is chosen per camera.
DEFAULT_DETECTORS = ("motion",)

ImagePoint = tuple[float, float]


class VideoConfigError(ValueError):
    """The video settings cannot be used; the message names the field."""


class LineConfig(BaseModel):
    """A counting line in the picture, in normalised image coordinates (0..1)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64)
    name: str = Field("", max_length=120)
    a: ImagePoint
    b: ImagePoint
    direction: Literal["any", "left", "right"] = "any"

    @field_validator("a", "b")
    @classmethod
    def _in_picture(cls, point: ImagePoint) -> ImagePoint:
        if not all(0.0 <= value <= 1.0 for value in point):
            raise ValueError("line ends are fractions of the picture, between 0 and 1")
        return point


class GroundPoint(BaseModel):
    """One ground control point: where a spot on the ground is in the picture and on the map."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    image: ImagePoint
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class CameraConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field("", max_length=120)
    # Overrides (or, for a camera in no site file, gives) the stream address.
    uri: str = ""
    enabled: bool = True
    detectors: tuple[str, ...] = DEFAULT_DETECTORS
    # Per detector, its parameters (e.g. ``{"people": {"width": 1280}}``); checked by the
    # detector itself when the camera starts.
    detector_params: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # A registered model version (``main.py train-detector``) or a weights file (.pt/.onnx);
    # with either, the YOLO detector runs instead of the OpenCV people/motion detectors.
    model: str = ""
    confidence: float = Field(0.35, gt=0, le=1)
    # Analysed frames a second at most (0: as many as the detectors manage).
    analysis_fps: float = Field(0.0, ge=0, le=120)
    ground_points: tuple[GroundPoint, ...] = ()
    lines: tuple[LineConfig, ...] = ()
    crowd_limit: int = Field(8, ge=2, le=10_000)
    loiter_s: float = Field(60.0, gt=0, le=24 * 3600)

    @field_validator("ground_points")
    @classmethod
    def _enough_points(cls, points: tuple[GroundPoint, ...]) -> tuple[GroundPoint, ...]:
        if points and len(points) < 4:
            raise ValueError("a ground mapping needs at least 4 points")
        return points


class VideoConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # Privacy by default (GDPR): faces are blurred in what is shown, stored and exported.
    blur_faces: bool = True
    cameras: dict[str, CameraConfig] = Field(default_factory=dict)
    # Seconds before the same camera may raise the same event for the same track again.
    repeat_after_s: float = Field(60.0, ge=0, le=24 * 3600)

    @field_validator("cameras")
    @classmethod
    def _camera_ids(cls, cameras: dict[str, CameraConfig]) -> dict[str, CameraConfig]:
        import re

        for camera_id in cameras:
            if not re.match(CAMERA_ID, camera_id):
                raise ValueError(f"{camera_id!r} is not a camera id (letters, digits, . _ -)")
        return cameras

    def camera(self, camera_id: str) -> CameraConfig:
        return self.cameras.get(camera_id) or CameraConfig()


def demo_video_settings() -> dict[str, Any]:
    """The embedded demo's cameras: people counted where crowds gather (fewer, costlier
    analysed frames), motion where someone may walk into the stage pit."""
    text = resources.files("resources").joinpath("demo/video.json").read_text(encoding="utf-8")
    return json.loads(text)


def video_config_or_default(document: dict[str, Any]) -> VideoConfig:
    """The console must open even when a video setting is wrong: the reason is logged, and the
    cameras run with the defaults (faces blurred)."""
    try:
        return video_config(document)
    except VideoConfigError as exc:
        log.error("%s; the cameras use the defaults", exc)
        return VideoConfig()


def video_config(document: dict[str, Any]) -> VideoConfig:
    try:
        return VideoConfig.model_validate(document or {})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or 'video'}: {error['msg']}"
            for error in exc.errors()
        )
        raise VideoConfigError(f"video settings: {problems}") from None
