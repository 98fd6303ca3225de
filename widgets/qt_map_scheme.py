"""Serves ``app://`` to the map page, and keeps the page from reaching anything else.

QtWebEngine asks for each resource on the GUI thread; reading a tile or a file there would make
the GUI wait on the disk. The handler passes each request to a small pool of workers
(``app.map.served`` does the reading) and answers the request when the worker's result comes
back as a queued signal. A request the page abandons is simply not answered.
"""

from __future__ import annotations

import logging
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from PySide6.QtCore import QBuffer, QByteArray, QFile, QIODevice, QObject, Qt, Signal, Slot
from PySide6.QtWebEngineCore import (
    QWebEngineUrlRequestInfo,
    QWebEngineUrlRequestInterceptor,
    QWebEngineUrlRequestJob,
    QWebEngineUrlSchemeHandler,
)

from app.map.page import SCHEME
from app.map.served import MapResources, NotServedError, Served

log = logging.getLogger(__name__)

WORKERS = 2
KEPT_ADDRESSES = 2000
_ERRORS = {
    400: QWebEngineUrlRequestJob.Error.UrlInvalid,
    403: QWebEngineUrlRequestJob.Error.RequestDenied,
    404: QWebEngineUrlRequestJob.Error.UrlNotFound,
}


def _qt_resource(path: str) -> Served:
    """qwebchannel.js lives in Qt's own resources (memory, not disk)."""
    if path != "/qwebchannel.js":
        raise NotServedError(404, f"no Qt resource {path!r}")
    handle = QFile(":/qtwebchannel/qwebchannel.js")
    if not handle.open(QIODevice.OpenModeFlag.ReadOnly):
        raise NotServedError(404, "Qt's qwebchannel.js is missing")
    return Served("application/javascript", bytes(handle.readAll().data()))


class QtAppSchemeHandler(QWebEngineUrlSchemeHandler):
    sig_resolved = Signal(int, object)

    def __init__(self, resources: MapResources, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.resources = resources
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="map-serve")
        self._jobs: dict[int, QWebEngineUrlRequestJob] = {}
        self._next = 0
        self._stopped = False
        self.sig_resolved.connect(self._on_resolved, Qt.ConnectionType.QueuedConnection)

    def requestStarted(self, job: QWebEngineUrlRequestJob) -> None:
        url = job.requestUrl()
        host, path = url.host(), url.path()
        if host == "qt":
            self._answer(job, self._resolve(host, path))
            return
        if self._stopped:
            job.fail(QWebEngineUrlRequestJob.Error.RequestAborted)
            return
        self._next += 1
        ticket = self._next
        self._jobs[ticket] = job
        job.destroyed.connect(lambda *_: self._jobs.pop(ticket, None))
        self._pool.submit(self._work, ticket, host, path)

    def _work(self, ticket: int, host: str, path: str) -> None:
        self.sig_resolved.emit(ticket, self._resolve(host, path))

    def _resolve(self, host: str, path: str) -> Served | NotServedError:
        try:
            if host == "qt":
                return _qt_resource(path)
            return self.resources.resolve(host, path)
        except NotServedError as exc:
            return exc
        except Exception as exc:  # a bad file must not take the map down
            log.exception("Serving app://%s%s failed", host, path)
            return NotServedError(500, str(exc))

    @Slot(int, object)
    def _on_resolved(self, ticket: int, result: Served | NotServedError) -> None:
        job = self._jobs.pop(ticket, None)
        if job is not None:
            self._answer(job, result)

    def _answer(self, job: QWebEngineUrlRequestJob, result: Served | NotServedError) -> None:
        try:
            if isinstance(result, NotServedError):
                if result.status != 404:
                    log.warning("Map page request refused: %s", result)
                job.fail(_ERRORS.get(result.status, QWebEngineUrlRequestJob.Error.RequestFailed))
                return
            buffer = QBuffer(job)
            buffer.setData(QByteArray(result.body))
            buffer.open(QIODevice.OpenModeFlag.ReadOnly)
            job.reply(result.mime.encode(), buffer)
        except RuntimeError:
            pass  # the page went away while the worker was reading

    def stop(self) -> None:
        self._stopped = True
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._jobs.clear()


class QtOfflineInterceptor(QWebEngineUrlRequestInterceptor):
    """Blocks every request that is not ``app://`` (or inline data), except to the hosts of
    online sources the operator configured. The last addresses asked for and refused are kept
    (bounded), for the offline test and for diagnosis."""

    LOCAL_SCHEMES = frozenset({SCHEME, "data", "blob", "qrc"})

    def __init__(self, allowed_hosts: frozenset[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.allowed_hosts = allowed_hosts
        self.requested: deque[str] = deque(maxlen=KEPT_ADDRESSES)
        self.refused: deque[str] = deque(maxlen=KEPT_ADDRESSES)

    def interceptRequest(self, info: QWebEngineUrlRequestInfo) -> None:
        url = info.requestUrl()
        self.requested.append(url.toString())
        if url.scheme() in self.LOCAL_SCHEMES or url.host() in self.allowed_hosts:
            return
        self.refused.append(url.toString())
        log.warning("Map page tried to reach %s; blocked (offline by design)", url.toString())
        info.block(True)
