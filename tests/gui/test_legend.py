"""The legend panel: every symbol the console draws, named in the operator's language."""

from __future__ import annotations

from PySide6.QtWidgets import QTreeWidgetItemIterator

from app.terminology import default_terminology


def _rows(panel) -> dict[str, object]:
    rows = {}
    iterator = QTreeWidgetItemIterator(panel.tree)
    while iterator.value() is not None:
        item = iterator.value()
        rows[item.text(0)] = item
        iterator += 1
    return rows


def test_every_event_type_and_map_object_has_its_symbol(console, qtbot):
    console.window.docks["legend"].raise_()
    panel = console.window.panels["legend"]
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() > 0)
    rows = _rows(panel)
    terms = default_terminology()
    for event in terms.event_types():
        assert event.name in rows, event.id
        assert not rows[event.name].icon(0).isNull(), event.id
        assert rows[event.name].text(1) == terms.priority(event.priority).name
    for name in ("Camera", "Sensor", "Hostile track", "Friendly track", "Restricted area"):
        assert name in rows and not rows[name].icon(0).isNull()


def test_the_legend_follows_the_language(console, qtbot):
    console.window.docks["legend"].raise_()
    panel = console.window.panels["legend"]
    qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() > 0)
    console.languages.apply("nb")
    qtbot.waitUntil(lambda: any(row.startswith("Kamera") for row in _rows(panel)))
    assert "Camera" not in _rows(panel)
