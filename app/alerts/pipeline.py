"""What happens to tool alerts between validation and the store: priority by the rules,
re-deliveries that keep the operator's triage, and repeats folded into the alert they repeat.

Runs on the ingesting thread, one batch at a time, with two queries per batch (not per alert)
so that a burst of thousands stays cheap.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from app.alerts.dedup import DedupRules, find_repeat, fold_repeat
from app.alerts.priority import PriorityRules
from app.alerts.repository import AlertRepository, BoundingBox
from app.alerts.spatial import GridIndex
from app.model import Alert
from app.terminology import Terminology


class AlertPipeline:
    def __init__(
        self,
        repository: AlertRepository,
        terms: Terminology,
        priority_rules: PriorityRules,
        dedup_rules: DedupRules,
    ) -> None:
        self.repository = repository
        self.terms = terms
        self.priority_rules = priority_rules
        self.dedup_rules = dedup_rules

    def prepare(self, records: Sequence[Any]) -> list[Any]:
        alerts = [r for r in records if isinstance(r, Alert)]
        if not alerts:
            return list(records)
        known = self.repository.by_ids(a.identifier for a in alerts)
        earliest = min(a.sent for a in alerts) - timedelta(seconds=self.dedup_rules.window_s)
        candidates = GridIndex(self.dedup_rules.distance_m)
        box = BoundingBox.around(alerts, self.dedup_rules.distance_m)
        sources = {a.source_tool for a in alerts}
        for candidate in self.repository.open_since(earliest, sources, box):
            candidates.add(_group(candidate), candidate)
        prepared: dict[str, Alert] = {}
        for alert in alerts:
            alert = self._prioritised(alert)
            stored = prepared.get(alert.identifier) or known.get(alert.identifier)
            if stored is not None:
                result = self._redelivered(stored, alert)
            else:
                # Only alerts in neighbouring cells can be repeats: linear, not quadratic.
                near = (
                    prepared.get(c.identifier, c) for c in candidates.near(_group(alert), alert)
                )
                repeat = find_repeat(alert, near, self.dedup_rules)
                result = alert if repeat is None else fold_repeat(repeat, alert)
            if result.identifier not in prepared:
                candidates.add(_group(result), result)
            prepared[result.identifier] = result
        others = [r for r in records if not isinstance(r, Alert)]
        return [*prepared.values(), *others]

    def _prioritised(self, alert: Alert) -> Alert:
        """The rules' priority, never less urgent than what the tool or terminology gave."""
        assessed = self.priority_rules.assess(alert, self.terms).priority
        return dataclasses.replace(alert, priority=min(assessed, alert.priority))

    @staticmethod
    def _redelivered(stored: Alert, incoming: Alert) -> Alert:
        """The tool's newest content with the console's own state kept (an escalation is not
        undone by a re-send)."""
        return dataclasses.replace(
            incoming,
            state=stored.state,
            assignee=stored.assignee,
            shelved_until=stored.shelved_until,
            state_reason=stored.state_reason,
            occurrences=stored.occurrences,
            last_seen=stored.last_seen,
            priority=min(stored.priority, incoming.priority),
            version=stored.version,
        )


def _group(alert: Alert) -> tuple[str, str, str]:
    """Only alerts of one tool, one event type and one status can repeat each other."""
    return alert.source_tool, alert.event_type, alert.status.value
