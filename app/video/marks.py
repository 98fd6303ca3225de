"""Operators' true/false verdicts on video alerts, read back as training samples.

A verdict is an ``AlertAction`` (``mark-true`` / ``mark-false``) on a video alert; the alert
refers to its detection, which holds the box, the class and the snapshot. The latest verdict on
an alert wins, so an operator can correct a mis-click. Alerts without a picture or a box (a
camera going dark) teach a detector nothing and are left out.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.model import Alert, Detection
from app.storage import RecordStore
from app.storage.orm import AlertActionRow
from app.video.dataset import MarkedSample
from app.video.snapshots import SnapshotStore

log = logging.getLogger(__name__)

MARKS = {"mark-true": True, "mark-false": False}
# Scene rules fire on tracked people: what a detector must learn there is the person.
_SCENE_EVENTS = frozenset(
    {"person_in_restricted_zone", "line_crossing", "loitering", "crowd_density"}
)


def training_class(detection: Detection) -> str:
    if detection.event_type in _SCENE_EVENTS:
        return "person"
    if detection.detector_id == "yolo":
        return detection.label
    return detection.event_type


def latest_verdicts(store: RecordStore) -> dict[str, bool]:
    """alert identifier → the operator's latest verdict."""
    statement = (
        select(AlertActionRow.alert_identifier, AlertActionRow.action)
        .where(AlertActionRow.action.in_(tuple(MARKS)))
        .order_by(AlertActionRow.time)
    )
    with store.session() as session:
        return {alert_id: MARKS[action] for alert_id, action in session.execute(statement)}


def marked_samples(store: RecordStore, snapshots: SnapshotStore) -> list[MarkedSample]:
    samples = []
    for alert_id, verdict in latest_verdicts(store).items():
        alert = store.get(Alert, alert_id)
        if alert is None or not alert.references:
            continue
        detection = store.get(Detection, alert.references[0])
        if detection is None or detection.bbox is None or not detection.snapshot_uri:
            continue
        path = snapshots.path(detection.snapshot_uri)
        if path is None:
            continue
        samples.append(MarkedSample(path, training_class(detection), detection.bbox, verdict))
    log.info("%d marked video sample(s)", len(samples))
    return samples
