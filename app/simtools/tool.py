"""One simulated tool: its alert feed, the actions it received, and faults to inject."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Fault:
    """A one-shot misbehaviour for the next request: an error status, a body that is not what
    the API promises, a slow answer, or a dropped connection."""

    status: int = 500
    body: bytes = b'{"error": "simulated failure"}'
    content_type: str = "application/json"
    delay_s: float = 0.0
    drop_connection: bool = False


class SimulatedTool:
    def __init__(self, tool_id: str, api_key: str | None = None) -> None:
        self.tool_id = tool_id
        self.api_key = api_key
        self._lock = threading.Lock()
        self._feeds: dict[str, list[tuple[int, Any]]] = {}
        self._faults: deque[Fault] = deque()
        self._actions: dict[str, dict[str, Any]] = {}
        self._documents: dict[str, tuple[bytes, str]] = {}
        self.requests = 0
        self.not_modified = 0

    def serve_document(self, path: str, body: bytes, content_type: str) -> None:
        """Serves ``body`` at ``path`` (a CAP alert, an Atom feed, a STIX bundle...), as tools
        that speak their own standard formats do."""
        with self._lock:
            self._documents[path] = (body, content_type)

    def document(self, path: str) -> tuple[bytes, str] | None:
        with self._lock:
            return self._documents.get(path)

    def publish(self, *items: Any) -> None:
        """Makes alerts available in the feed; each gets the next sequence number (the cursor)."""
        self.publish_records("alerts", *items)

    def publish_records(self, kind: str, *items: Any) -> None:
        """Makes records of ``kind`` (alerts, detections, observations, tracks) available."""
        with self._lock:
            feed = self._feeds.setdefault(kind, [])
            for item in items:
                feed.append((feed[-1][0] + 1 if feed else 1, item))

    def page(self, since: int, limit: int, kind: str = "alerts") -> tuple[list[Any], int, bool]:
        with self._lock:
            newer = [(seq, item) for seq, item in self._feeds.get(kind, []) if seq > since]
        chosen = newer[:limit]
        last = chosen[-1][0] if chosen else since
        return [item for _, item in chosen], last, len(newer) > limit

    def inject(self, fault: Fault, count: int = 1) -> None:
        with self._lock:
            self._faults.extend([fault] * count)

    def next_fault(self) -> Fault | None:
        with self._lock:
            self.requests += 1
            return self._faults.popleft() if self._faults else None

    def record_action(self, action: dict[str, Any]) -> bool:
        """Keeps an operator action; False when this action id was already received."""
        with self._lock:
            if action["action_id"] in self._actions:
                return False
            self._actions[action["action_id"]] = action
            return True

    @property
    def actions(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._actions.values())
