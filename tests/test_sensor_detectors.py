"""Sensor detectors on series whose answer is known: levels, rates, change points, silence."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from app.model import Observation, Status
from detectors.api import CancelToken
from detectors.sensor import change, rate, threshold
from detectors.sensor.change import ChangeWatch, CusumParams
from detectors.sensor.findings import FindingKind, Level, SensorFinding
from detectors.sensor.params import DetectionConfig, DetectionParamsError, SensorDetectionParams
from detectors.sensor.rate import RateParams
from detectors.sensor.stale import StaleWatch
from detectors.sensor.threshold import ThresholdParams

T0 = datetime(2026, 6, 20, 18, 0, tzinfo=UTC)
EVERY_S = 5
LEVELS = ThresholdParams(warning=500.0, alarm=900.0, hysteresis=0.05, min_duration_s=0.0)


def reading(index: int, value: float, sensor_id: str = "bio-1", **changes) -> Observation:
    values = dict(
        identifier=f"{sensor_id}-{index}",
        sensor_id=sensor_id,
        time=T0 + timedelta(seconds=index * EVERY_S),
        quantity="bacteria_air",
        value=float(value),
        unit="CFU/m³",
        status=Status.ACTUAL,
    )
    return Observation(**(values | changes))


def series(values: Iterable[float], **changes) -> list[Observation]:
    return [reading(i, v, **changes) for i, v in enumerate(values)]


def index_of(finding: SensorFinding) -> int:
    return int((finding.time - T0).total_seconds()) // EVERY_S


def kinds(findings: Iterable[SensorFinding]) -> list[tuple[FindingKind, Level]]:
    return [(f.kind, f.level) for f in findings]


def run_all(detector, values: Iterable[float], params) -> list[SensorFinding]:
    return list(detector.run(series(values), params, CancelToken()))


# --- thresholds ------------------------------------------------------------------------------


def test_hysteresis_keeps_a_reading_hovering_at_the_level_from_chattering():
    hovering = [400, 505, 495, 510, 480, 502, 490, 501, 476, 499, 470, 400]
    found = run_all(threshold, hovering, LEVELS)
    assert kinds(found) == [
        (FindingKind.THRESHOLD, Level.WARNING),
        (FindingKind.CLEARED, Level.WARNING),
    ]
    assert index_of(found[0]) == 1 and index_of(found[1]) == 10  # 470 < 500 - 25
    without_band = ThresholdParams(warning=500.0, alarm=None, hysteresis=0.0)
    assert len(run_all(threshold, hovering, without_band)) > 2  # what the band prevents


def test_a_short_spike_does_not_raise_and_a_sustained_excess_raises_once():
    params = ThresholdParams(warning=500.0, alarm=None, min_duration_s=30.0)
    spike = [400, 950, 980, 400, 400]
    assert run_all(threshold, spike, params) == []
    sustained = [400] + [612] * 10 + [300]
    found = run_all(threshold, sustained, params)
    assert kinds(found) == [
        (FindingKind.THRESHOLD, Level.WARNING),
        (FindingKind.CLEARED, Level.WARNING),
    ]
    raised = found[0]
    assert index_of(raised) == 7 and raised.started == T0 + timedelta(seconds=EVERY_S)
    assert raised.facts["duration_s"] == 30.0 and raised.facts["threshold"] == 500.0


def test_levels_rise_warning_first_and_clear_alarm_first_and_a_new_entry_is_a_new_episode():
    values = [100, 600, 950, 960, 700, 200, 100, 600, 100]
    found = run_all(threshold, values, LEVELS)
    assert kinds(found) == [
        (FindingKind.THRESHOLD, Level.WARNING),
        (FindingKind.THRESHOLD, Level.ALARM),
        (FindingKind.CLEARED, Level.ALARM),
        (FindingKind.CLEARED, Level.WARNING),
        (FindingKind.THRESHOLD, Level.WARNING),
        (FindingKind.CLEARED, Level.WARNING),
    ]
    first, again = found[0], found[4]
    assert first.started == T0 + timedelta(seconds=5) and again.started == T0 + timedelta(
        seconds=35
    )


def test_a_finding_keeps_the_readings_status():
    exercise = [reading(i, v, status=Status.EXERCISE) for i, v in enumerate([100, 600])]
    found = list(threshold.run(exercise, LEVELS, CancelToken()))
    assert [f.status for f in found] == [Status.EXERCISE]


# --- rate of change --------------------------------------------------------------------------


def test_rate_of_change_beyond_the_limit_raises_once_per_excursion_either_way():
    params = RateParams(limit_per_min=20.0, window_s=60.0)
    slow = [50 + 1.0 * i for i in range(40)]  # 12 per minute
    assert run_all(rate, slow, params) == []
    fast = [50.0] * 20 + [50 + 2.5 * i for i in range(1, 30)] + [122.5] * 30
    fast += [122.5 - 3.0 * i for i in range(1, 20)]
    found = run_all(rate, fast, params)
    assert [f.facts["rate_per_min"] > 0 for f in found] == [True, False]
    rising = found[0]
    assert rising.facts["rate_per_min"] > 20.0 and rising.facts["span_s"] >= 30.0
    assert rising.facts["limit_per_min"] == 20.0


def test_no_rate_is_judged_before_half_the_window_is_covered():
    params = RateParams(limit_per_min=20.0, window_s=60.0)
    assert run_all(rate, [0, 100, 200, 300, 400, 500], params) == []  # 25 s of readings
    assert len(run_all(rate, [0, 100, 200, 300, 400, 500, 600], params)) == 1


# --- statistical change (CUSUM) --------------------------------------------------------------


def changing_series(seed: int, sigma: float, shifts: list[float], span: int) -> np.ndarray:
    """In-control noise around 20 whose mean moves by ``shifts`` (in sigmas) every ``span``."""
    rng = np.random.default_rng(seed)
    means = np.repeat([20.0 + s * sigma for s in shifts], span)
    return means + rng.normal(0.0, sigma, len(means))


def test_cusum_finds_every_known_three_sigma_shift_within_ten_readings():
    span = 300
    shifts = [0, 3, 0, -3, 0, 3, 6, 3, 0, -3]
    values = changing_series(seed=2026, sigma=0.5, shifts=shifts, span=span)
    found = run_all(change, values, CusumParams())
    change_points = [i * span for i in range(1, len(shifts))]
    delays = []
    for point in change_points:
        after = [index_of(f) - point for f in found if point <= index_of(f) < point + span]
        assert after, f"the change at {point} was missed"
        delays.append(after[0])
    assert max(delays) <= 10, delays
    assert len(found) == len(change_points), "an alarm not explained by a change point"
    directions = [f.facts["direction"] for f in found]
    assert directions == [1, -1, -1, 1, 1, 1, -1, -1, -1]


def test_cusum_false_alarms_on_ten_thousand_in_control_readings_stay_rare():
    values = changing_series(seed=7, sigma=2.0, shifts=[0], span=10_000)
    found = run_all(change, values, CusumParams())
    assert len(found) <= 5, [index_of(f) for f in found]


def test_cusum_is_deterministic_and_survives_a_flat_training_window():
    values = [80.0] * 70 + [80.0 - 2.5 * i for i in range(1, 20)]
    first = run_all(change, values, CusumParams())
    assert first == run_all(change, values, CusumParams())
    assert len(first) >= 1 and index_of(first[0]) <= 72
    assert first[0].facts["sigma"] == pytest.approx(0.8)  # the floor, not zero


def test_cusum_waits_for_its_training_window_then_learns_the_new_level():
    watch = ChangeWatch(CusumParams(training_window=20))
    for index, value in enumerate([10.0, 10.2, 9.8, 10.1, 9.9] * 4):
        assert watch.step(reading(index, value)) == ()
    assert watch.baseline is not None and watch.baseline.median == pytest.approx(10.0)


# --- staleness -------------------------------------------------------------------------------


def test_a_silent_sensor_is_stale_once_per_silence():
    watch = StaleWatch(started=T0)
    watch.expect("bio-1", interval_s=5.0, missed_intervals=3)
    watch.seen(reading(0, 100))
    assert watch.check(T0 + timedelta(seconds=14)) == ()
    stale = watch.check(T0 + timedelta(seconds=15))
    assert [(f.sensor_id, f.kind, f.started) for f in stale] == [("bio-1", FindingKind.STALE, T0)]
    assert stale[0].facts["silence_s"] == 15.0
    assert watch.check(T0 + timedelta(minutes=5)) == ()
    watch.seen(reading(0, 100))  # a late duplicate is not a resumption
    assert watch.check(T0 + timedelta(minutes=6)) == ()
    watch.seen(reading(100, 100))  # data resumed at +500 s ...
    assert watch.check(T0 + timedelta(seconds=510)) == ()
    again = watch.check(T0 + timedelta(seconds=515))  # ... and stopped again
    assert len(again) == 1 and again[0].started == T0 + timedelta(seconds=500)


def test_a_sensor_that_never_reported_is_stale_counting_from_the_start():
    watch = StaleWatch(started=T0)
    watch.expect("quiet", interval_s=60.0, missed_intervals=2)
    assert watch.check(T0 + timedelta(seconds=119)) == ()
    found = watch.check(T0 + timedelta(seconds=120))
    assert len(found) == 1 and found[0].started is None
    assert watch.check(T0 + timedelta(hours=1)) == ()


# --- parameters ------------------------------------------------------------------------------


def test_bundled_parameters_have_defaults_and_per_sensor_overrides():
    config = DetectionConfig.load()
    bacteria = config.for_sensor("bio-north-bacteria")
    assert bacteria.rate_limit_per_min is not None and bacteria.min_duration_s == 15
    assert bacteria.cusum_k == config.defaults.cusum_k  # not overridden: the default
    assert config.for_sensor("nobody-knows-me") == config.defaults
    assert "bacteria_air" in config.biological_quantities


@pytest.mark.parametrize(
    ("document", "names"),
    [
        ({"sensors": {"bio-1": {"cusum_h": -1}}}, "sensors.bio-1.cusum_h"),
        ({"defaults": {"hysteresis": 1.5}}, "defaults.hysteresis"),
        ({"defaults": {"training_window": 2.5}}, "defaults.training_window"),
        ({"defaults": {"min_duration_s": True}}, "defaults.min_duration_s"),
        ({"defaults": {"min_duration": 5}}, "defaults.min_duration"),
        ({"defaults": {"detectors": ["threshold", "psychic"]}}, "defaults.detectors"),
        ({"sensors": {"bio-1": "loud"}}, "sensors.bio-1"),
        ({"colour": "red"}, "'colour'"),
    ],
)
def test_bad_parameters_are_refused_naming_the_key(document, names):
    with pytest.raises(DetectionParamsError, match=f".*{names}"):
        DetectionConfig.from_document(json.loads(json.dumps(document)))


def test_an_override_builds_on_the_files_defaults():
    document = {"defaults": {"cusum_h": 6.0}, "sensors": {"bio-1": {"cusum_k": 1.0}}}
    config = DetectionConfig.from_document(document)
    assert config.for_sensor("bio-1") == SensorDetectionParams(cusum_h=6.0, cusum_k=1.0)


# --- the SDK ---------------------------------------------------------------------------------


def test_cancelling_stops_a_detector_between_yields():
    pulled = 0

    def endless() -> Iterator[Observation]:
        nonlocal pulled
        for index in itertools.count():
            pulled += 1
            yield reading(index, 600 if index % 2 == 0 else 100)

    token = CancelToken()
    findings = threshold.run(endless(), LEVELS, token)
    assert next(findings).kind is FindingKind.THRESHOLD
    assert next(findings).kind is FindingKind.CLEARED
    token.cancel()
    assert token.cancelled
    assert list(findings) == []
    assert pulled == 2
