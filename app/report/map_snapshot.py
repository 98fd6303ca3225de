"""The report's map snapshot: site layers and alerts as inline SVG, no tiles, no script.

A local equirectangular projection around the centre is exact to a few metres across a city,
which is all a snapshot needs; it draws zones and venues as polygons marked with letters,
cameras and sensors as symbols, alerts as numbered points in their priority's colour, a scale
bar and a north arrow. Names stay out of the SVG (WeasyPrint draws SVG text without Arabic
joining or right-to-left order): the letters and numbers key the tables under the map.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from app.model import Alert, GeoPoint
from app.report import svg
from app.report.data import MapShape, SiteLayers
from app.report.layers import EARTH_RADIUS_M, alert_point
from app.terminology import Terminology
from i18n import format_decimal

WIDTH, HEIGHT, MARGIN = 680, 470, 24
MAX_NUMBERED = 60
_SCALES_M = (10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000)
_SHAPE_COLOURS = {"zone": "#c62828", "venue": "#1565c0"}


@dataclass(frozen=True, slots=True)
class MapSnapshot:
    svg: Markup | None
    numbered: tuple[tuple[int, Alert], ...]
    lettered: tuple[tuple[str, MapShape], ...] = ()


class _Projection:
    def __init__(self, centre: GeoPoint, points: Sequence[GeoPoint]) -> None:
        self.lat0, self.lon0 = centre.lat, centre.lon
        self.k = math.cos(math.radians(centre.lat))
        xs, ys = zip(*(self.metres(p) for p in points), strict=True)
        span_x, span_y = max(max(xs) - min(xs), 300.0), max(max(ys) - min(ys), 300.0)
        self.mid = ((max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2)
        # Pixels per metre, the same both ways (a local projection keeps angles).
        self.scale = 0.92 * min((WIDTH - 2 * MARGIN) / span_x, (HEIGHT - 2 * MARGIN) / span_y)

    def metres(self, p: GeoPoint) -> tuple[float, float]:
        x = EARTH_RADIUS_M * math.radians(p.lon - self.lon0) * self.k
        return x, EARTH_RADIUS_M * math.radians(p.lat - self.lat0)

    def __call__(self, p: GeoPoint) -> tuple[float, float]:
        x, y = self.metres(p)
        return WIDTH / 2 + (x - self.mid[0]) * self.scale, HEIGHT / 2 - (
            y - self.mid[1]
        ) * self.scale


def map_snapshot(layers: SiteLayers, alerts: Sequence[Alert], terms: Terminology) -> MapSnapshot:
    located = [(a, p) for a in alerts if (p := alert_point(a)) is not None]
    points = [p for _, p in located]
    points += [p for shape in layers.shapes for p in shape.ring]
    points += [x.point for x in (*layers.cameras, *layers.sensors) if x.point is not None]
    if not points:
        return MapSnapshot(None, ())
    centre = layers.centre or GeoPoint(
        (min(p.lat for p in points) + max(p.lat for p in points)) / 2,
        (min(p.lon for p in points) + max(p.lon for p in points)) / 2,
    )
    project = _Projection(centre, points)
    parts = [svg.el("rect", x=0, y=0, width=WIDTH, height=HEIGHT, fill="#f4f6f8", stroke="#999")]
    lettered = tuple((_letter(i), shape) for i, shape in enumerate(layers.shapes))
    parts += _shapes(lettered, project)
    parts += [_camera(project(c.point), c.heading_deg) for c in layers.cameras if c.point]
    parts += [_sensor(project(s.point)) for s in layers.sensors if s.point]
    ranked = sorted(located, key=lambda ap: (ap[0].priority, ap[0].sent))
    numbered = tuple((n + 1, a) for n, (a, _) in enumerate(ranked[:MAX_NUMBERED]))
    for alert, point in reversed(ranked[MAX_NUMBERED:]):
        x, y = project(point)
        parts.append(
            svg.el("circle", cx=x, cy=y, r=2.5, fill=terms.priority(alert.priority).colour)
        )
    for (n, alert), (_, point) in reversed(list(zip(numbered, ranked, strict=False))):
        parts.append(_numbered(project(point), n, terms.priority(alert.priority).colour))
    parts += _north_arrow() + _scale_bar(project.scale)
    return MapSnapshot(svg.document(WIDTH, HEIGHT, parts), numbered, lettered)


def shape_colour(shape: MapShape) -> str:
    return shape.colour or _SHAPE_COLOURS.get(shape.kind, "#546e7a")


def _letter(index: int) -> str:
    """A, B, ... Z, AA, AB ...: the key of a zone in the table under the map."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _shapes(lettered: tuple[tuple[str, MapShape], ...], project: _Projection) -> list[str]:
    parts = []
    labels = []
    for letter, shape in lettered:
        colour = shape_colour(shape)
        coords = [project(p) for p in shape.ring]
        parts.append(
            svg.el(
                "polygon",
                points=svg.points(coords),
                fill=colour,
                fill_opacity=0.14,
                stroke=colour,
                stroke_width=1.2,
            )
        )
        # The letter sits at the ring's top-left corner, inside it, clear of the centre where
        # alerts usually are.
        x, y = min(coords, key=lambda c: c[0] + c[1])
        labels.append(svg.text(x + 3, y + 10, letter, 9, fill=colour, font_weight="bold"))
    return parts + labels


