"""The GUI bridge's filter, judged by a real SecurityService (real core on a SQLite file)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.alerts.service import AlertSnapshot
from app.map.zones import SiteSnapshot
from app.model import Camera, Category, Detection, Post, Priority, Status, Track
from app.runtime import Core
from app.settings import Settings
from app.timeline.messages import ReviewState, TimelineEvent, TimelineWindow
from app.visibility import VisibilityFilter
from tests.factories import T0, alert, one_of_each, signed_in


@pytest.fixture
def core(tmp_path: Path) -> Iterator[Core]:
    core = Core(Settings(database_url=f"sqlite:///{tmp_path / 'v.db'}", demo=False))
    yield core
    core.stop()


SECURITY = alert("security-1", status=Status.ACTUAL)  # Security, P1
TRANSPORT = alert(
    "transport-1",
    status=Status.ACTUAL,
    category=Category.TRANSPORT,
    event_type="train-delay",
    priority=Priority.P2,
)


def mark(lane: str, kind: str, identifier: str, subject: str | None = None) -> TimelineEvent:
    return TimelineEvent(lane, T0, kind, identifier, "title", subject=subject)


def window(*events: TimelineEvent) -> TimelineWindow:
    return TimelineWindow(T0, T0, events, counts=(("alerts-p1", 99),))


def test_an_external_viewer_gets_shared_alerts_and_nothing_raw(core: Core) -> None:
    signed_in(core, "vic", ("external-viewer",), "transport-operator")
    visible = VisibilityFilter(core.security)
    records = one_of_each()
    raw = [r for r in records if isinstance(r, Post | Detection | Track)]
    camera = next(r for r in records if isinstance(r, Camera))
    track = next(r for r in records if isinstance(r, Track))
    site = SiteSnapshot((camera,), (), (), (track,))
    out = visible([SECURITY, TRANSPORT, AlertSnapshot((SECURITY, TRANSPORT)), *raw, site])
    assert [m.identifier for m in out if m in (SECURITY, TRANSPORT)] == ["transport-1"]
    snapshot = next(m for m in out if isinstance(m, AlertSnapshot))
    assert snapshot.alerts == (TRANSPORT,)
    assert not any(isinstance(m, Post | Detection | Track) for m in out)
    site = next(m for m in out if isinstance(m, SiteSnapshot))
    assert site.cameras == () and site.tracks == ()

    (timeline,) = visible(
        [
            window(
                mark("alerts-p1", "alert", "security-1"),
                mark("alerts-p2", "alert", "transport-1"),
                mark("alerts-p3", "alert", "never-seen-here"),
                mark("posts", "post", "post-1"),
                mark("operator-actions", "action", "act-1", subject="transport-1"),
                mark("bookmarks", "bookmark", "b-1"),
            )
        ]
    )
    assert [e.identifier for e in timeline.events] == ["transport-1", "b-1"]
    assert timeline.counts == ()


def test_a_routed_operator_loses_only_the_marks_of_alerts_withheld_from_them(
    core: Core,
) -> None:
    signed_in(core, "pete", ("operator",), "police")  # police: security and CBRNE alerts
    visible = VisibilityFilter(core.security)
    out = visible([SECURITY, TRANSPORT])
    assert [m.identifier for m in out] == ["security-1"]
    (timeline,) = visible(
        [
            window(
                mark("alerts-p1", "alert", "security-1"),
                mark("alerts-p2", "alert", "transport-1"),
                mark("alerts-p3", "alert", "from-before-this-session"),
                mark("operator-actions", "action", "act-1", subject="transport-1"),
                mark("posts", "post", "post-1"),
            )
        ]
    )
    assert [e.identifier for e in timeline.events] == [
        "security-1",
        "from-before-this-session",
        "post-1",
    ]


def test_someone_who_sees_everything_gets_everything_unchanged(core: Core) -> None:
    signed_in(core, "sam", ("supervisor",))
    visible = VisibilityFilter(core.security)
    batch = [SECURITY, TRANSPORT, window(mark("alerts-p1", "alert", "anything")), *one_of_each()]
    out = visible(batch)
    assert len(out) == len(batch)
    assert all(a is b for a, b in zip(out, batch, strict=True))


def test_nobody_signed_in_gets_no_alert(core: Core) -> None:
    assert VisibilityFilter(core.security)([SECURITY, TRANSPORT]) == []


class NarrowedLayers:
    """The real service's judgement, for a person whose roles name only some map layers (no
    bundled role does; a control room's own policy file may)."""

    def __init__(self, core: Core, layers: frozenset[str]) -> None:
        self.core = core
        self.layers = layers

    @property
    def principal(self):  # -> Principal
        return dataclasses.replace(self.core.security.principal, layers=self.layers)

    def visible(self, messages):
        return self.core.security.visible(messages)

    def sees(self, alert_) -> bool:
        return self.core.security.sees(alert_)


def test_a_layer_withheld_is_withheld_from_every_panel(core: Core) -> None:
    signed_in(core, "sue", ("supervisor",))
    visible = VisibilityFilter(NarrowedLayers(core, frozenset({"cameras", "zones", "sensors"})))
    records = one_of_each()
    camera = next(r for r in records if isinstance(r, Camera))
    track = next(r for r in records if isinstance(r, Track))
    review = ReviewState(T0, alerts=(SECURITY,), tracks=(track,), snapshots=(("cam", "u"),))
    out = visible([SECURITY, *records, SiteSnapshot((camera,), (), (), (track,)), review])
    assert SECURITY in out and camera in out
    assert not any(isinstance(m, Post | Detection | Track) for m in out)
    site = next(m for m in out if isinstance(m, SiteSnapshot))
    assert site.cameras == (camera,) and site.tracks == ()
    shown = next(m for m in out if isinstance(m, ReviewState))
    assert shown.alerts == (SECURITY,) and shown.tracks == () and shown.snapshots == (("cam", "u"),)
    (timeline,) = visible(
        [window(mark("detections", "detection", "d-1"), mark("alerts-p1", "alert", "security-1"))]
    )
    assert [e.identifier for e in timeline.events] == ["security-1"]
