"""What an MQTT source tells the status bar: counters, the words for its state, and when to say it.

Kept apart from the threads so that the rules (worst news first, a dropped reading shown for a
while, a rejection that fades, no heartbeat) read in one place. The tally is the one object two
threads share: paho's network thread writes it, the source thread reads it, under a lock.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from app.hub import Hub
from app.messages import HealthState, SourceHealth
from app.mqtt.mapping import Reason
from i18n import gettext, ngettext

HEALTH_INTERVAL_S = 1.0
DROPS_SHOWN_S = 2.0  # degraded for this long after the last reading dropped at the door
MAX_TOPIC_SHOWN = 200
NEVER = float("-inf")  # a monotonic time before any other: "has not happened yet"


@dataclass(frozen=True, slots=True)
class LinkStatus:
    """The broker link's state as the network thread last saw it; immutable, so that the
    source thread can read it without holding the link's lock."""

    state: HealthState
    reason: Reason | None = None


class Tally:
    """Counters the network thread writes and the source thread reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rejected = 0
        self.dropped = 0
        self._last_rejection: tuple[str, Reason] | None = None
        self._rejected_at = NEVER
        self._last_drop = NEVER
        self._last_log = NEVER

    def reject(self, topic: str, reason: Reason) -> bool:
        """Counts a rejection; True when it should be logged (at most one line a second, a
        misconfigured sensor must not flood the log)."""
        with self._lock:
            self.rejected += 1
            self._last_rejection = (topic[:MAX_TOPIC_SHOWN], reason)
            now = self._rejected_at = time.monotonic()
            if now - self._last_log < HEALTH_INTERVAL_S:
                return False
            self._last_log = now
            return True

    def recent_rejection(self, shown_s: float) -> tuple[str, Reason] | None:
        """The last rejection if it is younger than ``shown_s``; the caller chooses how long,
        so that the source keeps the knob (and tests can shorten it)."""
        with self._lock:
            if time.monotonic() - self._rejected_at >= shown_s:
                return None
            return self._last_rejection

    def drop(self) -> None:
        """Counts a reading the full queue turned away; called on paho's thread, never blocks
        for long."""
        with self._lock:
            self.dropped += 1
            self._last_drop = time.monotonic()

    def dropping(self) -> bool:
        """True while the last drop is recent enough to keep the source shown as degraded."""
        with self._lock:
            return time.monotonic() - self._last_drop < DROPS_SHOWN_S


def describe(
    link: LinkStatus, store_error: str, holding: int, tally: Tally, rejection_shown_s: float
) -> tuple[HealthState, str]:
    """The source's state and its words, worst news first: a link that is not up hides
    everything else, then a store that refuses, then readings dropped, then a recent rejection
    (which is news but not a fault, so the state stays OK)."""
    if link.state is not HealthState.OK:
        return link.state, link.reason.text() if link.reason else ""
    if store_error:
        text = gettext("Cannot store readings, holding {count}: {reason}")
        return HealthState.DEGRADED, text.format(count=holding, reason=store_error)
    if tally.dropping():
        return HealthState.DEGRADED, _dropped(tally.dropped)
    last = tally.recent_rejection(rejection_shown_s)
    if last is None:
        return HealthState.OK, ""
    return HealthState.OK, gettext("Rejected a message on {topic}: {reason}").format(
        topic=last[0], reason=last[1].text()
    )


def _dropped(count: int) -> str:
    """Says how many readings the full queue turned away, since the source started."""
    text = ngettext(
        "{count} reading dropped: the console could not keep up",
        "{count} readings dropped: the console could not keep up",
        count,
    )
    return text.format(count=count)


class Reporter:
    """Publishes one source's ``SourceHealth`` at once when the state changes, otherwise at
    most once a second and only when something changed (a status bar needs no heartbeat)."""

    def __init__(self, source_id: str, title: str) -> None:
        self._source_id = source_id
        self._title = title
        self._published: tuple[HealthState, str, int, int] | None = None
        self._published_at = 0.0

    def report(
        self, hub: Hub, state: HealthState, error: str, records_in: int, records_rejected: int
    ) -> None:
        """Publishes the health on the hub if it is due (see the class)."""
        current = (state, error, records_in, records_rejected)
        now = time.monotonic()
        if not self._due(current, now):
            return
        self._published, self._published_at = current, now
        health = SourceHealth(
            self._source_id,
            self._title,
            state,
            error,
            records_in=records_in,
            records_rejected=records_rejected,
        )
        hub.publish(health)

    def _due(self, current: tuple[HealthState, str, int, int], now: float) -> bool:
        """A new state is due at once; the same state with new numbers or words once a second."""
        previous = self._published
        if previous == current:
            return False
        same_state = previous is not None and previous[0] is current[0]
        return not (same_state and now - self._published_at < HEALTH_INTERVAL_S)
