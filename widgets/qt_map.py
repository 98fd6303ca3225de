"""Map panel: the Leaflet page in a web view, fed from the hub in batches.

Records reach the panel on the GUI thread and go into a ``MapFeed``; a timer hands the page one
batch per tick (at most 20 calls a second, whatever the data rate). The page talks back over
QWebChannel (``QtMapBridge``): a click selects on the hub, a drawn zone becomes a command to the
core, which stores it and publishes it, and only then does the zone appear.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEnginePage, QWebEngineProfile
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.alerts.service import AlertSnapshot
from app.map.feed import MapFeed
from app.map.page import PAGE_URL, SCHEME
from app.map.served import MapResources
from app.map.texts import page_texts
from app.map.zones import (
    DeleteZone,
    SaveZone,
    SiteSnapshot,
    ZoneRefused,
    ZoneRemoved,
)
from app.messages import Selection
from app.model import Alert, Camera, Detection, Post, Sensor, Track, Zone, utc_now
from app.security.model import Permission
from app.timeline.messages import ReviewState
from i18n import gettext, lazy_gettext
from widgets.facade import PanelContext
from widgets.permission_gate import PermissionGate
from widgets.qt_map_bridge import QtMapBridge
from widgets.qt_map_review import QtMapReview
from widgets.qt_map_scheme import QtAppSchemeHandler, QtOfflineInterceptor
from widgets.qt_map_zones import QtMapZones
from widgets.qt_notice import QtNotice
from widgets.qt_panel import QtPanel
from widgets.qt_zone_editor import QtZoneEditor

log = logging.getLogger(__name__)

FLUSH_MS = 50  # at most 20 batches a second cross into JavaScript
# Objects per batch: 20 batches of 1,500 carry 30,000 updates a second, and no single tick
# holds the GUI thread for long (see bench/map.py).
DRAIN_LIMIT = 1500
EXPIRE_MS = 10_000
LIVE_KINDS = (Alert, Detection, Track, Post, Camera, Sensor)
_CONSOLE_LEVELS = {
    QWebEnginePage.JavaScriptConsoleMessageLevel.InfoMessageLevel: logging.DEBUG,
    QWebEnginePage.JavaScriptConsoleMessageLevel.WarningMessageLevel: logging.WARNING,
    QWebEnginePage.JavaScriptConsoleMessageLevel.ErrorMessageLevel: logging.ERROR,
}


class QtMapPage(QWebEnginePage):
    """The page, with its console going to our log instead of stderr."""

    def javaScriptConsoleMessage(self, level, message, line, source):  # type: ignore[no-untyped-def]
        log.log(
            _CONSOLE_LEVELS.get(level, logging.INFO), "map page %s:%s: %s", source, line, message
        )


class QtMapPanel(QtPanel):
    ID = "map"
    TITLE = lazy_gettext("Map")
    DEFAULT_AREA = Qt.DockWidgetArea.LeftDockWidgetArea

    sig_problem = Signal(str)
    sig_batch_sent = Signal(int)

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.feed = MapFeed(context.terminology)
        self.ready = False
        self._stopped = False
        self._pending_focus: Selection | None = None
        self.resources = MapResources(context.map_config, on_problem=self.sig_problem.emit)
        self._profile = QWebEngineProfile(self)  # off the record: no cache or cookies on disk
        self._handler = QtAppSchemeHandler(self.resources, self)
        self._profile.installUrlSchemeHandler(SCHEME.encode(), self._handler)
        self.interceptor = QtOfflineInterceptor(context.map_config.online_hosts, self)
        self._profile.setUrlRequestInterceptor(self.interceptor)
        self.view = QWebEngineView(self)
        # The page is the view's child, so it is deleted with the view, before the profile.
        self.page = QtMapPage(self._profile, self.view)
        self.bridge = QtMapBridge(self)
        self._channel = QWebChannel(self)
        self._channel.registerObject("bridge", self.bridge)
        self.page.setWebChannel(self._channel)
        self.view.setPage(self.page)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.problem = QtNotice(self)
        self.zone_editor = QtZoneEditor(self)
        self.zones = QtMapZones(
            context, self.feed, self.zone_editor, self._focus, self._show_problem
        )
        self.gate = PermissionGate(
            context, self, refused=self._show_problem, commands=(SaveZone, DeleteZone)
        )
        self.gate.on_change(self._apply_permissions)
        self.zone_editor.set_allowed(self.gate.allows(Permission.CONFIGURE))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.review = QtMapReview(context.terminology, self.feed, self)
        layout.addWidget(self.review.strip)
        layout.addWidget(self.problem)
        layout.addWidget(self.zone_editor)
        layout.addWidget(self.view, 1)
        self._wire()
        self.resources.texts = page_texts(context.map_config)
        self.page.load(QUrl(PAGE_URL))

    def _wire(self) -> None:
        self.sig_problem.connect(self._show_problem, Qt.ConnectionType.QueuedConnection)
        self.bridge.sig_page_ready.connect(self._on_page_ready)
        self.bridge.sig_object_selected.connect(self._on_object_selected)
        self.bridge.sig_zone_drawn.connect(self.zones.on_drawn)
        self.bridge.sig_zone_edited.connect(self.zones.on_edited)
        self.bridge.sig_zone_deleted.connect(self.zones.on_deleted)
        self.bridge.sig_page_problem.connect(self._show_problem)
        self.page.loadFinished.connect(self._on_load_finished)
        self._flush_timer = QTimer(self, interval=FLUSH_MS)
        self._flush_timer.timeout.connect(self.flush)
        self._flush_timer.start()
        self._expire_timer = QTimer(self, interval=EXPIRE_MS)
        self._expire_timer.timeout.connect(lambda: self.feed.expire(utc_now()))
        self._expire_timer.start()
        subscribe = self.context.subscribe
        self._subscriptions = [subscribe(kind, self.feed.add) for kind in LIVE_KINDS]
        self._subscriptions += [
            subscribe(Zone, self.zones.on_stored),
            subscribe(AlertSnapshot, self._on_alert_snapshot),
            subscribe(SiteSnapshot, self._on_site_snapshot),
            subscribe(ZoneRemoved, self.zones.on_removed),
            subscribe(ZoneRefused, self._on_zone_refused),
            subscribe(Selection, self._on_selection),
            subscribe(ReviewState, self.review.on_review),
        ]

    # --- data in ---------------------------------------------------------------------------
    def _snapshot(self, groups: Any) -> None:
        for records in groups:
            self.feed.add(records)

    def _on_alert_snapshot(self, batch: Sequence[AlertSnapshot]) -> None:
        self._snapshot(s.alerts for s in batch)

    def _on_site_snapshot(self, batch: Sequence[SiteSnapshot]) -> None:
        self._snapshot((*s.cameras, *s.sensors, *s.zones, *s.tracks) for s in batch)

    def _on_zone_refused(self, batch: Sequence[ZoneRefused]) -> None:
        """A refused zone command, or a site file that could not be imported."""
        for refused in batch:  # the page dropped a zone the store still has
            if isinstance(refused.command, DeleteZone):
                self.feed.resend(("zone", refused.command.identifier))
        self._show_problem(batch[-1].message)

    def flush(self) -> None:
        if not self.ready:
            return
        replaced = self.review.flush(self.run_js)  # review mode: one call swaps the moment
        if replaced:
            self.sig_batch_sent.emit(replaced)
        batch = self.feed.drain(DRAIN_LIMIT)
        if batch is None:
            return
        batch = self.review.hold_back(batch)
        payload = json.dumps(batch.to_json_ready(), separators=(",", ":"))
        self.page.runJavaScript(f"Watchfloor.apply({payload})", 0)
        self.sig_batch_sent.emit(len(batch.upsert) + len(batch.remove))

    # --- page events -----------------------------------------------------------------------
    def _on_load_finished(self, ok: bool) -> None:
        if not ok:
            self._show_problem(gettext("The map page could not be loaded."))

    def _on_page_ready(self) -> None:
        if self._stopped:
            return
        self.ready = True
        self._apply_permissions()
        self.feed.resend_all()
        self.review.resend()
        self.flush()
        if self._pending_focus is not None:
            self._focus(self._pending_focus)
            self._pending_focus = None

    def _on_object_selected(self, kind: str, identifier: str) -> None:
        found = self.review.get((kind, identifier))
        if found is None:
            return
        if isinstance(found, Zone):
            self.zones.on_selected(found)
        self.context.publish(Selection(kind, identifier, origin=self.ID))

    def _on_selection(self, batch: Sequence[Selection]) -> None:
        wanted = batch[-1]
        if wanted.origin != self.ID and self.review.get((wanted.kind, wanted.identifier)):
            self._focus(wanted)

    def _focus(self, wanted: Selection) -> None:
        if not self.ready:
            self._pending_focus = wanted
            return
        self.flush()  # the object may still be waiting in the feed
        call = f"Watchfloor.focus({json.dumps(wanted.kind)}, {json.dumps(wanted.identifier)})"
        self.page.runJavaScript(call, 0)

    def _apply_permissions(self) -> None:
        """Zone drawing, editing and removing only for people who may configure."""
        allowed = self.gate.allows(Permission.CONFIGURE)
        self.zone_editor.set_allowed(allowed)
        if self.ready:
            self.run_js(f"Watchfloor.zoneTools({json.dumps(allowed)})")

    # --- text and life cycle ---------------------------------------------------------------
    def _show_problem(self, message: str) -> None:
        log.warning("Map: %s", message)
        self.problem.show_message(message)

    def retranslate(self) -> None:
        if self._stopped:
            return
        self.zone_editor.retranslate()
        self.problem.retranslate()
        texts = page_texts(self.context.map_config)
        self.resources.texts = texts
        if self.ready:
            arguments = json.dumps([texts.strings, texts.rtl, texts.language])
            self.page.runJavaScript(f"Watchfloor.setLanguage(...{arguments})", 0)
            self.feed.resend_all()  # labels and names are translated on this side
            self.review.resend()
        self.review.retranslate()

    def run_js(self, script: str, callback: Any = None) -> None:
        """Runs a script in the page (tests and benchmarks read the page's state with it)."""
        if self._stopped:
            return
        if callback is None:
            self.page.runJavaScript(script, 0)
        else:
            self.page.runJavaScript(script, 0, callback)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.ready = False
        self._flush_timer.stop()
        self._expire_timer.stop()
        self.gate.stop()
        for subscription in self._subscriptions:
            subscription.cancel()
        self._handler.stop()
        self.resources.close()
        # Deferred deletes run in order: the view and its page go before their profile
        # (Qt warns, and can crash at exit, otherwise).
        self.view.deleteLater()
        self._profile.deleteLater()
