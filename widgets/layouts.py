"""Window layouts: per-role defaults are data (``resources/layouts``); the operator's own
arrangement is saved per role with a layout version and restored on the next start.

A saved layout that cannot be restored (written by another version, truncated, edited) is
reported and replaced by the role's default: the console always opens usable.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

from app.bundled import read_json

log = logging.getLogger(__name__)

# Bump when panels are added, removed or renamed: older saved states are then discarded.
# 2: legend; 3: incidents; 4: exercise; 5: trainer timeline beside the map; 6: sign-in (panels
# per role, the external viewer's layout, layouts kept per person)
LAYOUT_VERSION = 6

AREAS = {
    "left": Qt.DockWidgetArea.LeftDockWidgetArea,
    "right": Qt.DockWidgetArea.RightDockWidgetArea,
    "top": Qt.DockWidgetArea.TopDockWidgetArea,
    "bottom": Qt.DockWidgetArea.BottomDockWidgetArea,
}
ORIENTATIONS = {"horizontal": Qt.Orientation.Horizontal, "vertical": Qt.Orientation.Vertical}


@dataclass(frozen=True, slots=True)
class DockPlacement:
    panel: str
    area: Qt.DockWidgetArea
    tabify_with: str | None = None
    hidden: bool = False


@dataclass(frozen=True, slots=True)
class RoleLayout:
    role: str
    docks: tuple[DockPlacement, ...]
    sizes: tuple[dict[str, Any], ...]

    @classmethod
    def load(cls, role: str) -> RoleLayout:
        document = read_json(f"layouts/{role}.json")
        docks = tuple(
            DockPlacement(
                d["panel"], AREAS[d["area"]], d.get("tabify_with"), d.get("hidden", False)
            )
            for d in document["docks"]
        )
        return cls(document["role"], docks, tuple(document.get("sizes", [])))


def apply_role_layout(
    window: QMainWindow, docks: dict[str, QDockWidget], layout: RoleLayout
) -> None:
    """Places every dock as the role wants it; panels the role does not name are hidden."""
    placed = {p.panel: p for p in layout.docks if p.panel in docks}
    for panel_id, dock in docks.items():
        dock.setFloating(False)
        if panel_id not in placed:
            dock.setVisible(False)
    # Docks sharing an area stack in the order they are added, so add them in the role's order.
    for placement in placed.values():
        dock = docks[placement.panel]
        window.removeDockWidget(dock)
        window.addDockWidget(placement.area, dock)
        dock.setVisible(not placement.hidden)
    for placement in layout.docks:
        if placement.tabify_with in docks and placement.panel in docks:
            window.tabifyDockWidget(docks[placement.tabify_with], docks[placement.panel])
    for placement in layout.docks:  # the first panel of each tab group is the one in front
        if placement.tabify_with is None and not placement.hidden and placement.panel in docks:
            docks[placement.panel].raise_()
    apply_role_sizes(window, docks, layout)


def apply_role_sizes(
    window: QMainWindow, docks: dict[str, QDockWidget], layout: RoleLayout
) -> None:
    """The role's proportions between docks, at the window's current size."""
    for size in layout.sizes:
        targets = [docks[name] for name in size["panels"] if name in docks]
        if len(targets) != len(size["panels"]):
            continue
        orientation = ORIENTATIONS[size["orientation"]]
        room = window.width() if orientation == Qt.Orientation.Horizontal else window.height()
        total = sum(size["weights"])
        # resizeDocks wants pixels: share the window's room by the role's weights.
        pixels = [max(1, int(room * weight / total)) for weight in size["weights"]]
        window.resizeDocks(targets, pixels, orientation)


class LayoutStore:
    """Saved layouts, one JSON file per role in the user's data folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def for_user(self, username: str) -> LayoutStore:
        """Each person's own arrangements: a shift handover hands over the desk, not the
        previous person's layout."""
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", username).lstrip(".") or "_"
        return LayoutStore(self.folder / "users" / safe)

    def path(self, role: str) -> Path:
        return self.folder / f"layout-{role}.json"

    def save(self, window: QMainWindow, role: str) -> None:
        document = {
            "layout_version": LAYOUT_VERSION,
            "state": base64.b64encode(window.saveState(LAYOUT_VERSION).data()).decode("ascii"),
            "geometry": base64.b64encode(window.saveGeometry().data()).decode("ascii"),
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.path(role).write_text(json.dumps(document), encoding="utf-8")
        except OSError as exc:
            log.error("Could not save the %s layout: %s", role, exc)

    def restore(self, window: QMainWindow, role: str) -> bool:
        """True if the saved layout was applied; False (and logged) when the default must do."""
        path = self.path(role)
        if not path.exists():
            return False
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            if document.get("layout_version") != LAYOUT_VERSION:
                raise ValueError(
                    f"layout version {document.get('layout_version')!r}, expected {LAYOUT_VERSION}"
                )
            state = QByteArray(base64.b64decode(document["state"], validate=True))
            geometry = QByteArray(base64.b64decode(document["geometry"], validate=True))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("Saved %s layout %s is unusable (%s); using the default", role, path, exc)
            return False
        window.restoreGeometry(geometry)
        if not window.restoreState(state, LAYOUT_VERSION):
            log.warning("Saved %s layout %s could not be restored; using the default", role, path)
            return False
        return True
