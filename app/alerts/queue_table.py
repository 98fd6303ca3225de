"""The alert queue's rows, kept column by column so that sorting and filtering a million
alerts is a few numpy operations rather than a million Python comparisons.

The queue orders by priority (P1 first), then newest first. Shelved alerts are hidden unless
asked for (ISA-18.2 shelving takes an alert out of the operator's way for a while).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from app.alerts.lifecycle import OPEN_STATES
from app.model import Alert, AlertState, Category, Priority

STATE_CODES = {state: code for code, state in enumerate(AlertState)}
CATEGORY_CODES = {category: code for code, category in enumerate(Category)}
_NEVER = float("-inf")


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What the operator asked to see; ``None`` means "any"."""

    states: frozenset[AlertState] | None = OPEN_STATES
    priorities: frozenset[Priority] | None = None
    categories: frozenset[Category] | None = None
    sources: frozenset[str] | None = None
    text: str = ""
    include_shelved: bool = False


class AlertTable:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []
        self._row_of: dict[str, int] = {}
        self._sources: dict[str, int] = {}
        self._groups: dict[tuple[str, str], int] = {}
        self._columns: dict[str, list] = {
            "priority": [],
            "sent": [],
            "state": [],
            "category": [],
            "source": [],
            "shelved_until": [],
            "text": [],
            "group": [],
        }
        self._arrays: dict[str, np.ndarray] | None = None

    def __len__(self) -> int:
        return len(self.alerts)

    def row_of(self, identifier: str) -> int | None:
        return self._row_of.get(identifier)

    def upsert(self, alerts: Iterable[Alert]) -> int:
        """Adds new alerts and replaces changed ones; returns how many rows were new."""
        added = 0
        for alert in alerts:
            row = self._row_of.get(alert.identifier)
            if row is None:
                row = len(self.alerts)
                self._row_of[alert.identifier] = row
                self.alerts.append(alert)
                for column in self._columns.values():
                    column.append(None)
                added += 1
            else:
                self.alerts[row] = alert
            self._set_keys(row, alert)
        self._arrays = None
        return added

    def _set_keys(self, row: int, alert: Alert) -> None:
        columns = self._columns
        columns["priority"][row] = int(alert.priority)
        columns["sent"][row] = alert.sent.timestamp()
        columns["state"][row] = STATE_CODES[alert.state]
        columns["category"][row] = CATEGORY_CODES[alert.category]
        columns["source"][row] = self._sources.setdefault(alert.source_tool, len(self._sources))
        columns["shelved_until"][row] = (
            alert.shelved_until.timestamp() if alert.shelved_until else _NEVER
        )
        columns["group"][row] = self._groups.setdefault(
            (alert.event_type, alert.source_tool), len(self._groups)
        )
        columns["text"][row] = " ".join(
            (alert.headline, alert.description, alert.event_type, alert.sender)
        ).casefold()

    def _keys(self) -> dict[str, np.ndarray]:
        if self._arrays is None:
            c = self._columns
            self._arrays = {
                "priority": np.asarray(c["priority"], dtype=np.int8),
                "sent": np.asarray(c["sent"], dtype=np.float64),
                "state": np.asarray(c["state"], dtype=np.int8),
                "category": np.asarray(c["category"], dtype=np.int8),
                "source": np.asarray(c["source"], dtype=np.int32),
                "shelved_until": np.asarray(c["shelved_until"], dtype=np.float64),
                "group": np.asarray(c["group"], dtype=np.int32),
            }
        return self._arrays

    def view(self, wanted: QueueFilter, now: datetime) -> np.ndarray:
        """Row numbers to show, in queue order."""
        if not self.alerts:
            return np.empty(0, dtype=np.int64)
        keys = self._keys()
        mask = np.ones(len(self.alerts), dtype=bool)
        if wanted.states is not None:
            mask &= np.isin(keys["state"], [STATE_CODES[s] for s in wanted.states])
        if wanted.priorities is not None:
            mask &= np.isin(keys["priority"], [int(p) for p in wanted.priorities])
        if wanted.categories is not None:
            mask &= np.isin(keys["category"], [CATEGORY_CODES[c] for c in wanted.categories])
        if wanted.sources is not None:
            codes = [self._sources[s] for s in wanted.sources if s in self._sources]
            mask &= np.isin(keys["source"], codes)
        if not wanted.include_shelved:
            mask &= keys["shelved_until"] <= now.timestamp()
        rows = np.flatnonzero(mask)
        needle = wanted.text.strip().casefold()
        if needle:
            text = self._columns["text"]
            rows = rows[np.fromiter((needle in text[r] for r in rows), dtype=bool, count=len(rows))]
        order = np.lexsort((-keys["sent"][rows], keys["priority"][rows]))
        return rows[order]

    def grouped(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One row per event type and source, the first in queue order (the most urgent and
        newest), with how many alerts each stands for: a flood seen as a situation."""
        if not len(rows):
            return rows, np.empty(0, dtype=np.int64)
        codes = self._keys()["group"][rows]
        _, first, counts = np.unique(codes, return_index=True, return_counts=True)
        keep = np.argsort(first)
        return rows[first[keep]], counts[keep]

    def sources(self) -> list[str]:
        return sorted(self._sources)
