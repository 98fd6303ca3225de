"""The sample ring behind the sensor charts."""

from __future__ import annotations

import numpy as np
import pytest

from app.sensors.ring import MAX_CAPACITY, MIN_CAPACITY, SampleRing, capacity_for


def test_the_newest_samples_are_one_ordered_slice():
    ring = SampleRing(5)
    for n in range(12):
        ring.append(float(n), n * 10.0)
    times, values = ring.view()
    assert times.tolist() == [7, 8, 9, 10, 11] and values.tolist() == [70, 80, 90, 100, 110]
    assert not times.flags.writeable


def test_a_partly_filled_ring_and_late_samples():
    ring = SampleRing(10)
    assert len(ring) == 0 and ring.view()[0].size == 0
    ring.extend(np.array([1.0, 2.0, 3.0]), np.array([5.0, 6.0, 7.0]))
    ring.append(2.5, 99.0)  # older than the newest: dropped
    assert ring.view()[0].tolist() == [1.0, 2.0, 3.0]


def test_capacity_follows_window_and_interval_within_bounds():
    assert capacity_for(24 * 3600, 5.0) == int(24 * 3600 / 5 * 1.2)
    assert capacity_for(60, 60) == MIN_CAPACITY
    assert capacity_for(24 * 3600, 0.01) == MAX_CAPACITY
    with pytest.raises(ValueError):
        SampleRing(0)
