"""What the map page may load, resolved from ``app://`` addresses without Qt.

Hosts: ``page`` (the generated document), ``lib`` (whitelisted files of the npm packages the
set-up installs), ``web`` (our own script and style), ``tiles`` (MBTiles layers) and ``layers``
(site layers as GeoJSON). Anything else is refused, and no path can climb out of its folder.
Resolution reads files and SQLite, so callers run it off the GUI thread.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from app.bundled import resource_path
from app.map.config import EMBEDDED_BASEMAP_ID, Basemap, MapConfig, SiteLayer, demo_site_path
from app.map.mbtiles import MBTiles, MBTilesError, open_embedded_basemap
from app.map.page import PageSpec, TileSpec, plain_attribution, render_page
from app.map.site_layers import SiteLayerError, load_site_layer

log = logging.getLogger(__name__)

LIBRARY_FOLDERS = (
    "leaflet/dist/",
    "leaflet.markercluster/dist/",
    "@geoman-io/leaflet-geoman-free/dist/",
    "milsymbol/dist/",
)
_MIME = {
    ".js": "application/javascript",
    ".css": "text/css",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".html": "text/html",
}
GEOJSON_MIME = "application/geo+json"


class NotServedError(Exception):
    """The page asked for something that is not there (or not allowed); ``status`` is HTTP-like."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True, slots=True)
class Served:
    mime: str
    body: bytes


@dataclass(frozen=True, slots=True)
class PageTexts:
    """What the page says, in the operator's language (set by the GUI, read by workers)."""

    strings: dict[str, str] = field(default_factory=dict)
    rtl: bool = False
    language: str = "en"


def safe_relative(path: str) -> PurePosixPath:
    relative = PurePosixPath(path.lstrip("/"))
    if not relative.parts or any(part in ("..", "") for part in relative.parts):
        raise NotServedError(400, f"refused path {path!r}")
    return relative


class MapResources:
    def __init__(self, config: MapConfig, on_problem: Callable[[str], None] = log.warning) -> None:
        self.config = config
        self.texts = PageTexts()
        self._on_problem = on_problem
        self._lock = threading.Lock()
        self._tiles: dict[str, MBTiles | None] = {}
        self._files: dict[str, Served] = {}
        self._layers: dict[str, Served] = {}
        self.node_modules = resource_path("web") / "node_modules"
        self.web_root = resource_path("map")

    def resolve(self, host: str, path: str) -> Served:
        handlers = {
            "page": self._page,
            "lib": self._library,
            "web": self._web,
            "tiles": self._tile,
            "layers": self._layer,
        }
        handler = handlers.get(host)
        if handler is None:
            raise NotServedError(404, f"nothing is served under {host!r}")
        return handler(path)

    def _page(self, _path: str) -> Served:
        texts = self.texts
        tiles = tuple(spec for spec in map(self._tile_spec, self.config.basemaps) if spec)
        tiles += tuple(
            TileSpec(s.id, s.name, s.url, plain_attribution(s.attribution), wms_layers=s.layers)
            for s in self.config.online
        )
        spec = PageSpec(
            self.config.centre,
            self.config.zoom,
            tiles,
            tuple((layer.id, layer.name) for layer in self.config.site_layers),
            dict(texts.strings),
            texts.rtl,
            texts.language,
        )
        return Served("text/html", render_page(spec).encode("utf-8"))

    def _tile_spec(self, basemap: Basemap) -> TileSpec | None:
        tiles = self._mbtiles(basemap.id)
        if tiles is None:
            return None
        return TileSpec(
            basemap.id,
            basemap.name,
            f"app://tiles/{basemap.id}/{{z}}/{{x}}/{{y}}",
            plain_attribution(tiles.attribution),
            tiles.min_zoom,
            tiles.max_zoom,
        )

    def _mbtiles(self, basemap_id: str) -> MBTiles | None:
        with self._lock:
            if basemap_id in self._tiles:
                return self._tiles[basemap_id]
            basemap = next((b for b in self.config.basemaps if b.id == basemap_id), None)
            opened = self._open(basemap) if basemap is not None else None
            self._tiles[basemap_id] = opened
            return opened

    def _open(self, basemap: Basemap) -> MBTiles | None:
        try:
            if basemap.id == EMBEDDED_BASEMAP_ID:
                return open_embedded_basemap()
            return MBTiles.open(basemap.path)
        except MBTilesError as exc:
            self._on_problem(f"{basemap.name}: {exc}")
            return None

    def _tile(self, path: str) -> Served:
        parts = safe_relative(path).parts
        if len(parts) != 4:
            raise NotServedError(400, f"a tile address is /layer/z/x/y, not {path!r}")
        tiles = self._mbtiles(parts[0])
        if tiles is None:
            raise NotServedError(404, f"no tile layer {parts[0]!r}")
        try:
            z, x, y = (int(part.split(".")[0]) for part in parts[1:])
        except ValueError as exc:
            raise NotServedError(400, f"tile coordinates in {path!r} are not numbers") from exc
        data = tiles.tile(z, x, y)
        if data is None:
            raise NotServedError(404, f"no tile {z}/{x}/{y} in {parts[0]!r}")
        return Served(tiles.mime, data)

    def _library(self, path: str) -> Served:
        relative = safe_relative(path)
        if not any(str(relative).startswith(folder) for folder in LIBRARY_FOLDERS):
            raise NotServedError(403, f"{relative} is not a map library file")
        return self._file(self.node_modules, relative)

    def _web(self, path: str) -> Served:
        return self._file(self.web_root, safe_relative(path))

    def _file(self, root: Path, relative: PurePosixPath) -> Served:
        key = f"{root}/{relative}"
        cached = self._files.get(key)
        if cached is not None:
            return cached
        target = root.joinpath(*relative.parts)
        try:
            body = target.read_bytes()
        except OSError as exc:
            raise NotServedError(404, f"cannot read {relative}: {exc.strerror or exc}") from exc
        served = Served(_MIME.get(target.suffix, "application/octet-stream"), body)
        self._files[key] = served
        return served

    def _layer(self, path: str) -> Served:
        layer_id = safe_relative(path).parts[0]
        cached = self._layers.get(layer_id)
        if cached is not None:
            return cached
        layer = next((lay for lay in self.config.site_layers if lay.id == layer_id), None)
        if layer is None:
            raise NotServedError(404, f"no site layer {layer_id!r}")
        try:
            collection = load_site_layer(_layer_path(layer))
        except SiteLayerError as exc:
            self._on_problem(str(exc))
            raise NotServedError(422, str(exc)) from exc
        served = Served(GEOJSON_MIME, json.dumps(collection).encode("utf-8"))
        self._layers[layer_id] = served
        return served

    def close(self) -> None:
        with self._lock:
            for tiles in self._tiles.values():
                if tiles is not None:
                    tiles.close()
            self._tiles.clear()


def _layer_path(layer: SiteLayer) -> Path:
    return layer.path if layer.path is not None else demo_site_path()
