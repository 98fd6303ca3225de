"""Hub messages and operator commands of the video side."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from app.messages import HealthState
from app.model import utc_now
from app.video.display import DisplaySlot


@dataclass(frozen=True, slots=True)
class CameraStatus:
    """One camera's health, published about once a second. ``problem`` is a translated reason
    (empty when all is well); ``last_frame_age_s`` is ``None`` before the first frame."""

    camera_id: str
    name: str
    state: HealthState
    problem: str = ""
    fps: float = 0.0
    last_frame_age_s: float | None = None
    reconnects: int = 0
    frames_read: int = 0
    frames_analysed: int = 0
    frames_skipped: int = 0
    time: datetime = field(default_factory=utc_now)


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """A registered detection model a camera can switch to, with its validation metrics
    (``precision``, ``recall``, ``map50``, ``map50_95``; absent when never validated)."""

    version: str
    title: str
    path: str
    created: datetime
    metrics: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class CameraInfo:
    camera_id: str
    name: str
    detectors: tuple[str, ...] = ()
    model_version: str | None = None
    blurred: bool = True


@dataclass(frozen=True, slots=True)
class VideoCameras:
    """The cameras the console runs and the models they can use; sent on start and whenever
    either changes, so the panel's grid and menus follow."""

    cameras: tuple[CameraInfo, ...]
    models: tuple[ModelVersion, ...] = ()


@dataclass(frozen=True, slots=True)
class MarkDetection:
    """The operator's verdict on a video alert's detection: the drift loop's training labels."""

    alert_identifier: str
    true_positive: bool
    by: str = ""


@dataclass(frozen=True, slots=True)
class SelectModel:
    """Switch ``camera_id``'s YOLO detector to a registered model version (``None``: back to
    the zero-download OpenCV detectors)."""

    camera_id: str
    version: str | None
    by: str = ""


@dataclass(frozen=True, slots=True)
class SetFaceBlur:
    """Blur faces on ``camera_id`` (or on every camera when empty), or lift the blur. Lifting
    needs a stated reason and is logged; it is the one privacy switch and it is explicit."""

    camera_id: str
    blurred: bool
    reason: str = ""
    by: str = ""


class VideoAccess(Protocol):
    """What the video panel may use of the core's video side."""

    def display(self, camera_id: str) -> DisplaySlot | None: ...

    def snapshot_path(self, uri: str) -> Path | None: ...
