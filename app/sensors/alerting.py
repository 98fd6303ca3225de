"""Sensor findings as CAP alerts: event type, CAP grading, words, and a stable identifier.

The identifier names the episode (sensor, kind, level, when it began), not the moment it was
computed, so replaying the same readings after a restart re-delivers the same alert (the store
updates it and keeps the operator's triage) instead of doubling it. The description carries the
numbers that decided it, because "above the level" is not enough to act on.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from app.model import Alert, Certainty, Sensor, Severity, Urgency
from app.terminology import Terminology
from detectors.sensor.findings import FindingKind, Level, SensorFinding
from i18n import format_decimal, gettext

SOURCE_TOOL = "sensor-watch"
SENDER = "sensor-watch@watchfloor"
MAX_IDENTIFIER = 128  # the alerts table's identifier column

_GRADING: dict[tuple[FindingKind, Level], tuple[Urgency, Severity, Certainty, float]] = {
    (FindingKind.THRESHOLD, Level.ALARM): (
        Urgency.IMMEDIATE,
        Severity.SEVERE,
        Certainty.OBSERVED,
        1.0,
    ),
    (FindingKind.THRESHOLD, Level.WARNING): (
        Urgency.EXPECTED,
        Severity.MODERATE,
        Certainty.OBSERVED,
        1.0,
    ),
    (FindingKind.RATE, Level.WARNING): (Urgency.EXPECTED, Severity.MODERATE, Certainty.LIKELY, 0.8),
    (FindingKind.CHANGE, Level.WARNING): (Urgency.FUTURE, Severity.MINOR, Certainty.POSSIBLE, 0.6),
    (FindingKind.STALE, Level.WARNING): (Urgency.EXPECTED, Severity.MINOR, Certainty.OBSERVED, 1.0),
}


def event_type(finding: SensorFinding, sensor: Sensor, biological: frozenset[str]) -> str:
    """A biological alarm is a contamination; every other level crossing is a threshold."""
    if finding.kind is FindingKind.THRESHOLD:
        if finding.level is Level.ALARM and sensor.quantity in biological:
            return "biological_contamination"
        return "sensor_threshold"
    return "sensor_stale" if finding.kind is FindingKind.STALE else "sensor_anomaly"


def alert_identifier(finding: SensorFinding) -> str:
    """``sensor-watch:<sensor>/<kind>/<level>/<episode start>``, hashed when too long."""
    started = _stamp(finding.started) if finding.started else "never"
    raw = f"{finding.sensor_id}/{finding.kind}/{finding.level}/{started}"
    if len(SOURCE_TOOL) + 1 + len(raw) > MAX_IDENTIFIER:
        raw = hashlib.sha256(raw.encode()).hexdigest()[:40]
    return f"{SOURCE_TOOL}:{raw}"


def to_alert(
    finding: SensorFinding, sensor: Sensor, terms: Terminology, biological: frozenset[str]
) -> Alert:
    """The alert for a raising finding (not for ``cleared``, which ends an episode)."""
    kind = terms.event_type(event_type(finding, sensor, biological))
    urgency, severity, certainty, confidence = _GRADING[(finding.kind, finding.level)]
    return Alert(
        identifier=alert_identifier(finding),
        sender=SENDER,
        source_tool=SOURCE_TOOL,
        sent=finding.time,
        event_type=kind.id,
        category=kind.category,
        priority=kind.priority,
        headline=headline(finding, sensor),
        description=description(finding, sensor),
        status=finding.status,
        urgency=urgency,
        severity=severity,
        certainty=certainty,
        confidence=confidence,
        point=sensor.point,
    )


def headline(finding: SensorFinding, sensor: Sensor) -> str:
    if finding.kind is FindingKind.THRESHOLD and finding.level is Level.ALARM:
        text = gettext("{sensor}: above the alarm level")
    elif finding.kind is FindingKind.THRESHOLD:
        text = gettext("{sensor}: above the warning level")
    elif finding.kind is FindingKind.RATE:
        text = gettext("{sensor}: changing fast")
    elif finding.kind is FindingKind.CHANGE:
        text = gettext("{sensor}: unusual readings")
    else:
        text = gettext("{sensor}: not reporting")
    return text.format(sensor=sensor.name)


def description(finding: SensorFinding, sensor: Sensor) -> str:
    facts = {name: number(value) for name, value in finding.facts.items()}
    values = dict(quantity=sensor.quantity, unit=sensor.unit, value=number(finding.value))
    return _TEMPLATES[finding.kind](finding).format(**values, **facts)


def _threshold_text(finding: SensorFinding) -> str:
    if finding.level is Level.ALARM:
        return gettext(
            "{quantity} {value} {unit} stayed above the alarm level {threshold} for "
            "{duration_s} s (required: {min_duration_s} s); it clears below {clears_below}."
        )
    return gettext(
        "{quantity} {value} {unit} stayed above the warning level {threshold} for "
        "{duration_s} s (required: {min_duration_s} s); it clears below {clears_below}."
    )


def _rate_text(finding: SensorFinding) -> str:
    if finding.facts["rate_per_min"] >= 0:
        return gettext(
            "{quantity} rose from {from_value} to {value} {unit} in {span_s} s: "
            "{rate_per_min} {unit}/min, above the limit of {limit_per_min} {unit}/min."
        )
    return gettext(
        "{quantity} fell from {from_value} to {value} {unit} in {span_s} s: "
        "{rate_per_min} {unit}/min, beyond the limit of {limit_per_min} {unit}/min."
    )


def _change_text(finding: SensorFinding) -> str:
    if finding.facts["direction"] > 0:
        return gettext(
            "{quantity} {value} {unit} rose away from its usual {baseline} {unit} "
            "(spread {sigma} {unit}); the change statistic reached {statistic}, above {h}."
        )
    return gettext(
        "{quantity} {value} {unit} fell away from its usual {baseline} {unit} "
        "(spread {sigma} {unit}); the change statistic reached {statistic}, above {h}."
    )


def _stale_text(finding: SensorFinding) -> str:
    return gettext(
        "No reading for {silence_s} s; the sensor reports every {interval_s} s and counts as "
        "silent after {missed_intervals} missed readings."
    )


_TEMPLATES = {
    FindingKind.THRESHOLD: _threshold_text,
    FindingKind.RATE: _rate_text,
    FindingKind.CHANGE: _change_text,
    FindingKind.STALE: _stale_text,
}


def number(value: float) -> str:
    """Readable precision: whole numbers from 100 up, two decimals below 1."""
    if abs(value) >= 100:
        return format_decimal(value, "#,##0")
    return format_decimal(value, "#,##0.#" if abs(value) >= 1 else "0.##")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
