"""Which basemaps and layers the map shows, from the operator's settings.

Offline first: the embedded world basemap and the operator's own MBTiles and site files are
always local. An online tile or WMS source appears only when the settings name one, and only its
host is let through the page's request filter.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.bundled import resource_path
from app.map.mbtiles import embedded_basemap_path

log = logging.getLogger(__name__)

EMBEDDED_BASEMAP_ID = "world"
DEMO_SITE_ID = "demo-site"
DEMO_CENTRE = (59.9117, 10.7336)
DEFAULT_CENTRE = (48.0, 10.0)  # Europe, for a console with no site configured yet
DEFAULT_ZOOM = 4
DEMO_ZOOM = 17  # the festival square fills a map panel
_SAFE_ID = re.compile(r"[^a-z0-9-]+")


class MapConfigError(ValueError):
    """A map setting cannot be used; the message names the setting."""


@dataclass(frozen=True, slots=True)
class Basemap:
    id: str
    name: str
    path: Path


@dataclass(frozen=True, slots=True)
class SiteLayer:
    id: str
    name: str
    path: Path | None  # None: bundled with the console (the demo's site)


@dataclass(frozen=True, slots=True)
class OnlineSource:
    id: str
    name: str
    kind: str  # "xyz" or "wms"
    url: str
    attribution: str = ""
    layers: str = ""

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc


@dataclass(frozen=True, slots=True)
class MapConfig:
    centre: tuple[float, float] = DEFAULT_CENTRE
    zoom: int = DEFAULT_ZOOM
    basemaps: tuple[Basemap, ...] = ()
    site_layers: tuple[SiteLayer, ...] = ()
    online: tuple[OnlineSource, ...] = field(default=())

    @property
    def online_hosts(self) -> frozenset[str]:
        return frozenset(source.host for source in self.online)


def _identifier(prefix: str, name: str, index: int) -> str:
    slug = _SAFE_ID.sub("-", name.lower()).strip("-")[:32]
    return f"{prefix}{index}-{slug}" if slug else f"{prefix}{index}"


def map_config(document: dict[str, Any], demo: bool) -> MapConfig:
    """``document`` is the ``map`` section of the settings; raises ``MapConfigError``."""
    try:
        return _parse(document, demo)
    except (KeyError, TypeError, ValueError) as exc:
        raise MapConfigError(f"map settings: {exc}") from exc


def _parse(document: dict[str, Any], demo: bool) -> MapConfig:
    basemaps = []
    embedded = embedded_basemap_path()
    if embedded is not None:
        basemaps.append(Basemap(EMBEDDED_BASEMAP_ID, "World (OpenStreetMap)", embedded))
    for index, entry in enumerate(document.get("mbtiles", [])):
        name = str(entry["name"])
        basemaps.append(Basemap(_identifier("mbt", name, index), name, Path(entry["path"])))
    layers = [SiteLayer(DEMO_SITE_ID, "Demo site", None)] if demo else []
    for index, entry in enumerate(document.get("site_layers", [])):
        name = str(entry["name"])
        layers.append(SiteLayer(_identifier("site", name, index), name, Path(entry["path"])))
    online = tuple(_online(index, entry) for index, entry in enumerate(document.get("online", [])))
    default_centre = DEMO_CENTRE if demo else DEFAULT_CENTRE
    lat, lon = document.get("centre", default_centre)
    zoom = int(document.get("zoom", DEMO_ZOOM if demo else DEFAULT_ZOOM))
    return MapConfig((float(lat), float(lon)), zoom, tuple(basemaps), tuple(layers), online)


def _online(index: int, entry: dict[str, Any]) -> OnlineSource:
    kind = str(entry.get("kind", "xyz"))
    if kind not in ("xyz", "wms"):
        raise ValueError(f"online source kind {kind!r} is neither 'xyz' nor 'wms'")
    url = str(entry["url"])
    if urlsplit(url).scheme not in ("http", "https"):
        raise ValueError(f"online source URL {url!r} is not http(s)")
    name = str(entry.get("name", urlsplit(url).netloc))
    return OnlineSource(
        _identifier("online", name, index),
        name,
        kind,
        url,
        str(entry.get("attribution", "")),
        str(entry.get("layers", "")),
    )


def demo_site_path() -> Path:
    return resource_path("demo/site.geojson")


def site_files(config: MapConfig) -> list[Path]:
    """Every site layer's file, the demo's included (its assets become records)."""
    return [layer.path or demo_site_path() for layer in config.site_layers]


def map_config_or_default(document: dict[str, Any], demo: bool) -> MapConfig:
    """The console must open even if a map setting is wrong: the reason is logged and the
    map uses its defaults."""
    try:
        return map_config(document, demo)
    except MapConfigError as exc:
        log.error("%s; the map uses its defaults", exc)
        return map_config({}, demo)
