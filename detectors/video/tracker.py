"""Tracking by overlap: the same person on consecutive frames keeps one track id.

Zone entry, line crossing and loitering are about a person over time, so each frame's boxes are
linked to the tracks of the frames before. At surveillance frame rates a walker's box on the
next analysed frame still overlaps the previous one, so greedy intersection-over-union matching
(best pairs first, one class at a time) is enough, with no motion model and no appearance
features. A track becomes real (gets its id, ``"<camera>/<n>"``) only after ``min_hits``
matches, so a one-frame false detection never reaches the scene rules; it survives
``max_missed`` frames without a match, so a detector that misses a person now and then does not
split the person into many tracks.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from app.model import Detection
from detectors.video.frames import Frame
from detectors.video.params import check, number_in, whole_in

Box = tuple[float, float, float, float]
FootPoint = tuple[datetime, float, float]  # frame time, normalised x, normalised y


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackerParams:
    """``iou_threshold``: the overlap a box needs with a track's last box to continue it;
    ``max_missed``: analysed frames a track survives without a match; ``min_hits``: matches
    before a track is confirmed; ``history``: foot points kept per track."""

    iou_threshold: float = 0.2
    max_missed: int = 10
    min_hits: int = 3
    history: int = 300

    def __post_init__(self) -> None:
        check(
            self,
            {
                "iou_threshold": (number_in(0, 1, low_open=True), "a fraction above 0 up to 1"),
                "max_missed": (whole_in(0, 10_000), "a whole number of frames >= 0"),
                "min_hits": (whole_in(1, 1000), "a whole number >= 1"),
                "history": (whole_in(1, 100_000), "a whole number >= 1"),
            },
        )


@dataclass(frozen=True, slots=True)
class TrackState:
    """One track as the scene rules and the display see it. ``track_id`` is ``None`` while
    the track is not yet confirmed; ``feet`` are its bottom-centre points, oldest first."""

    track_id: str | None
    event_type: str
    bbox: Box
    first_seen: datetime
    last_seen: datetime
    hits: int
    missed: int
    feet: tuple[FootPoint, ...]

    @property
    def confirmed(self) -> bool:
        return self.track_id is not None


def foot_point(bbox: Box) -> tuple[float, float]:
    """Where a box's object stands: the bottom centre (normalised image coordinates)."""
    x, y, w, h = bbox
    return (x + w / 2.0, y + h)


def iou(a: Box, b: Box) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    across = min(ax + aw, bx + bw) - max(ax, bx)
    down = min(ay + ah, by + bh) - max(ay, by)
    if across <= 0 or down <= 0:
        return 0.0
    shared = across * down
    return shared / (aw * ah + bw * bh - shared)


class _Track:
    def __init__(self, event_type: str, bbox: Box, time: datetime, history: int) -> None:
        self.track_id: str | None = None
        self.event_type = event_type
        self.bbox = bbox
        self.first_seen = self.last_seen = time
        self.hits, self.missed = 1, 0
        self.feet: deque[FootPoint] = deque([(time, *foot_point(bbox))], maxlen=history)

    def hit(self, bbox: Box, time: datetime) -> None:
        self.bbox, self.last_seen = bbox, time
        self.hits, self.missed = self.hits + 1, 0
        self.feet.append((time, *foot_point(bbox)))

    def state(self) -> TrackState:
        return TrackState(
            self.track_id,
            self.event_type,
            self.bbox,
            self.first_seen,
            self.last_seen,
            self.hits,
            self.missed,
            tuple(self.feet),
        )


class IoUTracker:
    """The tracks of one camera. Not thread-safe: the camera's detector thread owns it."""

    def __init__(self, camera_id: str, params: TrackerParams | None = None) -> None:
        self.camera_id = camera_id
        self.params = params or TrackerParams()
        self._tracks: list[_Track] = []
        self._confirmed = 0

    def update(self, frame: Frame, detections: Sequence[Detection]) -> list[Detection]:
        """``detections`` (same order) with ``track_id`` set on those that belong to a
        confirmed track; boxless detections pass through untouched."""
        result = list(detections)
        boxed = [(i, d.event_type, d.bbox) for i, d in enumerate(detections) if d.bbox]
        matches = self._match([(kind, box) for _, kind, box in boxed])
        seen: set[int] = set()
        for slot, (index, kind, box) in enumerate(boxed):
            track = self._continue(matches.get(slot), kind, box, frame.time)
            seen.add(id(track))
            if track.track_id is not None:
                result[index] = dataclasses.replace(detections[index], track_id=track.track_id)
        self._age(seen)
        return result

    def tracks(self) -> tuple[TrackState, ...]:
        """The live tracks, confirmed or not, as immutable snapshots."""
        return tuple(track.state() for track in self._tracks)

    def _match(self, boxes: Sequence[tuple[str, Box]]) -> dict[int, _Track]:
        """Greedy: the best-overlapping (track, box) pair of the same class first."""
        pairs = []
        for slot, (kind, box) in enumerate(boxes):
            for track in self._tracks:
                overlap = iou(track.bbox, box) if track.event_type == kind else 0.0
                if overlap >= self.params.iou_threshold:
                    pairs.append((overlap, slot, track))
        pairs.sort(key=lambda pair: pair[0], reverse=True)
        matches: dict[int, _Track] = {}
        taken: set[int] = set()
        for _, slot, track in pairs:
            if slot not in matches and id(track) not in taken:
                matches[slot] = track
                taken.add(id(track))
        return matches

    def _continue(self, track: _Track | None, kind: str, box: Box, time: datetime) -> _Track:
        """``track`` continued with ``box``, or a new track; confirmed on its ``min_hits``th."""
        if track is None:
            track = _Track(kind, box, time, self.params.history)
            self._tracks.append(track)
        else:
            track.hit(box, time)
        if track.track_id is None and track.hits >= self.params.min_hits:
            self._confirmed += 1
            track.track_id = f"{self.camera_id}/{self._confirmed}"
        return track

    def _age(self, matched: set[int]) -> None:
        for track in self._tracks:
            if id(track) not in matched:
                track.missed += 1
        self._tracks = [t for t in self._tracks if t.missed <= self.params.max_missed]
