"""What the map does with zones: a drawn, edited or deleted polygon becomes a command to the
core, and only the stored result comes back onto the map and into the zone editor."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QObject

from app.map.feed import MapFeed
from app.map.zones import DeleteZone, SaveZone, ZoneRemoved, polygon_from_geojson
from app.messages import Selection
from app.model import Zone, new_identifier
from i18n import gettext
from widgets.facade import PanelContext
from widgets.qt_zone_editor import QtZoneEditor


class QtMapZones(QObject):
    def __init__(
        self,
        context: PanelContext,
        feed: MapFeed,
        editor: QtZoneEditor,
        focus: Callable[[Selection], None],
        show_problem: Callable[[str], None],
    ) -> None:
        super().__init__(editor)
        self.context = context
        self.feed = feed
        self.editor = editor
        self._focus = focus
        self._show_problem = show_problem
        self._drawn: str | None = None
        editor.sig_save.connect(self._save)

    def on_stored(self, batch: Sequence[Zone]) -> None:
        self.feed.add(batch)
        for zone in batch:
            if zone.identifier == self._drawn:
                # Stored and back: the operator names the zone they just drew.
                self._drawn = None
                self.editor.show_zone(zone, focus=True)
                self._focus(Selection("zone", zone.identifier))
            elif self._editing(zone.identifier):
                self.editor.show_zone(zone)

    def on_removed(self, batch: Sequence[ZoneRemoved]) -> None:
        for removed in batch:
            self.feed.remove(("zone", removed.identifier))
            if self._editing(removed.identifier):
                self.editor.hide()

    def on_selected(self, zone: Zone) -> None:
        self.editor.show_zone(zone)

    def on_drawn(self, geojson: str) -> None:
        try:
            polygon = polygon_from_geojson(geojson)
        except ValueError as exc:
            self._refuse(exc)
            return
        zone = Zone(
            identifier=new_identifier(),
            name=gettext("Zone {number}").format(number=self.feed.count("zone") + 1),
            kind="restricted",
            polygon=polygon,
        )
        self._drawn = zone.identifier
        self._save(zone)

    def on_edited(self, identifier: str, geojson: str) -> None:
        zone = self.feed.get(("zone", identifier))
        if not isinstance(zone, Zone):
            return
        try:
            polygon = polygon_from_geojson(geojson)
        except ValueError as exc:
            self.feed.resend(("zone", identifier))  # the stored outline goes back on the page
            self._refuse(exc)
            return
        self._save(Zone(identifier=identifier, name=zone.name, kind=zone.kind, polygon=polygon))

    def on_deleted(self, identifier: str) -> None:
        if self.feed.get(("zone", identifier)) is not None:
            self.context.commands(DeleteZone(identifier, self.context.operator))

    def _save(self, zone: Zone) -> None:
        self.context.commands(SaveZone(zone, self.context.operator))

    def _editing(self, identifier: str) -> bool:
        return self.editor.zone is not None and self.editor.zone.identifier == identifier

    def _refuse(self, reason: ValueError) -> None:
        self._show_problem(gettext("The zone was not saved: {reason}").format(reason=reason))
