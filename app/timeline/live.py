"""Marks for records that arrive live, so the panel's live view grows without a new query.

Alerts come through the hub again whenever they change (a repeat, an acknowledgement), but
their mark changes only when their lane does (an escalation); the rest are not sent again.
Operator actions need their alert's headline: it is remembered from the alerts seen, and
read from the store for an alert that arrived before the service started.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from app.model import Alert, AlertAction, Bookmark, Detection, IncidentEntry, Post
from app.storage import RecordStore
from app.terminology import Terminology
from app.timeline import lanes
from app.timeline.messages import TimelineEvent
from app.timeline.sources import bookmark_event
from app.timeline.titles import action_title, entry_title

REMEMBERED_ALERTS = 20_000


class LiveEvents:
    """Turns hub records into timeline events; used by the timeline thread only."""

    def __init__(self, store: RecordStore, terms: Terminology) -> None:
        self.store = store
        self.terms = terms
        # identifier → (lane, headline) of alerts already marked, oldest first.
        self._alerts: OrderedDict[str, tuple[str, str]] = OrderedDict()

    def events(self, records: Iterable[object]) -> list[TimelineEvent]:
        records = list(records)
        result = [e for r in records if isinstance(r, Alert) if (e := self._alert(r))]
        for record in records:
            event = self._other(record)
            if event is not None:
                result.append(event)
        return result

    def _alert(self, alert: Alert) -> TimelineEvent | None:
        lane = lanes.alert_lane(alert.source_tool, alert.event_type, alert.priority)
        known = self._alerts.get(alert.identifier)
        self._remember(alert.identifier, lane, alert.headline)
        if known is not None and known[0] == lane:
            return None
        last = alert.last_seen
        return TimelineEvent(
            lane,
            alert.sent,
            "alert",
            alert.identifier,
            alert.headline,
            int(alert.priority),
            last if last is not None and last > alert.sent else None,
        )

    def _remember(self, identifier: str, lane: str, headline: str) -> None:
        self._alerts[identifier] = (lane, headline)
        self._alerts.move_to_end(identifier)
        while len(self._alerts) > REMEMBERED_ALERTS:
            self._alerts.popitem(last=False)

    def _other(self, record: object) -> TimelineEvent | None:
        if isinstance(record, AlertAction):
            return self._action(record)
        if isinstance(record, Detection):
            title = lanes.detection_title(record, self.terms)
            priority = int(self.terms.event_type(record.event_type).priority)
            return TimelineEvent(
                lanes.DETECTION_LANE, record.time, "detection", record.identifier, title, priority
            )
        if isinstance(record, Post):
            title = lanes.post_title(record)
            return TimelineEvent(lanes.POST_LANE, record.time, "post", record.identifier, title)
        if isinstance(record, Bookmark):
            return bookmark_event(record)
        if isinstance(record, IncidentEntry) and record.kind in lanes.INCIDENT_ENTRY_KINDS:
            title = entry_title(record, self.terms)
            return TimelineEvent(
                lanes.ACTION_LANE,
                record.time,
                "incident-entry",
                record.identifier,
                title,
                subject=record.incident_identifier,
            )
        return None

    def _action(self, action: AlertAction) -> TimelineEvent:
        known = self._alerts.get(action.alert_identifier)
        if known is not None:
            headline: str | None = known[1]
        else:
            alert = self.store.get(Alert, action.alert_identifier)
            headline = alert.headline if alert is not None else None
        title = action_title(action.action, action.by, dict(action.details), headline, self.terms)
        return TimelineEvent(
            lanes.ACTION_LANE,
            action.time,
            "action",
            action.identifier,
            title,
            subject=action.alert_identifier,
        )
