from datetime import datetime

import pytest

from app.model import Area, GeoPoint, Zone
from tests.factories import alert


@pytest.mark.parametrize(
    ("lat", "lon"), [(91, 0), (-91, 0), (0, 181), (0, -180.5), (float("nan"), 0), (0, float("inf"))]
)
def test_points_outside_wgs84_are_refused(lat: float, lon: float) -> None:
    with pytest.raises(ValueError, match="outside"):
        GeoPoint(lat, lon)


def test_geojson_orders_longitude_first_and_round_trips() -> None:
    point = GeoPoint(59.91, 10.73, 12.0)
    assert point.to_geojson() == {"type": "Point", "coordinates": [10.73, 59.91, 12.0]}
    assert GeoPoint.from_geojson(point.to_geojson()) == point
    with pytest.raises(ValueError, match="Point"):
        GeoPoint.from_geojson({"type": "LineString", "coordinates": []})


def test_naive_times_are_refused_because_they_shift_timelines() -> None:
    with pytest.raises(ValueError, match="time zone"):
        alert(sent=datetime(2026, 1, 1, 12, 0))


@pytest.mark.parametrize("confidence", [-0.1, 1.01])
def test_confidence_must_be_a_probability(confidence: float) -> None:
    with pytest.raises(ValueError, match="between 0 and 1"):
        alert(confidence=confidence)


def test_alert_needs_an_identifier() -> None:
    with pytest.raises(ValueError, match="identifier"):
        alert("")


def test_outlines_must_be_closed_rings() -> None:
    open_ring = (GeoPoint(0, 0), GeoPoint(0, 1), GeoPoint(1, 1), GeoPoint(1, 0))
    with pytest.raises(ValueError, match="closed"):
        Area("open", polygon=open_ring)
    with pytest.raises(ValueError, match="closed ring"):
        Zone(identifier="z", name="z", kind="restricted", polygon=open_ring)
    closed = (*open_ring, GeoPoint(0, 0))
    assert Area("ok", polygon=closed).to_geojson()["coordinates"][0][0] == [0, 0]


def test_records_are_immutable_so_threads_can_share_them() -> None:
    record = alert()
    with pytest.raises(AttributeError):
        record.headline = "changed"  # type: ignore[misc]
