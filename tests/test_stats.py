"""Statistics for planning: aggregates with known answers, the store read, the CSV exports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import i18n
from app.alerts.geo_math import haversine_m
from app.model import AlertAction, Area, Category, Circle, GeoPoint
from app.stats import (
    Granularity,
    StatsInput,
    ack_distribution,
    category_counts,
    export,
    heat_cell,
    location_heat,
    summarise,
    system_zone,
    top_sources,
)
from app.stats.source import AlertStatsSource
from app.storage import RecordStore, StorageError, create_engine_for
from app.terminology import default_terminology
from tests.factories import alert
from tests.test_i18n import catalog

OSLO = ZoneInfo("Europe/Oslo")
TERMS = default_terminology()
# 20:00 UTC on a summer evening is 22:00 in Oslo: local midnight falls inside the window.
EVENING = datetime(2026, 6, 20, 20, 0, tzinfo=UTC)


def action(alert_id: str, verb: str, at: datetime, identifier: str | None = None) -> AlertAction:
    return AlertAction(
        identifier=identifier or f"{alert_id}-{verb}-{at.timestamp()}",
        alert_identifier=alert_id,
        action=verb,
        by="op-1",
        time=at,
    )


def evening_alerts():
    return [
        alert("late", sent=EVENING + timedelta(minutes=90), category=Category.SECURITY),
        alert("after-midnight", sent=EVENING + timedelta(minutes=130), category=Category.FIRE),
        alert("later", sent=EVENING + timedelta(minutes=170), category=Category.SECURITY),
    ]


# --- alerts per category per hour and day --------------------------------------------------
def test_hour_buckets_are_local_hours_and_include_the_empty_ones():
    counts = category_counts(
        evening_alerts(), EVENING, EVENING + timedelta(hours=4), Granularity.HOUR, OSLO
    )
    assert [b.hour for b in counts.buckets] == [22, 23, 0, 1]
    assert all(b.tzinfo is OSLO for b in counts.buckets)
    assert counts.categories == (Category.SECURITY, Category.FIRE)  # CAP order
    assert counts.counts == ((0, 0), (1, 0), (1, 1), (0, 0))
    assert counts.column(Category.SECURITY) == (0, 1, 1, 0)
    assert counts.totals == (0, 1, 2, 0)


def test_day_buckets_split_at_local_midnight_not_at_utc_midnight():
    alerts = evening_alerts()
    local = category_counts(alerts, EVENING, EVENING + timedelta(hours=4), Granularity.DAY, OSLO)
    assert [(b.day, b.hour) for b in local.buckets] == [(20, 0), (21, 0)]
    assert local.counts == ((1, 0), (1, 1))
    in_utc = category_counts(alerts, EVENING, EVENING + timedelta(hours=4), Granularity.DAY, UTC)
    assert in_utc.counts == ((2, 1),)  # all on the 20th in UTC


def test_the_hour_repeated_when_summer_time_ends_is_two_buckets():
    # Oslo, 25 October 2026: 03:00 summer time becomes 02:00 winter time.
    since = datetime(2026, 10, 24, 23, 0, tzinfo=UTC)
    alerts = [
        alert("summer", sent=since + timedelta(minutes=90)),
        alert("winter", sent=since + timedelta(minutes=150)),
    ]
    counts = category_counts(alerts, since, since + timedelta(hours=3), Granularity.HOUR, OSLO)
    assert [b.hour for b in counts.buckets] == [1, 2, 2]
    assert [b.utcoffset() for b in counts.buckets[1:]] == [timedelta(hours=2), timedelta(hours=1)]
    assert counts.totals == (0, 1, 1)


def test_without_a_zone_hours_are_the_workstations(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", "Asia/Kolkata")  # UTC+05:30: local hours start at half past
    assert system_zone() == ZoneInfo("Asia/Kolkata")
    counts = category_counts(
        [alert(sent=EVENING + timedelta(minutes=20))], EVENING, EVENING + timedelta(hours=1)
    )
    # 20:00 to 21:00 UTC is 01:30 to 02:30 in Kolkata; the alert at 01:50 is in the 01 h bucket.
    assert [(b.hour, b.minute) for b in counts.buckets] == [(1, 0), (2, 0)]
    assert counts.totals == (1, 0)


def test_no_alerts_gives_empty_buckets_and_no_categories():
    counts = category_counts([], EVENING, EVENING + timedelta(hours=2), Granularity.HOUR, OSLO)
    assert len(counts.buckets) == 2 and counts.categories == () and counts.counts == ((), ())


# --- time to acknowledge -------------------------------------------------------------------
def test_time_to_acknowledge_uses_the_first_acknowledgement_and_counts_the_others_apart():
    t0 = EVENING
    alerts = [
        alert("reacked", sent=t0),
        alert("slow", sent=t0),
        alert("resolved-only", sent=t0),
        alert("untouched", sent=t0),
        alert("clock-skew", sent=t0),
    ]
    actions = [
        action("reacked", "acknowledge", t0 + timedelta(minutes=20)),
        action("reacked", "reopen", t0 + timedelta(minutes=10)),
        action("reacked", "acknowledge", t0 + timedelta(minutes=4)),
        action("slow", "acknowledge", t0 + timedelta(minutes=12.5)),
        action("resolved-only", "resolve", t0 + timedelta(minutes=2)),
        action("clock-skew", "acknowledge", t0 - timedelta(minutes=1)),
        action("not-in-period", "acknowledge", t0 + timedelta(minutes=1)),
    ]
    ack = ack_distribution(alerts, actions)
    assert ack.minutes == (0.0, 4.0, 12.5)
    assert ack.never_acknowledged == 2 and ack.acknowledged == 3
    assert ack.edges == tuple(float(m) for m in range(14))  # one-minute bins up to 13
    assert sum(ack.counts) == 3
    assert ack.counts[0] == ack.counts[4] == ack.counts[12] == 1
    assert ack.percentile(50) == 4.0


def test_long_waits_get_wider_round_bins():
    alerts = [alert("a"), alert("b")]
    actions = [
        action("a", "acknowledge", alerts[0].sent + timedelta(minutes=3)),
        action("b", "acknowledge", alerts[1].sent + timedelta(minutes=100)),
    ]
    ack = ack_distribution(alerts, actions)
    assert ack.edges[1] - ack.edges[0] == 5.0 and ack.edges[-1] == 100.0
    assert len(ack.counts) == 20 and ack.counts[0] == 1 and ack.counts[-1] == 1


def test_nothing_acknowledged_leaves_an_empty_histogram():
    ack = ack_distribution([alert("a")], [])
    assert ack.counts == () and ack.edges == () and ack.never_acknowledged == 1
    assert ack.percentile(50) is None


# --- top sources ---------------------------------------------------------------------------
def test_top_sources_busiest_first_ties_by_name_and_the_rest_summed():
    tools = ["b-tool"] * 3 + ["A-tool"] * 3 + ["c-tool"] * 5 + ["d-tool", "e-tool"]
    alerts = [alert(f"a-{i}", source_tool=tool) for i, tool in enumerate(tools)]
    top = top_sources(alerts, limit=3)
    assert top.sources == ("c-tool", "A-tool", "b-tool")
    assert top.counts == (5, 3, 3)
    assert (top.others, top.other_sources) == (2, 2)
    assert top_sources(alerts).others == 0 and len(top_sources(alerts).sources) == 5


def test_only_ten_sources_are_shown_by_default():
    alerts = [alert(f"a-{i}", source_tool=f"tool-{i:02d}") for i in range(12)]
    top = top_sources(alerts)
    assert len(top.sources) == 10 and (top.others, top.other_sources) == (2, 2)


# --- heat map ------------------------------------------------------------------------------
def test_heat_cells_count_by_local_hour_and_busiest_first():
    stage = heat_cell(GeoPoint(59.9118, 10.7332))
    near = [GeoPoint(stage.lat + d, stage.lon - d) for d in (0.0001, -0.0002, 0.0003)]
    alerts = [
        # 20:30 and 21:30 UTC are 22 and 23 h in Oslo.
        alert("s1", point=near[0], area=None, sent=EVENING + timedelta(minutes=30)),
        alert("s2", point=near[1], area=None, sent=EVENING + timedelta(minutes=90)),
        alert("s3", point=near[2], area=None, sent=EVENING + timedelta(minutes=95)),
        alert("far", point=GeoPoint(59.95, 10.80), area=None, sent=EVENING),
        alert("ring", point=None, area=Area("Ring", circle=Circle(GeoPoint(59.95, 10.80), 0.2))),
        alert("nowhere", point=None, area=None),
    ]
    heat = location_heat(alerts, OSLO)
    assert heat.cells[0] == stage
    assert heat.counts[0][22] == 1 and heat.counts[0][23] == 2 and sum(heat.counts[0]) == 3
    assert sum(heat.counts[1]) == 2  # the ring counts at its centre, in the same far cell
    assert heat.unlocated == 1 and heat.elsewhere == 0
    only_one = location_heat(alerts, OSLO, limit=1)
    assert len(only_one.cells) == 1 and only_one.elsewhere == 2


def test_a_cell_centre_is_within_half_a_diagonal_of_its_points():
    for where in (GeoPoint(59.9118, 10.7332), GeoPoint(-33.86, 151.21), GeoPoint(0.001, -0.001)):
        cell = heat_cell(where)
        assert haversine_m(where, GeoPoint(cell.lat, cell.lon)) <= 250 / 2**0.5 + 1
        assert heat_cell(GeoPoint(cell.lat, cell.lon)) == cell


def test_summarise_runs_every_aggregate_in_one_zone():
    data = StatsInput(EVENING, EVENING + timedelta(hours=4), tuple(evening_alerts()))
    report = summarise(data, OSLO)
    assert report.total == 3 and report.zone is OSLO
    assert report.categories(Granularity.DAY).totals == (1, 2)
    assert report.categories(Granularity.HOUR).totals == (0, 1, 2, 0)
    assert report.ack.never_acknowledged == 3
    assert report.sources.sources == ("weapon-detection",)


def test_stats_input_refuses_naive_times():
    with pytest.raises(ValueError, match="time zone"):
        StatsInput(datetime(2026, 1, 1), EVENING, ())


# --- the store read ------------------------------------------------------------------------
@pytest.fixture
def store(record_store: RecordStore) -> RecordStore:
    return record_store


def test_the_source_reads_the_period_and_the_actions_on_its_alerts(store: RecordStore):
    until = EVENING + timedelta(hours=4)
    store.save(
        [
            alert("before", sent=EVENING - timedelta(seconds=1)),
            alert("first", sent=EVENING),
            alert("second", sent=EVENING + timedelta(hours=1)),
            alert("at-the-end", sent=until),
            action("first", "acknowledge", EVENING + timedelta(minutes=3)),
            # Acknowledged after the period ended: still this alert's response time.
            action("second", "acknowledge", until + timedelta(minutes=30)),
            action("before", "acknowledge", EVENING),
        ]
    )
    data = AlertStatsSource(store).load(EVENING, until)
    assert [a.identifier for a in data.alerts] == ["first", "second"]
    assert sorted(a.alert_identifier for a in data.actions) == ["first", "second"]
    assert all(a.sent.tzinfo is not None for a in data.alerts)
    assert (data.since, data.until) == (EVENING, until)
    assert summarise(data, OSLO).ack.minutes == (3.0, 210.0)


def test_the_source_says_why_it_cannot_read(tmp_path: Path):
    empty = RecordStore(create_engine_for(f"sqlite:///{tmp_path / 'empty.db'}"))  # no tables
    with pytest.raises(StorageError, match="could not read alerts"):
        AlertStatsSource(empty).load(EVENING, EVENING + timedelta(hours=1))


# --- CSV -----------------------------------------------------------------------------------
def parsed(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def report():
    unlocated = alert(
        "x",
        sent=EVENING + timedelta(minutes=10),
        source_tool="crowd-counter",
        point=None,
        area=None,
    )
    alerts = (*evening_alerts(), unlocated)
    actions = (action("late", "acknowledge", EVENING + timedelta(minutes=93.5)),)
    return summarise(StatsInput(EVENING, EVENING + timedelta(hours=4), alerts, actions), OSLO)


def test_category_csv_has_local_times_offsets_and_a_total():
    rows = parsed(export.csv_text(export.category_rows(report().per_hour, TERMS)))
    assert rows[0] == ["Period start (local time)", "UTC offset", "Security", "Fire", "Total"]
    assert rows[1] == ["2026-06-20 22:00", "+02:00", "1", "0", "1"]
    assert rows[3] == ["2026-06-21 00:00", "+02:00", "1", "1", "2"]
    assert rows[4] == ["2026-06-21 01:00", "+02:00", "0", "0", "0"]
    assert len(rows) == 5


def test_ack_sources_and_heat_csv_rows():
    summary = report()
    ack = export.ack_rows(summary.ack)
    assert ack[0] == ["From (minutes)", "To (minutes)", "Alerts"]
    assert ack[1:-1] == [["0", "1", "0"], ["1", "2", "0"], ["2", "3", "0"], ["3", "4", "1"]]
    assert ack[-1] == ["Never acknowledged", "", "3"]
    assert export.source_rows(summary.sources) == [
        ["Source", "Alerts"],
        ["weapon-detection", "3"],
        ["crowd-counter", "1"],
    ]
    heat = export.heat_rows(summary.heat)
    assert heat[0][:3] == ["Latitude", "Longitude", "00"] and heat[0][-1] == "Total"
    assert len(heat[0]) == 2 + 24 + 1
    assert heat[1][-1] == "3" and float(heat[1][0]) == pytest.approx(59.9118, abs=0.002)
    assert heat[-1] == ["Without a location", *[""] * 25, "1"]


def test_csv_headers_follow_the_language():
    summary = report()
    i18n.set_language("fr")
    try:
        french = export.category_rows(summary.per_day, TERMS)[0]
        ack_header = export.ack_rows(summary.ack)[0]
    finally:
        i18n.set_language("en")
    fr = catalog("fr")
    assert fr["Security"].string in french and fr["Fire"].string in french
    assert "Security" not in french
    assert ack_header[2] == fr["Alerts"].string != "Alerts"
    assert export.ack_rows(summary.ack)[0][2] == "Alerts"


def test_csv_files_carry_a_byte_order_mark_and_keep_arabic(tmp_path: Path):
    i18n.set_language("ar")
    try:
        rows = export.category_rows(report().per_day, TERMS)
    finally:
        i18n.set_language("en")
    out = tmp_path / "out"
    out.mkdir()
    path = export.write_csv(out / "categories.csv", rows)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert parsed(data.decode("utf-8-sig")) == rows
    assert catalog("ar")["Security"].string in rows[0]
    assert list(out.iterdir()) == [path]  # no partial file left over


def test_a_write_that_fails_raises_oserror_and_leaves_nothing(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OSError):
        export.write_csv(out / "missing" / "x.csv", [["a"]])
    target = out / "taken"
    target.mkdir()  # a folder where the file should go: the final rename fails
    with pytest.raises(OSError):
        export.write_csv(target, [["a"]])
    assert [p.name for p in out.iterdir()] == ["taken"]