def _camera(xy: tuple[float, float], heading: float | None) -> str:
    x, y = xy
    parts = [svg.el("rect", x=x - 3.5, y=y - 3.5, width=7, height=7, fill="#37474f")]
    if heading is not None:
        a = math.radians(heading)
        tip = (x + 12 * math.sin(a), y - 12 * math.cos(a))
        parts.append(
            svg.el("line", x1=x, y1=y, x2=tip[0], y2=tip[1], stroke="#37474f", stroke_width=1.5)
        )
    return svg.group(parts)


def _sensor(xy: tuple[float, float]) -> str:
    x, y = xy
    diamond = [(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y), (x, y - 5)]
    return svg.el(
        "polygon", points=svg.points(diamond), fill="#00897b", stroke="#fff", stroke_width=0.8
    )


def _numbered(xy: tuple[float, float], n: int, colour: str) -> str:
    x, y = xy
    return svg.group(
        [
            svg.el("circle", cx=x, cy=y, r=8, fill=colour, stroke="#fff", stroke_width=1.2),
            svg.text(
                x,
                y + 3,
                format_decimal(n),
                8,
                fill="#fff",
                text_anchor="middle",
                font_weight="bold",
            ),
        ]
    )


def _north_arrow() -> list[str]:
    x, y = WIDTH - 26, 18
    arrow = [(x, y), (x + 7, y + 20), (x, y + 15), (x - 7, y + 20), (x, y)]
    return [
        svg.el("polygon", points=svg.points(arrow), fill="#222"),
        svg.text(x, y + 32, "N", 10, text_anchor="middle", font_weight="bold"),
    ]


def _scale_bar(px_per_m: float) -> list[str]:
    metres = next((m for m in reversed(_SCALES_M) if m * px_per_m <= WIDTH / 5), _SCALES_M[0])
    length = metres * px_per_m
    x, y = 14.0, HEIGHT - 16.0
    label = (
        f"{format_decimal(metres / 1000)} km" if metres >= 1000 else f"{format_decimal(metres)} m"
    )
    return [
        svg.el("rect", x=x, y=y, width=length / 2, height=4, fill="#222"),
        svg.el(
            "rect",
            x=x + length / 2,
            y=y,
            width=length / 2,
            height=4,
            fill="#fff",
            stroke="#222",
            stroke_width=0.8,
        ),
        svg.text(x, y - 4, "0", 8),
        svg.text(x + length, y - 4, label, 8, text_anchor="end"),
    ]


def legend_symbols() -> dict[str, Markup]:
    """The map's camera and sensor symbols alone, for the legend printed beside the map."""
    return {
        "camera": svg.document(14, 14, [_camera((7, 7), None)]),
        "sensor": svg.document(14, 14, [_sensor((7, 7))]),
    }
