"""Snapshots: the picture behind a video alert, stored as a JPEG beside the database.

Pictures are not database rows: a shift of alerts would make the database gigabytes and every
query slower. Each snapshot is a file under one folder, named by camera, day and detection, and
referred to by a ``snapshot:`` URI relative to that folder, so a store moved with its data
folder keeps its evidence. A URI can never point outside the folder.
"""

from __future__ import annotations

import logging
import os
import tempfile
from datetime import datetime
from pathlib import Path, PurePosixPath

import numpy as np

from app import paths
from detectors.video.cv import cv2

log = logging.getLogger(__name__)

SCHEME = "snapshot:"
JPEG_QUALITY = 85


class SnapshotError(OSError):
    """A snapshot could not be written (full disk, no permission); the message says which."""


class SnapshotStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = (root or paths.data_dir() / "snapshots").resolve()

    def uri_for(self, camera_id: str, time: datetime, identifier: str) -> str:
        """Where a snapshot will be, known before it is written: an alert can be stored at
        once and its picture (slow to blur) follow."""
        relative = PurePosixPath(
            _safe(camera_id), time.strftime("%Y%m%d"), f"{_safe(identifier)}.jpg"
        )
        return SCHEME + str(relative)

    def save(self, image: np.ndarray, camera_id: str, time: datetime, identifier: str) -> str:
        """Writes ``image`` (already blurred where privacy asks) and returns its URI."""
        uri = self.uri_for(camera_id, time, identifier)
        self.save_as(uri, image)
        return uri

    def save_as(self, uri: str, image: np.ndarray) -> None:
        """Written through a temporary file, so a full disk never leaves half a JPEG."""
        target = self.path(uri)
        if target is None:
            raise SnapshotError(f"{uri} is not a snapshot address")
        ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            raise SnapshotError(f"cannot encode the snapshot {target}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(prefix=".snap-", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(encoded.tobytes())
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise SnapshotError(
                f"cannot write the snapshot {target}: {exc.strerror or exc}"
            ) from exc

    def path(self, uri: str) -> Path | None:
        """The file behind ``uri``, or ``None`` for anything that is not one of ours."""
        if not uri.startswith(SCHEME):
            return None
        relative = PurePosixPath(uri[len(SCHEME) :])
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            return None
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root):
            return None
        return candidate

    def read(self, uri: str) -> np.ndarray | None:
        path = self.path(uri)
        if path is None or not path.is_file():
            return None
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        return image if image is not None else None


def _safe(name: str) -> str:
    """A file-name part made only of safe characters, whatever a camera id holds."""
    cleaned = "".join(c if c.isalnum() or c in "-_." else "_" for c in name).strip(".")
    return cleaned or "_"
