"""What of the hub's traffic the person at this desk may see, for the GUI bridge.

The SecurityService's ``visible`` drops the alerts a person may not see. Alerts also travel
inside other messages (the queue's starting picture, an incident's member alerts, the
incidents' snapshot, the review picture) and as marks on the timeline: this filter applies the
same judgement there, so that a window never holds an alert its person was not given.

Three narrower rules follow the person's policy:
- cameras: someone whose roles name only some cameras (an external viewer names none) gets
  neither the others nor their status nor what their detectors saw;
- layers: the map's layers a role may see ("detections", "tracks", "posts", "cameras",
  "sensors", "zones"); a layer withheld is withheld everywhere (its records on the map, in
  the feed and charts, its timeline lane), not only switched off on the map, where a person
  could switch it on again;
- shared scope (another organisation's external viewer): only the alerts shared with them and
  the map's fixed features; no raw feed (posts, detections, patrol tracks, sensor readings,
  operators' actions), which stays with the organisation that runs the tools.

Cheap: set lookups, and messages of other kinds pass untouched. The timeline's marks come
from the store, not from alerts: a mark of an alert this filter withheld is taken off; for an
external viewer (fail closed) so is any mark of an alert it has not let through.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Protocol

from app.map.zones import SiteSnapshot, ZoneRemoved
from app.model import (
    Alert,
    AlertAction,
    Camera,
    Detection,
    Observation,
    Post,
    Sensor,
    Track,
    Zone,
)
from app.security.model import ALL, AlertScope, Principal
from app.security.permissions import sees_camera, sees_layer
from app.sensors.messages import SensorSnapshot
from app.social.messages import SocialSnapshot
from app.timeline.lanes import DETECTION_LANE, POST_LANE
from app.timeline.messages import ReviewState, TimelineAppend, TimelineEvent, TimelineWindow
from app.video.messages import CameraStatus

REMEMBERED_ALERTS = 200_000  # ids let through, for the timeline's marks; oldest forgotten
RAW_FEED = (Post, Detection, Track, Observation, AlertAction, SocialSnapshot, SensorSnapshot)
SHARED_LANES = frozenset({"alerts-p1", "alerts-p2", "alerts-p3", "alerts-p4", "bookmarks"})
# The map's layers as the policy names them: the records that make each one, the fields of the
# map's and the review's pictures that hold them, and their timeline lane.
LAYER_KINDS: dict[str, tuple[type, ...]] = {
    "detections": (Detection,),
    "tracks": (Track,),
    "posts": (Post, SocialSnapshot),
    "cameras": (Camera, CameraStatus),
    "sensors": (Sensor, Observation, SensorSnapshot),
    "zones": (Zone, ZoneRemoved),
}
PICTURE_FIELDS: dict[str, tuple[str, ...]] = {
    "detections": ("detections",),
    "tracks": ("tracks",),
    "posts": ("posts",),
    "cameras": ("cameras", "snapshots", "snapshot_times"),
    "sensors": ("sensors", "observations"),
    "zones": ("zones",),
}
LAYER_LANES = {"detections": DETECTION_LANE, "posts": POST_LANE}


class Judge(Protocol):
    @property
    def principal(self) -> Principal | None: ...

    def visible(self, messages: Sequence[object]) -> list[object]: ...

    def sees(self, alert: Alert) -> bool: ...


class VisibilityFilter:
    """``QtHubBridge(visible=VisibilityFilter(core.security))``: judges each batch by the
    person signed in when it is applied (on the GUI thread, one batch at a time)."""

    def __init__(self, judge: Judge) -> None:
        self.judge = judge
        self._cameras: set[str] = set()  # every camera id seen: detections judged by camera
        self._shown: OrderedDict[str, None] = OrderedDict()  # alert ids let through
        self._hidden: OrderedDict[str, None] = OrderedDict()  # alert ids withheld

    def __call__(self, messages: Sequence[Any]) -> list[Any]:
        principal = self.judge.principal
        passed = self.judge.visible(messages)
        if len(passed) != len(messages):
            let = {id(m) for m in passed}
            self._withhold([m for m in messages if isinstance(m, Alert) and id(m) not in let])
        kept = [self._inner(message) for message in passed]
        if principal is None:
            return kept
        if ALL not in principal.cameras:
            kept = self._by_camera(principal, kept)
        if ALL not in principal.layers:
            kept = _by_layer(principal, kept)
        if principal.alerts is AlertScope.SHARED:
            kept = [_shared_only(m) for m in kept if not isinstance(m, RAW_FEED)]
        if principal.alerts is not AlertScope.ALL:
            kept = [self._marks(m) for m in kept]
        return kept

    def _remember(self, alerts: Sequence[Alert]) -> None:
        _note(self._shown, alerts, self._hidden)

    def _withhold(self, alerts: Sequence[Alert]) -> None:
        _note(self._hidden, alerts, self._shown)  # an alert may leave a person's view

    def _narrow(self, alerts: tuple[Alert, ...]) -> tuple[Alert, ...]:
        kept = tuple(a for a in alerts if self.judge.sees(a))
        self._remember(kept)
        if len(kept) != len(alerts):
            let = {id(a) for a in kept}
            self._withhold([a for a in alerts if id(a) not in let])
        return kept

    def _inner(self, message: Any) -> Any:
        """``message`` with its carried alerts (``alerts``), and those of the incidents it
        carries (``incidents``), narrowed to what the judge sees."""
        if isinstance(message, Alert):
            self._remember((message,))  # let through by ``judge.visible`` already
            return message
        if not dataclasses.is_dataclass(message) or isinstance(message, type):
            return message
        changes: dict[str, Any] = {}
        alerts = getattr(message, "alerts", None)
        if isinstance(alerts, tuple) and alerts and isinstance(alerts[0], Alert):
            kept = self._narrow(alerts)
            if len(kept) != len(alerts):
                changes["alerts"] = kept
        incidents = getattr(message, "incidents", None)
        if isinstance(incidents, tuple) and incidents:
            narrowed = tuple(self._inner(incident) for incident in incidents)
            if any(n is not o for n, o in zip(narrowed, incidents, strict=True)):
                changes["incidents"] = narrowed
        return dataclasses.replace(message, **changes) if changes else message

    def _by_camera(self, principal: Principal, messages: list[Any]) -> list[Any]:
        out: list[Any] = []
        for message in messages:
            if isinstance(message, SiteSnapshot):
                self._cameras.update(c.identifier for c in message.cameras)
                shown = tuple(c for c in message.cameras if sees_camera(principal, c.identifier))
                message = dataclasses.replace(message, cameras=shown)
            elif isinstance(message, Camera):
                self._cameras.add(message.identifier)
                if not sees_camera(principal, message.identifier):
                    continue
            elif isinstance(message, CameraStatus):
                if not sees_camera(principal, message.camera_id):
                    continue
            elif isinstance(message, Detection):
                from_camera = message.bbox is not None or message.source_id in self._cameras
                if from_camera and not sees_camera(principal, message.source_id):
                    continue
            elif isinstance(message, ReviewState) and message.snapshots:
                message = dataclasses.replace(
                    message,
                    snapshots=tuple(s for s in message.snapshots if sees_camera(principal, s[0])),
                    snapshot_times=tuple(
                        s for s in message.snapshot_times if sees_camera(principal, s[0])
                    ),
                )
            out.append(message)
        return out

    def _marks(self, message: Any) -> Any:
        """Timeline marks of alerts (and of actions on them) this person was not given are
        taken off; for shared scope, only the alert and bookmark lanes stay."""
        if not isinstance(message, TimelineWindow | TimelineAppend):
            return message
        shared = self.judge.principal is not None and (
            self.judge.principal.alerts is AlertScope.SHARED
        )
        events = tuple(e for e in message.events if self._mark_shown(e, shared))
        if len(events) == len(message.events):
            return message
        changes: dict[str, Any] = {"events": events}
        if isinstance(message, TimelineWindow):
            changes["counts"] = ()  # the totals counted what was taken off
        return dataclasses.replace(message, **changes)

    def _mark_shown(self, event: TimelineEvent, shared: bool) -> bool:
        if shared and event.lane not in SHARED_LANES:
            return False
        if event.kind == "alert":
            about: str | None = event.identifier
        elif event.kind == "action":
            about = event.subject
        else:
            return True
        if about is None:
            return not shared
        return about in self._shown if shared else about not in self._hidden


def _note(seen: OrderedDict[str, None], alerts: Sequence[Alert], other: dict[str, None]) -> None:
    """Notes the alerts' ids in ``seen`` (newest last, bounded) and out of ``other``."""
    for alert in alerts:
        seen[alert.identifier] = None
        seen.move_to_end(alert.identifier)
        other.pop(alert.identifier, None)
    while len(seen) > REMEMBERED_ALERTS:
        seen.popitem(last=False)


