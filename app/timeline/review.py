"""The console's state at any past instant, for review mode.

Every part is one or two range queries on an indexed time column, bounded by a short window
before ``t`` and capped, so any minute of a long recording is rebuilt in well under a second
(``bench/timeline.py`` measures it on a 24-hour store):

- alerts: the queue as it stood (``review_alerts``);
- tracks: each track's last position at or before ``t``, if it reported within 10 minutes (a
  track that stopped reporting has left the picture);
- detections and posts of the 5 minutes before ``t``;
- observations of the hour before ``t``, thinned evenly per sensor (``review_readings``);
- snapshots: per camera, its latest picture of the hour before ``t``, from a detection's
  ``snapshot_uri`` or a video alert's ``snapshot`` evidence.

Tracks: ``tracks`` keeps each track's latest report (callsign, type, status) and
``track_positions`` every position it reported, so a track is put where it was at ``t``, even
if it moved on afterwards.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.model import Alert, Detection, GeoPoint, Post, Track
from app.storage.codecs import from_row
from app.storage.orm import DetectionRow, PostRow, TrackPositionRow, TrackRow
from app.terminology import Terminology
from app.timeline.messages import ReviewState
from app.timeline.review_alerts import alerts_at
from app.timeline.review_readings import observations_before

TRACK_MAX_AGE = timedelta(minutes=10)
RECENT_RECORDS = timedelta(minutes=5)
SNAPSHOT_LOOKBACK = timedelta(hours=1)
MAX_TRACKS = 5_000
MAX_RECENT = 2_000  # detections, and posts, of the five minutes
CAMERA_SCHEME = "camera:"


def state_at(session: Session, t: datetime, terms: Terminology | None = None) -> ReviewState:
    """Everything a panel shows in review mode at ``t`` (``terms`` is accepted for the
    service's uniform call; nothing here depends on the vocabulary yet)."""
    alerts = alerts_at(session, t)
    detections = _recent(session, DetectionRow, Detection, t, RECENT_RECORDS, MAX_RECENT)
    snapshots = _snapshots(session, t, alerts)
    return ReviewState(
        time=t,
        alerts=tuple(alerts),
        tracks=tuple(_tracks_at(session, t)),
        detections=tuple(detections),
        posts=tuple(_recent(session, PostRow, Post, t, RECENT_RECORDS, MAX_RECENT)),
        observations=tuple(observations_before(session, t)),
        snapshots=tuple((camera, uri) for camera, (_, uri) in snapshots.items()),
        snapshot_times=tuple((camera, time) for camera, (time, _) in snapshots.items()),
    )


def _recent(
    session: Session, table: Any, record_type: type, t: datetime, span: timedelta, cap: int
) -> list[Any]:
    """Rows of (t - span, t], newest first, at most ``cap``; for tracks, whose table holds one
    row per track, that is each track's last position."""
    query = (
        select(*table.__table__.columns)
        .where(table.time > t - span, table.time <= t)
        .order_by(table.time.desc())
        .limit(cap)
    )
    return [from_row(record_type, row) for row in session.execute(query)]


def _tracks_at(session: Session, t: datetime) -> list[Track]:
    """Each track's newest position in (t - TRACK_MAX_AGE, t], with its latest identity."""
    window = (TrackPositionRow.time > t - TRACK_MAX_AGE, TrackPositionRow.time <= t)
    newest = (
        select(TrackPositionRow.track_identifier, func.max(TrackPositionRow.time).label("at"))
        .where(*window)
        .group_by(TrackPositionRow.track_identifier)
        .limit(MAX_TRACKS)
        .subquery()
    )
    query = (
        select(TrackRow, TrackPositionRow)
        .join(newest, newest.c.track_identifier == TrackRow.identifier)
        .join(
            TrackPositionRow,
            (TrackPositionRow.track_identifier == newest.c.track_identifier)
            & (TrackPositionRow.time == newest.c.at),
        )
    )
    tracks = []
    for identity, position in session.execute(query):
        track = from_row(Track, identity)
        tracks.append(
            replace(
                track,
                time=position.time,
                point=GeoPoint(position.lat, position.lon),
                course_deg=position.course_deg,
                speed_mps=position.speed_mps,
            )
        )
    return tracks


def _snapshots(
    session: Session, t: datetime, alerts: list[Alert]
) -> dict[str, tuple[datetime, str]]:
    """camera → (when, snapshot URI) of its latest picture of the hour before ``t``."""
    latest: dict[str, tuple[datetime, str]] = {}

    def offer(camera: str, time: datetime, uri: str) -> None:
        if camera not in latest or latest[camera][0] < time:
            latest[camera] = (time, uri)

    query = select(DetectionRow.source_id, DetectionRow.time, DetectionRow.snapshot_uri).where(
        DetectionRow.time > t - SNAPSHOT_LOOKBACK,
        DetectionRow.time <= t,
        DetectionRow.snapshot_uri.is_not(None),
    )
    for camera, time, uri in session.execute(query):
        offer(camera, time, uri)
    for alert in alerts:
        if t - SNAPSHOT_LOOKBACK < alert.sent <= t:
            cameras = [e.uri for e in alert.evidence if e.uri.startswith(CAMERA_SCHEME)]
            pictures = [e.uri for e in alert.evidence if e.kind == "snapshot"]
            if cameras and pictures:
                offer(cameras[0][len(CAMERA_SCHEME) :], alert.sent, pictures[0])
    return latest
