"""The tool API contract: its published document, and what it accepts and refuses."""

import json

import pytest
from pydantic import ValidationError

from app.terminology import default_terminology
from app.toolapi.openapi import DOCUMENT, render
from app.toolapi.schema import AlertIn, describe_error
from tests.test_sync import tool_alert


def test_the_committed_openapi_document_matches_the_models() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), (
        "run 'python -m app.toolapi.openapi' and commit the document"
    )
    document = json.loads(render())
    assert document["info"]["version"] == "1"
    assert "/api/v1/alerts" in document["paths"]
    expected = {"AlertIn", "AlertsPage", "DetectionIn", "ObservationIn", "TrackIn", "ActionOut"}
    assert expected <= set(document["components"]["schemas"])
    assert {"/api/v1/detections", "/api/v1/observations", "/api/v1/tracks"} <= set(
        document["paths"]
    )


def test_a_valid_alert_becomes_a_namespaced_record_with_terminology_defaults() -> None:
    record = AlertIn.model_validate(tool_alert(1, category=None)).to_record(
        "wd", default_terminology()
    )
    assert record.identifier == "wd:wd-1" and record.source_tool == "wd"
    assert record.category.value == "Security" and record.priority.name == "P1"
    assert (record.point.lat, record.point.lon) == (pytest.approx(59.9127), 10.7336)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"identifier": "a,b"}, "identifier"),
        ({"identifier": "<x>"}, "identifier"),
        ({"sent": "yesterday"}, "sent"),
        ({"sent": "2026-06-20T18:00:00"}, "sent"),
        ({"sent": 3}, "sent"),
        ({"event_type": "Knife!"}, "event_type"),
        ({"confidence": 1.5}, "confidence"),
        ({"priority": 0}, "priority"),
        ({"geometry": {"type": "Point", "coordinates": [200, 10]}}, "geometry"),
        (
            {
                "area": {
                    "description": "x",
                    "polygon": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1]]]},
                }
            },
            "area",
        ),
        ({"status": "Maybe"}, "status"),
        ({"headline": ""}, "headline"),
    ],
)
def test_invalid_fields_are_named_in_the_reason(changes: dict, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AlertIn.model_validate(tool_alert(1, **changes))
    reason = describe_error(caught.value)
    assert reason.startswith(field)


def test_rejection_reasons_never_echo_what_the_tool_sent() -> None:
    with pytest.raises(ValidationError) as caught:
        AlertIn.model_validate(tool_alert(1, identifier="<script>x</script>", headline=""))
    assert "<script>" not in describe_error(caught.value)


def test_unknown_fields_from_a_tool_are_ignored() -> None:
    assert AlertIn.model_validate(tool_alert(1, vendor_extension={"a": 1})).identifier == "wd-1"
