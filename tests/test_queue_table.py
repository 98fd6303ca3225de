from datetime import timedelta

import pytest

from app.alerts.queue_table import AlertTable, QueueFilter
from app.model import AlertState, Category, Priority
from tests.factories import T0, alert


def build() -> AlertTable:
    table = AlertTable()
    table.upsert(
        [
            alert("p3-old", priority=Priority.P3, sent=T0, headline="Loitering at gate"),
            alert("p1-old", priority=Priority.P1, sent=T0, headline="Knife at stage"),
            alert(
                "p1-new",
                priority=Priority.P1,
                sent=T0 + timedelta(minutes=5),
                headline="Firearm at stage",
                source_tool="cam-tool",
            ),
            alert("p2-done", priority=Priority.P2, state=AlertState.RESOLVED, headline="Crowd"),
            alert(
                "p2-shelved",
                priority=Priority.P2,
                shelved_until=T0 + timedelta(hours=1),
                category=Category.SAFETY,
                headline="Sensor drift",
            ),
        ]
    )
    return table


def ids(table: AlertTable, rows) -> list[str]:
    return [table.alerts[r].identifier for r in rows]


def test_open_alerts_by_priority_then_newest_first_without_shelved() -> None:
    table = build()
    assert ids(table, table.view(QueueFilter(), T0)) == ["p1-new", "p1-old", "p3-old"]


def test_shelved_alerts_return_when_their_shelving_ends_or_when_asked() -> None:
    table = build()
    later = T0 + timedelta(hours=2)
    assert "p2-shelved" in ids(table, table.view(QueueFilter(), later))
    assert "p2-shelved" in ids(table, table.view(QueueFilter(include_shelved=True), T0))


def test_filters_combine() -> None:
    table = build()
    every_state = QueueFilter(states=None, include_shelved=True)
    assert ids(table, table.view(QueueFilter(states=frozenset({AlertState.RESOLVED})), T0)) == [
        "p2-done"
    ]
    assert ids(table, table.view(QueueFilter(priorities=frozenset({Priority.P1})), T0)) == [
        "p1-new",
        "p1-old",
    ]
    safety = QueueFilter(states=None, categories=frozenset({Category.SAFETY}), include_shelved=True)
    assert ids(table, table.view(safety, T0)) == ["p2-shelved"]
    assert ids(table, table.view(QueueFilter(sources=frozenset({"cam-tool"})), T0)) == ["p1-new"]
    assert ids(table, table.view(QueueFilter(text="  STAGE "), T0)) == ["p1-new", "p1-old"]
    assert len(table.view(every_state, T0)) == 5
    assert len(table.view(QueueFilter(sources=frozenset({"nobody"})), T0)) == 0


def test_updates_replace_rows_in_place() -> None:
    table = build()
    assert table.upsert([alert("p3-old", priority=Priority.P3, state=AlertState.DISMISSED)]) == 0
    assert len(table) == 5
    assert "p3-old" not in ids(table, table.view(QueueFilter(), T0))


def test_an_empty_queue_has_no_rows() -> None:
    assert len(AlertTable().view(QueueFilter(), T0)) == 0


def test_dedup_looks_only_inside_the_batch_box_widened_by_the_distance() -> None:
    from app.alerts.repository import BoundingBox
    from app.model import GeoPoint

    box = BoundingBox.around([alert(point=GeoPoint(59.9, 10.7)), alert(point=None)], 50.0)
    assert box.south < 59.9 < box.north and box.west < 10.7 < box.east
    assert (box.north - 59.9) * 111_320 == pytest.approx(50.0)
    assert (box.east - 10.7) > (box.north - 59.9), "a degree of longitude is shorter up north"
    assert BoundingBox.around([alert(point=None)], 50.0) is None


def test_grouping_keeps_the_most_urgent_newest_row_of_each_type_and_source() -> None:
    table = build()
    rows, sizes = table.grouped(table.view(QueueFilter(states=None, include_shelved=True), T0))
    shown = dict(zip(ids(table, rows), sizes.tolist(), strict=True))
    assert shown == {"p1-new": 1, "p1-old": 4}
