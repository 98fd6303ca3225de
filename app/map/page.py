"""The map page: a folium (Leaflet) document whose every script, style and tile is ours.

folium writes the page skeleton (map, base layers, scale bar); its CDN defaults are replaced by
``app://`` addresses served from the npm lockfile's packages, so nothing on the page points at
the internet. The live part (objects, zones, controls) is ``resources/map/watchfloor-map.js``,
started by one boot call that gets its configuration as JSON, never as HTML.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template

SCHEME = "app"
PAGE_URL = f"{SCHEME}://page/index.html"
LIBRARY_JS = (
    ("leaflet", "leaflet/dist/leaflet.js"),
    ("markercluster", "leaflet.markercluster/dist/leaflet.markercluster.js"),
    ("geoman", "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.min.js"),
    ("milsymbol", "milsymbol/dist/milsymbol.js"),
)
LIBRARY_CSS = (
    ("leaflet_css", "leaflet/dist/leaflet.css"),
    ("markercluster_css", "leaflet.markercluster/dist/MarkerCluster.css"),
    ("markercluster_default_css", "leaflet.markercluster/dist/MarkerCluster.Default.css"),
    ("geoman_css", "@geoman-io/leaflet-geoman-free/dist/leaflet-geoman.css"),
)
OWN_JS = (
    ("qwebchannel", f"{SCHEME}://qt/qwebchannel.js"),
    ("watchfloor", f"{SCHEME}://web/watchfloor-map.js"),
)
OWN_CSS = (("watchfloor_css", f"{SCHEME}://web/watchfloor-map.css"),)
MAX_ZOOM = 20
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class TileSpec:
    """One base layer: an ``app://tiles`` MBTiles layer, or a configured online source."""

    id: str
    name: str
    url: str
    attribution: str
    min_zoom: int = 0
    max_native_zoom: int = 18
    wms_layers: str = ""


@dataclass(frozen=True, slots=True)
class PageSpec:
    centre: tuple[float, float]
    zoom: int
    tiles: tuple[TileSpec, ...]
    site_layers: tuple[tuple[str, str], ...] = ()
    strings: dict[str, str] = field(default_factory=dict)
    rtl: bool = False
    language: str = "en"


def plain_attribution(text: str) -> str:
    """Attribution from a file's metadata is shown as text: tags dropped, the rest escaped
    (Leaflet treats attribution as HTML, and the file is not ours)."""
    return html.escape(html.unescape(_TAG.sub("", text)).strip())


class _Boot(MacroElement):
    """Starts our script once folium has made the map and its base layers."""

    _template = Template(
        "{% macro script(this, kwargs) %}\n"
        "Watchfloor.boot({{ this._parent.get_name() }}, {\n"
        "{% for key, layer in this.bases %}{{ key|tojson }}: {{ layer.get_name() }},\n"
        "{% endfor %}}, {{ this.config|tojson }});\n"
        "{% endmacro %}"
    )

    def __init__(self, bases: list[tuple[str, folium.Layer]], config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "WatchfloorBoot"
        self.bases = bases
        self.config = config


def render_page(spec: PageSpec) -> str:
    page = folium.Map(
        location=list(spec.centre),
        zoom_start=spec.zoom,
        tiles=None,
        control_scale=True,
        max_zoom=MAX_ZOOM,
        attribution_control=True,
    )
    page.default_js = [(n, f"{SCHEME}://lib/{p}") for n, p in LIBRARY_JS] + list(OWN_JS)
    page.default_css = [(n, f"{SCHEME}://lib/{p}") for n, p in LIBRARY_CSS] + list(OWN_CSS)
    bases = [
        (tile.id, _tile_layer(tile, first=index == 0)) for index, tile in enumerate(spec.tiles)
    ]
    for _, layer in bases:
        layer.add_to(page)
    config = {
        "names": {tile.id: tile.name for tile in spec.tiles},
        "siteLayers": [{"id": i, "name": n} for i, n in spec.site_layers],
        "strings": spec.strings,
        "rtl": spec.rtl,
        "language": spec.language,
    }
    _Boot(bases, config).add_to(page)
    return page.get_root().render()


def _tile_layer(tile: TileSpec, first: bool) -> folium.Layer:
    if tile.wms_layers:
        return folium.WmsTileLayer(
            url=tile.url,
            layers=tile.wms_layers,
            attr=tile.attribution or tile.name,
            name=tile.name,
            fmt="image/png",
            show=first,
        )
    return folium.TileLayer(
        tiles=tile.url,
        attr=tile.attribution or tile.name,
        name=tile.name,
        min_zoom=0,
        max_zoom=MAX_ZOOM,
        max_native_zoom=tile.max_native_zoom,
        show=first,
    )
