"""The single entry for records: stored first, then published.

Nothing reaches a panel that is not in the store, so what the operator saw can always be
reconstructed, and a crash loses nothing that was shown.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any, Protocol

from app.hub import Hub
from app.messages import HealthState, SourceHealth
from app.storage import RecordStore, StorageError
from i18n import N_, gettext

log = logging.getLogger(__name__)

STORE_SOURCE_ID = "store"


class Pipeline(Protocol):
    """Turns a validated batch into what is stored (alerts: priority, repeats, triage kept)."""

    def prepare(self, records: Sequence[Any]) -> list[Any]: ...


STORE_TITLE = N_("Record store")


class Ingest:
    def __init__(self, store: RecordStore, hub: Hub, pipeline: Pipeline | None = None) -> None:
        self.store = store
        self.hub = hub
        self.pipeline = pipeline
        self._lock = threading.Lock()
        self._failing = False
        self.accepted = 0

    def accept(self, records: Sequence[Any]) -> int:
        """Stores ``records`` as one batch and publishes them; raises ``StorageError`` unchanged
        so that the caller keeps the batch and retries (nothing accepted is dropped)."""
        if not records:
            return 0
        try:
            if self.pipeline is not None:
                records = self.pipeline.prepare(records)
            count = self.store.save(records)
        except StorageError as exc:
            self._report(HealthState.DOWN, str(exc))
            raise
        with self._lock:
            self.accepted += count
            recovered, self._failing = self._failing, False
        if recovered:
            self._report(HealthState.OK, "")
        self.hub.publish_batch(records)
        return count

    def _report(self, state: HealthState, error: str) -> None:
        with self._lock:
            if state is HealthState.DOWN:
                self._failing = True
        if error:
            log.error("Store failed: %s", error)
        self.hub.publish(
            SourceHealth(
                STORE_SOURCE_ID, gettext(STORE_TITLE), state, error, records_in=self.accepted
            )
        )
