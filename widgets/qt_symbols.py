"""Military symbols (APP-6D / MIL-STD-2525D) drawn in Python by milsymbol itself.

The queue, the legend, the timeline and reports need the very symbol the map draws, without a
web view. ``QJSEngine`` runs the same milsymbol script the page loads, with the same options, so
an SIDC looks identical everywhere. SVG text is cached by code, size and outline; icons by the
same key plus their pixel size.
"""

from __future__ import annotations

import json
import logging

from PySide6.QtCore import QByteArray, QLoggingCategory, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPixmap
from PySide6.QtQml import QJSEngine
from PySide6.QtSvg import QSvgRenderer

from app.bundled import resource_path

log = logging.getLogger(__name__)

MILSYMBOL = "web/node_modules/milsymbol/dist/milsymbol.js"
# The same options as the page's Watchfloor.symbolOptions (resources/map/watchfloor-map.js).
_RENDER = """(function (sidc, size, outline) {
  var options = {size: size};
  if (outline) { options.outlineColor = outline; options.outlineWidth = 3; }
  return new ms.Symbol(sidc, options).asSVG();
})"""


class SymbolError(RuntimeError):
    """milsymbol could not be loaded or could not draw a code."""


class SymbolRenderer:
    def __init__(self) -> None:
        self._engine: QJSEngine | None = None
        self._render = None
        self._svg: dict[tuple[str, int, str], str] = {}
        self._icons: dict[tuple[str, int, str, int], QIcon] = {}

    def _ready(self):  # type: ignore[no-untyped-def]
        if self._render is None:
            # milsymbol's minified build trips QML's hoisting lint on every load; harmless.
            QLoggingCategory.setFilterRules("qt.qml.usedbeforedeclared=false")
            self._engine = QJSEngine()
            try:
                source = resource_path(MILSYMBOL).read_text(encoding="utf-8")
            except OSError as exc:
                raise SymbolError(f"milsymbol is not installed ({exc}); run the set-up") from exc
            loaded = self._engine.evaluate(source, MILSYMBOL)
            if loaded.isError():
                raise SymbolError(f"milsymbol did not load: {loaded.toString()}")
            self._render = self._engine.evaluate(_RENDER)
        return self._render

    def warm_up(self) -> None:
        """Loads milsymbol now (about a fifth of a second), so that the first alert of the
        shift is not the one that pays for it."""
        try:
            self._ready()
        except SymbolError as exc:
            log.error("Symbols unavailable: %s", exc)

    def svg(self, sidc: str, size: int = 30, outline: str = "") -> str:
        key = (sidc, size, outline)
        found = self._svg.get(key)
        if found is None:
            result = self._ready().call([sidc, size, outline])
            if result.isError() or not result.isString():
                raise SymbolError(f"milsymbol could not draw {sidc!r}: {result.toString()}")
            found = result.toString()
            self._svg[key] = found
        return found

    def image(self, sidc: str, pixels: int, outline: str = "") -> QImage:
        """The symbol fitted into a square of ``pixels``, centred, transparent around."""
        renderer = QSvgRenderer(QByteArray(self.svg(sidc, 30, outline).encode("utf-8")))
        image = QImage(QSize(pixels, pixels), QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        size = renderer.defaultSize()
        scale = min(pixels / max(size.width(), 1), pixels / max(size.height(), 1))
        width, height = size.width() * scale, size.height() * scale
        painter = QPainter(image)
        renderer.render(painter, QRectF((pixels - width) / 2, (pixels - height) / 2, width, height))
        painter.end()
        return image

    def icon(self, sidc: str, pixels: int = 24, outline: str = "") -> QIcon:
        key = (sidc, 30, outline, pixels)
        found = self._icons.get(key)
        if found is None:
            try:
                found = QIcon(QPixmap.fromImage(self.image(sidc, pixels, outline)))
            except SymbolError as exc:
                log.error("%s", exc)
                found = QIcon()
            self._icons[key] = found
        return found


def js_call(sidc: str, size: int, outline: str) -> str:
    """The page-side expression that draws the same symbol (for tests and diagnostics)."""
    return f"Watchfloor.symbolSvg({json.dumps(sidc)}, {size}, {json.dumps(outline or None)})"
