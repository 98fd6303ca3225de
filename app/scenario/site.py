"""The site layers a scenario names, read once to check what its injects refer to.

Uses the console's own site-layer reader, so a layer that passes here is a layer the map and
the detectors accept; the cameras and sensors it declares are what injects may name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.map.site_errors import SiteLayerError
from app.map.site_layers import load_site_layer
from app.map.site_records import site_records
from app.model import Camera, Sensor
from app.scenario.errors import FieldPath


@dataclass
class SiteIndex:
    paths: list[Path] = field(default_factory=list)
    cameras: dict[str, Camera] = field(default_factory=dict)
    sensors: dict[str, Sensor] = field(default_factory=dict)
    findings: list[tuple[FieldPath, str]] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        """Whether every layer was read: references are only checked against a whole site."""
        return bool(self.paths) and not self.findings


def read_site(files: list[str], folder: Path) -> SiteIndex:
    """Read each layer (paths relative to the scenario's ``folder``); unreadable ones become
    findings at their entry in ``site``."""
    index = SiteIndex()
    for position, name in enumerate(files):
        path = (folder / name).resolve()
        where = ("site", position)
        if not path.is_file():
            index.findings.append((where, f"site layer not found: {path}"))
            continue
        try:
            collection = load_site_layer(path)
        except SiteLayerError as exc:
            index.findings.append((where, str(exc)))
            continue
        index.paths.append(path)
        for record in site_records(collection):
            if isinstance(record, Camera):
                index.cameras[record.identifier] = record
            elif isinstance(record, Sensor):
                index.sensors[record.identifier] = record
    return index
