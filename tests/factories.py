"""Small builders of valid records, so tests state only what matters to them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

from app.model import (
    Alert,
    AlertState,
    Area,
    Camera,
    Category,
    Certainty,
    Circle,
    Detection,
    EvidenceLink,
    GeoPoint,
    Incident,
    Observation,
    Post,
    Priority,
    Sensor,
    Severity,
    Status,
    Track,
    Urgency,
    Zone,
)

T0 = datetime(2026, 6, 20, 18, 30, tzinfo=UTC)
OSLO_SUMMER = timezone(timedelta(hours=2))


def alert(identifier: str = "a-1", **changes: Any) -> Alert:
    values: dict[str, Any] = dict(
        identifier=identifier,
        sender="weapon-detect@demo.city",
        source_tool="weapon-detection",
        sent=T0,
        event_type="knife",
        category=Category.SECURITY,
        headline="Knife detected near the stage",
        status=Status.EXERCISE,
        urgency=Urgency.IMMEDIATE,
        severity=Severity.SEVERE,
        certainty=Certainty.LIKELY,
        description="Camera 3, person at the barrier",
        point=GeoPoint(59.9118, 10.7332),
        area=Area(
            "Stage",
            polygon=(
                GeoPoint(59.91, 10.73),
                GeoPoint(59.92, 10.73),
                GeoPoint(59.92, 10.74),
                GeoPoint(59.91, 10.73),
            ),
        ),
        priority=Priority.P1,
        confidence=0.81,
        evidence=(EvidenceLink("snapshot", "evidence://cam-3/1.jpg", "Frame 1"),),
        references=("earlier-1",),
        state=AlertState.NEW,
    )
    values.update(changes)
    return Alert(**values)


def one_of_each() -> list[Any]:
    """One record of every storable kind, with every optional field set."""
    return [
        alert(),
        alert(
            "a-2",
            point=None,
            area=Area("Ring", circle=Circle(GeoPoint(59.9, 10.7), 0.5)),
            sent=datetime(2026, 6, 20, 20, 0, tzinfo=OSLO_SUMMER),
        ),
        Detection(
            identifier="d-1",
            detector_id="yolo",
            source_id="cam-3",
            time=T0,
            event_type="knife",
            label="knife",
            confidence=0.8,
            bbox=(0.1, 0.2, 0.3, 0.4),
            point=GeoPoint(59.9, 10.7),
            track_id="t-9",
            snapshot_uri="evidence://x.jpg",
        ),
        Observation(
            identifier="o-1",
            sensor_id="bio-1",
            time=T0,
            quantity="bacteria_air",
            value=612.5,
            unit="CFU/m³",
            status=Status.EXERCISE,
        ),
        Track(
            identifier="t-1",
            source_id="tak",
            time=T0,
            point=GeoPoint(59.9, 10.7, 12.0),
            cot_type="a-h-G",
            callsign="Alpha",
            course_deg=90.0,
            speed_mps=1.5,
        ),
        Post(
            identifier="p-1",
            platform="microblog",
            author="pseud-1",
            text="<b>hei</b> 🚨",
            time=T0,
            language="nb",
            point=GeoPoint(59.9, 10.7),
            url="https://example.org/p/1",
        ),
        Incident(
            identifier="i-1",
            title="Knife at stage",
            opened=T0,
            priority=Priority.P1,
            alert_ids=("a-1", "a-2"),
            commander="cmdr-1",
            closed=T0 + timedelta(hours=1),
        ),
        Camera(
            identifier="cam-3",
            name="Stage",
            uri="rtsp://127.0.0.1/3",
            point=GeoPoint(59.9, 10.7),
            heading_deg=45.0,
            fov_deg=60.0,
        ),
        Sensor(
            identifier="bio-1",
            name="North",
            station="Station North",
            quantity="bacteria_air",
            unit="CFU/m³",
            point=GeoPoint(59.9, 10.7),
            warning=500.0,
            alarm=900.0,
        ),
        Zone(
            identifier="z-1",
            name="Backstage",
            kind="restricted",
            polygon=(
                GeoPoint(59.91, 10.73),
                GeoPoint(59.92, 10.73),
                GeoPoint(59.92, 10.74),
                GeoPoint(59.91, 10.73),
            ),
        ),
    ]


# --- people at the console (the core refuses commands from nobody) -------------------------

TEST_PASSWORD = "correct horse battery"  # a test account's, on a tmp database
# Together these two roles may give every command the core takes (exercises included).
ALL_ROLES = ("supervisor", "trainer")


@cache
def _test_hash() -> str:
    """One Argon2 hash for every test account: tests add many accounts, hashing once."""
    from app.security.passwords import hash_password

    return hash_password(TEST_PASSWORD)


def account(
    core: Any,
    username: str,
    roles: tuple[str, ...] = ALL_ROLES,
    organisation: str = "city-control",
) -> None:
    """Adds ``username`` to ``core``'s accounts (password ``TEST_PASSWORD``) unless present."""
    if core.security.accounts.get(username) is None:
        core.security.accounts.add(username, username, organisation, roles, _test_hash())


def signed_in(
    core: Any,
    username: str = "tester",
    roles: tuple[str, ...] = ALL_ROLES,
    organisation: str = "city-control",
) -> Any:
    """``core`` with ``username`` signed in (added first if needed); returns ``core``."""
    principal = core.security.principal
    if principal is None or principal.username != username:
        account(core, username, roles, organisation)
        core.security.sign_in(username, TEST_PASSWORD)
    return core


def submit_as(core: Any, command: Any, roles: tuple[str, ...] = ALL_ROLES) -> None:
    """Signs in the person named in ``command.by`` (when it names one), then submits it: for
    tests whose commands come from several people at one desk."""
    by = getattr(command, "by", "")
    if by:
        signed_in(core, by, roles)
    core.submit(command)
