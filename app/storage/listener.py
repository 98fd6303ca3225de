"""Hearing the changes other workstations make to a shared PostgreSQL database.

Every write others must see announces itself in its own transaction (``app.storage.changes``);
this thread LISTENs on that channel with a connection of its own and hands each change, by kind,
to a handler that loads the records and publishes them on this workstation's hub. Pushed, not
polled: a change arrives as soon as it commits, and an idle console costs the database nothing.

The thread never blocks anything else: handlers run here, off the GUI and the services. When
the server goes away (restart, network), it reconnects with a growing pause and then asks for a
resynchronisation, because notifications sent while it was away are lost for good.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.engine import make_url

from app.storage.changes import CHANNEL

log = logging.getLogger(__name__)

Handler = Callable[[list[str]], None]

WAIT_S = 0.5  # how often the thread looks at its stop event while the channel is quiet
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 30.0
CONNECT_TIMEOUT_S = 5
APPLICATION_NAME = "watchfloor-listener"


def conninfo(engine_url: str) -> str:
    """The libpq connection URI for a SQLAlchemy URL (``postgresql+psycopg://...``)."""
    url = make_url(engine_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def parse(payload: str) -> tuple[str, str, list[str]] | None:
    """(origin, kind, identifiers) of an announcement, or None when it is not one of ours."""
    try:
        data = json.loads(payload)
        origin, kind, identifiers = data["o"], data["k"], data["i"]
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(identifiers, list):
        return None
    return str(origin), str(kind), [str(i) for i in identifiers]


def grouped(announcements: Iterable[tuple[str, list[str]]]) -> list[tuple[str, list[str]]]:
    """Consecutive announcements merged by kind, order kept: a burst of 500 alerts becomes
    one load, not 500 (identifiers are deduplicated, first occurrence wins)."""
    out: dict[str, dict[str, None]] = {}
    for kind, identifiers in announcements:
        out.setdefault(kind, {}).update(dict.fromkeys(identifiers))
    return [(kind, list(ids)) for kind, ids in out.items()]


class ChangeListener:
    """``handlers``: kind → callable taking the changed identifiers. ``resync`` runs after a
    reconnect (not after the first connect): what was missed must be loaded again."""

    def __init__(
        self,
        engine_url: str,
        origin: str,
        handlers: Mapping[str, Handler],
        resync: Sequence[Callable[[], None]] = (),
    ) -> None:
        self._conninfo = conninfo(engine_url)
        # Only ever logged without its password.
        self._shown = make_url(engine_url).render_as_string(hide_password=True)
        self.origin = origin
        self.handlers = dict(handlers)
        self.resync = tuple(resync)
        self.connected = threading.Event()
        self.connections = 0  # successful connects so far (a test waits on a reconnect)
        self.received = 0
        self._stop = threading.Event()
        self._connection: Any = None
        self._thread = threading.Thread(target=self._run, name="change-listener", daemon=True)

    def start(self) -> ChangeListener:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.ident is not None:
            self._thread.join(WAIT_S * 4 + CONNECT_TIMEOUT_S)

    def wait_connected(self, timeout: float) -> bool:
        return self.connected.wait(timeout)

    # --- the thread ----------------------------------------------------------------------
    def _run(self) -> None:
        import psycopg

        backoff = FIRST_BACKOFF_S
        while not self._stop.is_set():
            try:
                connection = psycopg.connect(
                    self._conninfo,
                    autocommit=True,
                    connect_timeout=CONNECT_TIMEOUT_S,
                    application_name=APPLICATION_NAME,
                    # A server that vanishes without closing the socket is noticed too.
                    keepalives=1,
                    keepalives_idle=10,
                    keepalives_interval=5,
                    keepalives_count=3,
                )
            except psycopg.Error as exc:
                log.warning(
                    "Cannot listen for other workstations' changes on %s (%s); retrying in %.1f s",
                    self._shown,
                    _first_line(exc),
                    backoff,
                )
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
                continue
            backoff = FIRST_BACKOFF_S
            try:
                with connection:
                    self._listen(connection)
            except psycopg.Error as exc:
                self.connected.clear()
                if not self._stop.is_set():
                    log.warning(
                        "Lost the change channel to %s (%s); reconnecting",
                        self._shown,
                        _first_line(exc),
                    )
        self.connected.clear()

    def _listen(self, connection: Any) -> None:
        connection.execute(f"LISTEN {CHANNEL}")
        self.connections += 1
        reconnected = self.connections > 1
        self.connected.set()
        if reconnected:
            log.info("Listening again for other workstations' changes on %s", self._shown)
            self._resynchronise()
        else:
            log.info("Listening for other workstations' changes on %s", self._shown)
        while not self._stop.is_set():
            batch = list(connection.notifies(timeout=WAIT_S, stop_after=1))
            if batch:
                # Whatever else has already arrived goes with it, grouped by kind.
                batch.extend(connection.notifies(timeout=0))
                self._dispatch(n.payload for n in batch)

    def _dispatch(self, payloads: Iterable[str]) -> None:
        announcements = []
        for payload in payloads:
            parsed = parse(payload)
            if parsed is None:
                log.warning("Ignored an announcement that is not ours: %.200s", payload)
                continue
            origin, kind, identifiers = parsed
            self.received += 1
            if origin == self.origin:
                continue  # this workstation's own change: it published it already
            announcements.append((kind, identifiers))
        for kind, identifiers in grouped(announcements):
            handler = self.handlers.get(kind)
            if handler is None:
                log.debug("No handler for %s changes", kind)
                continue
            started = time.monotonic()
            try:
                handler(identifiers)
            except Exception:
                log.exception("Could not take in %d %s change(s)", len(identifiers), kind)
            log.debug(
                "%d %s change(s) taken in %.1f ms",
                len(identifiers),
                kind,
                (time.monotonic() - started) * 1000,
            )

    def _resynchronise(self) -> None:
        for step in self.resync:
            try:
                step()
            except Exception:
                log.exception("Could not resynchronise after reconnecting")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
