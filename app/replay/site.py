"""The map a scenario is played on: its own site layers, centre and zoom.

An exercise happens in the scenario's city, not the console's: its cameras, sensors and zones
(the scenario's site layers) become the site records, and the map opens on its centre. The
operator's basemaps and online sources stay as configured.
"""

from __future__ import annotations

import re
from dataclasses import replace

from app.map.config import MapConfig, SiteLayer
from app.scenario.model import ScenarioSpec

_SLUG = re.compile(r"[^a-z0-9-]+")


def scenario_map_config(config: MapConfig, spec: ScenarioSpec | None) -> MapConfig:
    """``config`` with the scenario's site layers (instead of the configured ones) and its
    map view; ``config`` unchanged when no scenario runs."""
    if spec is None:
        return config
    layers = tuple(
        SiteLayer(f"scenario{index}-{_slug(path.stem)}", path.stem, path)
        for index, path in enumerate(spec.site_layers)
    )
    return replace(
        config,
        centre=spec.map_centre or config.centre,
        zoom=spec.map_zoom or config.zoom,
        site_layers=layers,
    )


def _slug(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:32] or "site"
