"""Named places a post can mention, taken from the map's own site layers.

The operator already draws the site (stages, gates, first-aid posts) as map layers; reading the
same files means a post naming "Harbour stage" is placed where the map shows it, with no second
list to keep in step. Places are features of kind ``place``, ``venue`` or ``zone`` and named
features without a kind; cameras and sensors are equipment, not places people write about.

Each place is matched by its name and its aliases: a ``aliases`` property (a list, or a string
separated by ``;`` or ``,``), the name without a bracketed part ("Ferry terminal") and the
bracketed part itself ("Rådhusbrygge"). A place's position is its point, or the mean of its
outline's vertices: enough to put a post on the map, not a surveyed centroid.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.map.config import demo_site_path
from app.map.site_errors import SiteLayerError
from app.map.site_layers import load_site_layer

log = logging.getLogger(__name__)

PLACE_KINDS = frozenset({"place", "venue", "zone"})
_BRACKETED = re.compile(r"^(?P<outer>[^()]+?)\s*\((?P<inner>[^()]+)\)\s*$")
_MIN_ALIAS = 3  # shorter names match too much ordinary text


@dataclass(frozen=True, slots=True)
class Place:
    """A place a post may name; ``lat``/``lon`` in WGS 84 degrees."""

    id: str
    name: str
    lat: float
    lon: float
    kind: str = "place"
    aliases: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The name and every alias, as they are matched."""
        return (self.name, *self.aliases)


def _positions(geometry: dict[str, Any]) -> Iterator[list[float]]:
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "GeometryCollection":
        for part in geometry.get("geometries", []):
            yield from _positions(part)
    elif kind == "Point":
        yield coords
    elif kind in ("MultiPoint", "LineString"):
        yield from coords
    elif kind == "MultiLineString":
        for line in coords:
            yield from line
    elif kind == "Polygon":
        yield from coords[0][:-1]  # the outer ring, without its closing repeat
    elif kind == "MultiPolygon":
        for polygon in coords:
            yield from polygon[0][:-1]


def _centre(geometry: dict[str, Any]) -> tuple[float, float] | None:
    points = list(_positions(geometry))
    if not points:
        return None
    return sum(p[1] for p in points) / len(points), sum(p[0] for p in points) / len(points)


def _aliases(name: str, given: Any) -> tuple[str, ...]:
    if isinstance(given, str):
        given = re.split(r"[;,]", given)
    found = [a for a in given if isinstance(a, str)] if isinstance(given, list) else []
    if match := _BRACKETED.match(name):
        found += [match["outer"], match["inner"]]
    seen = {name.casefold()}
    out = []
    for alias in (a.strip() for a in found):
        if len(alias) >= _MIN_ALIAS and alias.casefold() not in seen:
            seen.add(alias.casefold())
            out.append(alias)
    return tuple(out)


def places_from_collection(collection: dict[str, Any], source: str = "site") -> list[Place]:
    """The places of one checked FeatureCollection (see ``app.map.site_layers``)."""
    places = []
    for index, feature in enumerate(collection.get("features", [])):
        props = feature.get("properties") or {}
        name, kind = props.get("name"), props.get("kind")
        if not isinstance(name, str) or not name.strip():
            continue
        if kind is not None and kind not in PLACE_KINDS:
            continue
        centre = _centre(feature["geometry"])
        if centre is None:
            continue
        ident = str(props.get("identifier") or feature.get("id") or f"{source}#{index + 1}")
        aliases = _aliases(name.strip(), props.get("aliases"))
        places.append(Place(ident, name.strip(), *centre, kind or "place", aliases))
    return places


def load_places(paths: Iterable[Path] = (), include_demo: bool = True) -> tuple[Place, ...]:
    """Places from the demo site (unless excluded) and ``paths``; an unreadable file is logged
    and skipped, so one broken layer cannot take the text analysis down with it."""
    files = [demo_site_path()] if include_demo else []
    files += [Path(p) for p in paths]
    places: list[Place] = []
    for path in files:
        try:
            places += places_from_collection(load_site_layer(path), path.stem)
        except SiteLayerError as exc:
            log.warning("site layer skipped for place names: %s", exc)
    return unique_names(places)


def unique_names(places: Iterable[Place]) -> tuple[Place, ...]:
    """``places`` with every name or alias kept by the first place that has it, so that one
    phrase never points at two places."""
    taken: set[str] = set()
    out = []
    for place in places:
        if place.name.casefold() in taken:
            log.info("place %r appears twice; the first one is kept", place.name)
            continue
        aliases = tuple(a for a in place.aliases if a.casefold() not in taken)
        taken.update(n.casefold() for n in (place.name, *aliases))
        out.append(Place(place.id, place.name, place.lat, place.lon, place.kind, aliases))
    return tuple(out)
