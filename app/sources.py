"""Data sources and the threads that run them.

A source is any object with ``id``, ``title`` and ``run(ingest, hub, token)``; ``run`` blocks
until ``token`` is set and must check it at least every second. Each source gets its own
thread, so a slow or hung tool never delays another, nor the GUI.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from app.hub import Hub
from app.ingest import Ingest
from app.messages import HealthState, SourceHealth

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 5.0


class Source(Protocol):
    id: str
    title: str

    def run(self, ingest: Ingest, hub: Hub, token: threading.Event) -> None: ...


class SourceRunner:
    def __init__(self, ingest: Ingest, hub: Hub) -> None:
        self.ingest = ingest
        self.hub = hub
        self._token = threading.Event()
        self._threads: dict[str, threading.Thread] = {}

    def start(self, source: Source) -> None:
        if source.id in self._threads:
            raise ValueError(f"source {source.id!r} is already running")
        thread = threading.Thread(
            target=self._guarded, args=(source,), name=f"source-{source.id}", daemon=True
        )
        self._threads[source.id] = thread
        thread.start()

    def _guarded(self, source: Source) -> None:
        try:
            source.run(self.ingest, self.hub, self._token)
        except Exception as exc:
            log.exception("Source %s stopped with an error", source.id)
            self.hub.publish(SourceHealth(source.id, source.title, HealthState.DOWN, str(exc)))

    def stop(self) -> None:
        """Asks every source to stop and waits for them; a source that ignores its token is
        reported, not waited for forever (its thread is a daemon)."""
        self._token.set()
        for source_id, thread in self._threads.items():
            thread.join(JOIN_TIMEOUT_S)
            if thread.is_alive():
                log.error("Source %s did not stop within %.0f s", source_id, JOIN_TIMEOUT_S)
        self._threads.clear()

    @property
    def running(self) -> list[str]:
        return [sid for sid, thread in self._threads.items() if thread.is_alive()]
