"""What the map still has to draw: the latest state of each object, handed over in batches.

Records arrive far faster than a page should be redrawn (5,000 tracks a second is one update
each). The feed keeps only the newest record per object until the next draw, so the page gets
one call per tick whatever the data rate, and memory is bounded by the number of objects, never
by the number of updates. Conversion to the page's format happens at drain time, once per
object per tick.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.map.objects import MapObject, ObjectKey, is_shown, key_of, to_map_object
from app.terminology import Terminology


@dataclass(frozen=True, slots=True)
class FeedLimits:
    """How much the map keeps: short-lived kinds are capped so a busy detector cannot bury the
    map (oldest go first), and tracks that stop reporting leave after ``track_stale``."""

    detections: int = 500
    posts: int = 300
    track_stale: timedelta = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class MapBatch:
    upsert: list[MapObject]
    remove: list[ObjectKey]

    def to_json_ready(self) -> dict[str, Any]:
        return {"upsert": self.upsert, "remove": [list(key) for key in self.remove]}


_CAPPED = {"detection": "detections", "post": "posts"}


class MapFeed:
    def __init__(self, terms: Terminology, limits: FeedLimits | None = None) -> None:
        self.terms = terms
        self.limits = limits or FeedLimits()
        self._shown: dict[ObjectKey, Any] = {}
        self._order: dict[str, OrderedDict[str, None]] = {kind: OrderedDict() for kind in _CAPPED}
        self._pending: dict[ObjectKey, Any] = {}
        self._removed: set[ObjectKey] = set()

    def add(self, records: Iterable[Any]) -> None:
        for record in records:
            key = key_of(record)
            if not is_shown(record):
                self.remove(key)
                continue
            self._shown[key] = record
            self._pending[key] = record
            self._removed.discard(key)
            if key[0] in _CAPPED:
                self._keep_capped(key)

    def remove(self, key: ObjectKey) -> None:
        if self._shown.pop(key, None) is not None:
            self._removed.add(key)
        self._pending.pop(key, None)
        order = self._order.get(key[0])
        if order is not None:
            order.pop(key[1], None)

    def _keep_capped(self, key: ObjectKey) -> None:
        order = self._order[key[0]]
        order[key[1]] = None
        order.move_to_end(key[1])
        limit = getattr(self.limits, _CAPPED[key[0]])
        while len(order) > limit:
            oldest = next(iter(order))
            self.remove((key[0], oldest))

    def expire(self, now: datetime) -> None:
        """Drops tracks that have not reported for ``track_stale`` (a lost track is not a
        track the operator should keep acting on)."""
        cutoff = now - self.limits.track_stale
        stale = [key for key, r in self._shown.items() if key[0] == "track" and r.time < cutoff]
        for key in stale:
            self.remove(key)

    def resend(self, key: ObjectKey) -> None:
        """One object is sent again (the page dropped it, e.g. a zone whose deletion the store
        refused)."""
        record = self._shown.get(key)
        if record is not None:
            self._pending[key] = record

    def resend_all(self) -> None:
        """Everything shown is sent again, e.g. after a language change or a page reload."""
        self._pending = dict(self._shown)

    def drain(self, limit: int | None = None) -> MapBatch | None:
        """What changed since the last drain; at most ``limit`` objects, the rest waiting for
        the next tick (a burst of thousands is spread over ticks instead of freezing one)."""
        if not self._pending and not self._removed:
            return None
        if limit is None or len(self._pending) <= limit:
            taken, self._pending = self._pending, {}
        else:
            keys = list(itertools.islice(self._pending, limit))
            taken = {key: self._pending.pop(key) for key in keys}
        upsert = [to_map_object(record, self.terms) for record in taken.values()]
        batch = MapBatch(upsert, sorted(self._removed))
        self._removed = set()
        return batch

    def current(self, kinds: Collection[str]) -> list[MapObject]:
        """Every shown object of ``kinds`` as the page draws it, changed since the last drain
        or not; their pending changes and removals are taken with them. Review mode puts the
        live picture back with this, in one call that replaces the page's objects of those
        kinds."""
        self._pending = {key: r for key, r in self._pending.items() if key[0] not in kinds}
        self._removed = {key for key in self._removed if key[0] not in kinds}
        return [to_map_object(r, self.terms) for key, r in self._shown.items() if key[0] in kinds]

    def get(self, key: ObjectKey) -> Any | None:
        return self._shown.get(key)

    def count(self, kind: str) -> int:
        return sum(1 for shown_kind, _ in self._shown if shown_kind == kind)

    def __len__(self) -> int:
        return len(self._shown)