def _by_layer(principal: Principal, messages: list[Any]) -> list[Any]:
    """Drops the records of layers ``principal`` may not see and narrows the pictures
    holding them."""
    withheld = {layer for layer in LAYER_KINDS if not sees_layer(principal, layer)}
    if not withheld:
        return messages
    dropped = tuple(kind for layer in withheld for kind in LAYER_KINDS[layer])
    lanes = {LAYER_LANES[layer] for layer in withheld if layer in LAYER_LANES}
    out: list[Any] = []
    for message in messages:
        if isinstance(message, dropped):
            continue
        if isinstance(message, SiteSnapshot | ReviewState):
            fields = {f for layer in withheld for f in PICTURE_FIELDS[layer]}
            present = {f.name for f in dataclasses.fields(message)}
            message = dataclasses.replace(message, **{f: () for f in fields & present})
        elif isinstance(message, TimelineWindow | TimelineAppend) and lanes:
            events = tuple(e for e in message.events if e.lane not in lanes)
            if len(events) != len(message.events):
                changes: dict[str, Any] = {"events": events}
                if isinstance(message, TimelineWindow):
                    changes["counts"] = ()
                message = dataclasses.replace(message, **changes)
        out.append(message)
    return out


def _shared_only(message: Any) -> Any:
    """Another organisation's viewer: the map keeps its cameras' places (already judged) and
    zones, not the patrols' tracks; a review picture keeps only its alerts."""
    if isinstance(message, SiteSnapshot) and message.tracks:
        return dataclasses.replace(message, tracks=())
    if isinstance(message, ReviewState):
        return dataclasses.replace(
            message,
            tracks=(),
            detections=(),
            posts=(),
            observations=(),
            snapshots=(),
            snapshot_times=(),
        )
    return message
