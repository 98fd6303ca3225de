"""Alert floods: when more alerts arrive than an operator can read, say so and group them.

ISA-18.2 calls more than about ten alarms in ten minutes per operator a flood; during one an
operator cannot triage one by one, so the queue switches to groups by event type and source and
a banner says why. The monitor keeps only the alerts inside its window (plus a hard cap), so a
console that runs for weeks uses the same memory on its last day as on its first.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.model import Alert
from app.terminology import Terminology
from i18n import format_decimal, gettext, is_rtl, isolate, ngettext

# A safety net far above any real flood rate; beyond it counts saturate instead of memory growing.
MAX_ENTRIES = 100_000


@dataclass(frozen=True, slots=True)
class FloodGroup:
    event_type: str
    source_tool: str
    count: int
    newest: datetime


@dataclass(frozen=True, slots=True)
class FloodState:
    flooding: bool
    count: int
    groups: tuple[FloodGroup, ...]
    window_s: float = 600.0


@dataclass(frozen=True, slots=True, order=True)
class _Entry:
    time: datetime
    event_type: str
    source_tool: str


class FloodMonitor:
    """Counts alerts in a sliding window of ``window_s`` seconds; flooding while at least
    ``threshold`` alerts are in it. Not thread-safe: feed it from one thread."""

    def __init__(self, threshold: int, window_s: float = 600.0, max_entries: int = MAX_ENTRIES):
        if threshold < 1 or window_s <= 0 or max_entries < 1:
            raise ValueError("flood threshold, window and capacity must be positive")
        self.threshold = threshold
        self.window = timedelta(seconds=window_s)
        self.max_entries = max_entries
        self._entries: list[_Entry] = []  # sorted by time: deliveries may come out of order

    def __len__(self) -> int:
        return len(self._entries)

    def observe(self, alert: Alert, at: datetime | None = None) -> None:
        """Counts one alert at ``at`` (when the console received it) or else at its ``sent``
        time. Only a console time expires old entries here: a tool whose clock runs an hour
        ahead must not empty the window. ``state`` expires them too, and the capacity bounds
        memory even if neither happens."""
        bisect.insort(self._entries, _Entry(at or alert.sent, alert.event_type, alert.source_tool))
        if at is not None:
            self._expire(at)
        if len(self._entries) > self.max_entries:
            del self._entries[: len(self._entries) - self.max_entries]

    def state(self, now: datetime) -> FloodState:
        """The flood state at ``now``; an alert exactly ``window_s`` old has left the window."""
        self._expire(now)
        groups: Counter[tuple[str, str]] = Counter()
        newest: dict[tuple[str, str], datetime] = {}
        for entry in self._entries:
            key = (entry.event_type, entry.source_tool)
            groups[key] += 1
            newest[key] = entry.time  # entries are sorted, so the last one is the newest
        ordered = sorted(
            (FloodGroup(k[0], k[1], n, newest[k]) for k, n in groups.items()),
            key=lambda g: (-g.count, -g.newest.timestamp(), g.event_type, g.source_tool),
        )
        count = len(self._entries)
        return FloodState(
            count >= self.threshold, count, tuple(ordered), self.window.total_seconds()
        )

    def _expire(self, now: datetime) -> None:
        cut = bisect.bisect_right(self._entries, now - self.window, key=lambda e: e.time)
        del self._entries[:cut]


def banner_text(state: FloodState, terms: Terminology) -> str:
    """The banner in the UI language, e.g. "Alert flood: 240 alerts in 10 minutes, grouped by
    type and source. Largest group: Camera offline from vms (180)."; empty without a flood."""
    if not state.flooding:
        return ""
    minutes = max(1, round(state.window_s / 60))
    alerts = ngettext("{count} alert", "{count} alerts", state.count).format(
        count=format_decimal(state.count)
    )
    period = ngettext("{minutes} minute", "{minutes} minutes", minutes).format(
        minutes=format_decimal(minutes)
    )
    text = gettext("Alert flood: {alerts} in {period}, grouped by type and source.").format(
        alerts=alerts, period=period
    )
    if not state.groups:
        return text
    top = state.groups[0]
    largest = gettext("Largest group: {event} from {tool} ({count}).").format(
        event=terms.event_type(top.event_type).name,
        tool=isolate(top.source_tool) if is_rtl() else top.source_tool,
        count=format_decimal(top.count),
    )
    return f"{text} {largest}"
