"""The typed publish/subscribe hub: the one way records and events reach the panels.

Subscribers are held weakly so that a closed panel disappears from the hub without having to
remember to unsubscribe (a leaked panel would otherwise keep receiving, and keep running, for the
rest of a 24-hour shift). Delivery is batched: a subscriber receives every message of one publish
call that matches its type in a single call, so a burst of 5,000 alerts is one call, not 5,000.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
BatchCallback = Callable[[Sequence[Any]], None]


def _weak(callback: BatchCallback) -> Callable[[], BatchCallback | None]:
    if hasattr(callback, "__self__") and hasattr(callback, "__func__"):
        return weakref.WeakMethod(callback)  # type: ignore[arg-type]
    return weakref.ref(callback)


@dataclass(eq=False)
class Subscription:
    """Handle returned by ``subscribe``; ``cancel()`` stops delivery before the subscriber dies."""

    hub: Hub
    kind: type
    ref: Callable[[], BatchCallback | None] = field(repr=False)

    def cancel(self) -> None:
        self.hub._remove(self)


class Hub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscriptions: dict[type, list[Subscription]] = defaultdict(list)

    def subscribe(self, kind: type[T], callback: Callable[[Sequence[T]], None]) -> Subscription:
        """Delivers batches of ``kind`` (and its subclasses) to ``callback``, held weakly.

        The callback runs on the publishing thread; GUI code must go through the Qt bridge.
        """
        subscription = Subscription(self, kind, _weak(callback))
        with self._lock:
            self._subscriptions[kind].append(subscription)
        return subscription

    def publish(self, *messages: object) -> None:
        self.publish_batch(messages)

    def publish_batch(self, messages: Iterable[object]) -> None:
        for subscription, batch in self._route(messages):
            callback = subscription.ref()
            if callback is None:
                self._remove(subscription)
                continue
            try:
                callback(batch)
            except Exception:
                # One faulty subscriber must not starve the others of data.
                log.exception("Hub subscriber %r failed on %d message(s)", callback, len(batch))

    def subscriber_count(self) -> int:
        with self._lock:
            return sum(1 for subs in self._subscriptions.values() for s in subs if s.ref())

    def _route(self, messages: Iterable[object]) -> list[tuple[Subscription, list[object]]]:
        with self._lock:
            snapshot = {kind: list(subs) for kind, subs in self._subscriptions.items() if subs}
        batches: dict[int, tuple[Subscription, list[object]]] = {}
        for message in messages:
            for kind in type(message).__mro__:
                for subscription in snapshot.get(kind, ()):
                    key = id(subscription)
                    if key not in batches:
                        batches[key] = (subscription, [])
                    batches[key][1].append(message)
        return list(batches.values())

    def _remove(self, subscription: Subscription) -> None:
        with self._lock:
            subs = self._subscriptions.get(subscription.kind, [])
            if subscription in subs:
                subs.remove(subscription)
