"""The one door to ultralytics: every module of ours that needs it imports it from here.

Left to itself, ultralytics checks for updates, sends usage analytics, pip-installs missing
packages, downloads fonts and weights, writes settings into ``~/.config`` and prints to stdout.
A control-room console must do none of that, so before the first import this module switches
it offline (``YOLO_OFFLINE``: no online check, hence no analytics or update check), forbids
installs (``YOLO_AUTOINSTALL``), silences it (``YOLO_VERBOSE``) and gives it a settings folder
in our data folder (``YOLO_CONFIG_DIR``, unless the caller chose one). Those variables are read
once, at import, which is why the import must go through here.

One download survives those switches: checking a dataset also fetches the Arial font for plot
labels. We never plot, so that check is replaced by one that only looks on disk.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from app.paths import data_dir

# OpenCV first, through our own import: ultralytics imports cv2 and the wheel would otherwise
# leave its Qt plug-in path behind for PySide6 to trip over.
from detectors.video.cv import cv2  # noqa: F401  (imported for its side effect)

log = logging.getLogger(__name__)


def _configure_environment() -> None:
    os.environ["YOLO_OFFLINE"] = "1"
    os.environ["YOLO_AUTOINSTALL"] = "false"
    os.environ["YOLO_VERBOSE"] = "false"
    if not os.environ.get("YOLO_CONFIG_DIR"):
        os.environ["YOLO_CONFIG_DIR"] = str(data_dir() / "ultralytics")


_configure_environment()

import ultralytics  # noqa: E402
import ultralytics.data.utils as _data_utils  # noqa: E402
import ultralytics.utils.checks as _checks  # noqa: E402
import ultralytics.utils.plotting as _plotting  # noqa: E402
from ultralytics import YOLO  # noqa: E402
from ultralytics.utils import USER_CONFIG_DIR  # noqa: E402


def _font_on_disk_only(font: str = "Arial.ttf") -> Path | None:
    """ultralytics' ``check_font`` without the download: the font is only ever used to draw
    plot labels, which we never draw, so a missing font is not worth a network request."""
    path = USER_CONFIG_DIR / Path(font).name
    return path if path.exists() else None


for _module in (_checks, _data_utils, _plotting):  # each holds its own reference
    _module.check_font = _font_on_disk_only
log.debug("ultralytics %s loaded offline, settings in %s", ultralytics.__version__, USER_CONFIG_DIR)

ULTRALYTICS_VERSION: str = ultralytics.__version__

__all__ = ["ULTRALYTICS_VERSION", "YOLO"]
