"""The timeline's time axis: which instant sits under which pixel, where ticks go, what they say.

Kept free of painting so that the view, the panel and the tests share one mapping: a test that
clicks at pixel ``x`` asks this module which instant that is, exactly as the view does.

Times are float epoch seconds (UTC) inside the timeline; ``datetime`` only at the edges. Ticks
fall on whole local minutes, hours and days (an operator reads local wall-clock time), and their
labels come from Babel skeletons in the UI language, with the locale's own hour cycle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from babel import Locale, dates

from i18n.formatting import babel_locale

MIN_SPAN_S = 60.0  # one minute visible at most zoom
MAX_SPAN_S = 7 * 24 * 3600.0  # a week visible at least zoom
# Tick steps an operator can read at a glance (seconds).
STEPS = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200,
    86400, 172800,
)  # fmt: skip
DAY_S = 86400


@dataclass(frozen=True, slots=True)
class TimeScale:
    """Maps the instants ``[start, end]`` onto the pixels ``[left, left + width]``. Time runs
    left to right in every language (see ``QtTimelineView`` for why)."""

    start: float
    end: float
    left: float
    width: float

    @property
    def span(self) -> float:
        return self.end - self.start

    @property
    def seconds_per_pixel(self) -> float:
        return self.span / max(self.width, 1.0)

    def x_of(self, t: float) -> float:
        return self.left + (t - self.start) / self.span * self.width

    def time_at(self, x: float) -> float:
        return self.start + (x - self.left) / max(self.width, 1.0) * self.span


def clamp_span(span: float) -> float:
    return min(max(span, MIN_SPAN_S), MAX_SPAN_S)


def zoomed(start: float, end: float, factor: float, anchor: float) -> tuple[float, float]:
    """The range after zooming by ``factor`` (< 1 zooms in) around the instant ``anchor``,
    which stays under the same pixel."""
    span = end - start
    new_span = clamp_span(span * factor)
    ratio = (anchor - start) / span if span > 0 else 1.0
    new_start = anchor - ratio * new_span
    return new_start, new_start + new_span


def to_epoch(value: datetime) -> float:
    return value.timestamp()


def to_datetime(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=UTC)


def local_offset(t: float) -> float:
    """Seconds east of UTC of the workstation's zone at ``t``."""
    offset = to_datetime(t).astimezone().utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def ticks(start: float, end: float, step: int) -> list[float]:
    """Instants of the ticks in ``[start, end]`` on local multiples of ``step``."""
    offset = local_offset(start)
    first = math.ceil((start + offset) / step) * step - offset
    count = int((end - first) // step) + 1
    return [first + n * step for n in range(max(count, 0))]


def midnights(start: float, end: float) -> list[float]:
    """The local midnights in ``[start, end]``, where the axis names the new day."""
    return [t for t in ticks(start, end, DAY_S) if t > start]


@lru_cache(maxsize=16)
def _twelve_hour(locale: str) -> bool:
    return "h" in Locale.parse(locale).time_formats["short"].pattern


def tick_label(t: float, step: int) -> str:
    """A tick's text: seconds when ticks are seconds apart, the day for day-long steps, the
    time of day otherwise; in the locale's own clock (``14:00`` or ``2:00 م``)."""
    locale = babel_locale()
    hour = "h" if _twelve_hour(locale) else "H"
    if step >= DAY_S:
        skeleton = "MMMd"
    elif step < 60:
        skeleton = f"{hour}ms"
    else:
        skeleton = f"{hour}m"
    return _format(t, skeleton, locale)


def day_label(t: float) -> str:
    """The day a part of the axis shows (``Fri, 21 Nov 2025``)."""
    return _format(t, "yMMMEd", babel_locale())


def _format(t: float, skeleton: str, locale: str) -> str:
    return dates.format_skeleton(skeleton, to_datetime(t).astimezone(), locale=locale)
