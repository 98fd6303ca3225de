"""One camera's analysis: a base detector, then tracking, ground positions and the scene rules.

The base detector (motion, people, YOLO, or several chained) says what is in each frame; the
tracker links the boxes of the tracked classes (people, and motion blobs when motion is all a
camera runs) into tracks; the ground mapping puts every boxed detection on the map at its feet;
the scene rules turn tracks into events (zone intrusion, line crossing, loitering, crowds).
The whole is itself a ``FrameStepper``, so the pipeline and the ``detect`` CLI drive it like
any single detector.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from app.model import Detection
from detectors.video.frames import Frame, FrameStepper
from detectors.video.ground import GroundMapping
from detectors.video.params import from_mapping
from detectors.video.scene import SceneLine, SceneParams, SceneRules, SceneZone
from detectors.video.tracker import IoUTracker, TrackerParams, foot_point

log = logging.getLogger(__name__)

# Motion blobs are tracked too: on a camera that runs only motion, they are the people.
TRACKED_CLASSES = frozenset({"person", "motion"})


class VideoAnalysis:
    """``step(frame)`` = the base detections (tracked ones with their ``track_id``) followed
    by the scene events; every boxed detection gets a ``point`` when there is a mapping.
    The scene rules judge tracks, so they run only with a tracker. Owned by the camera's
    detector thread; ``set_geometry`` may be called from another."""

    def __init__(
        self,
        base: FrameStepper,
        *,
        tracker: IoUTracker | None = None,
        mapping: GroundMapping | None = None,
        scene: SceneRules | None = None,
        tracked_classes: frozenset[str] = TRACKED_CLASSES,
    ) -> None:
        self.base = base
        self.tracker = tracker
        self.mapping = mapping
        self.scene = scene
        self.tracked_classes = tracked_classes

    @property
    def zones(self) -> tuple[SceneZone, ...]:
        return self.scene.zones if self.scene is not None else ()

    @property
    def lines(self) -> tuple[SceneLine, ...]:
        return self.scene.lines if self.scene is not None else ()

    def set_geometry(self, zones: Sequence[SceneZone], lines: Sequence[SceneLine]) -> None:
        """New zones and lines (drawn on the map meanwhile). The rules start afresh: a
        person already inside a new zone is reported once more. The swap is one assignment,
        so a step running meanwhile finishes with the old rules."""
        old = self.scene or SceneRules()
        self.scene = SceneRules(zones, lines, old.params, old.detector_id)

    def step(self, item: Frame) -> list[Detection]:
        found = list(self.base.step(item))
        scene = self.scene
        if self.tracker is not None:
            tracked = [d for d in found if d.event_type in self.tracked_classes]
            others = [d for d in found if d.event_type not in self.tracked_classes]
            tracked = self.tracker.update(item, tracked)
            found = others + tracked
            if scene is not None:
                found += scene.step(item, tracked)
        if self.mapping is not None:
            found = [_placed(d, self.mapping) for d in found]
        return found


def _placed(detection: Detection, mapping: GroundMapping) -> Detection:
    """``detection`` with ``point`` at its feet on the ground (unchanged when it has no box,
    already has a point, or stands above the horizon)."""
    if detection.bbox is None or detection.point is not None:
        return detection
    point = mapping.to_geo(*foot_point(detection.bbox))
    return detection if point is None else dataclasses.replace(detection, point=point)


def build_analysis(
    base: FrameStepper,
    *,
    camera_id: str,
    mapping: GroundMapping | None = None,
    zones: Sequence[SceneZone] = (),
    lines: Sequence[SceneLine] = (),
    params: SceneParams | Mapping[str, Any] | None = None,
    tracker: TrackerParams | Mapping[str, Any] | None = None,
    tracked_classes: Sequence[str] = ("person", "motion"),
) -> VideoAnalysis:
    """The usual analysis of one camera: ``base``, tracked, placed on the ground when there
    is a ``mapping``, with scene rules over ``zones`` and ``lines`` (image coordinates, see
    ``GroundMapping.zone_in_image`` for zones drawn on the map). Parameters may be records or
    plain mappings; bad ones raise ``ValueError`` naming the key."""
    scene_params = from_mapping(SceneParams, params)
    rules = SceneRules(zones, lines, scene_params)
    log.debug(
        "Camera %s: analysis with %d zones, %d lines", camera_id, len(rules.zones), len(lines)
    )
    return VideoAnalysis(
        base,
        tracker=IoUTracker(camera_id, from_mapping(TrackerParams, tracker)),
        mapping=mapping,
        scene=rules,
        tracked_classes=frozenset(tracked_classes),
    )
