"""The one way our code imports OpenCV.

The ``opencv-python`` wheel (which ultralytics requires) points ``QT_QPA_PLATFORM_PLUGIN_PATH``
and ``QT_QPA_FONTDIR`` at its own Qt 5 plug-ins when it is imported; a PySide6 window created
afterwards would then look for its platform plug-in there and fail. Importing ``cv2`` through
this module puts back whatever those variables were (usually: unset). OpenCV's own thread pool
is also kept to one thread per call, because every camera already has its own threads and two
cores shared by four cameras do better without OpenCV fanning out inside each call.
"""

from __future__ import annotations

import os

_QT_VARIABLES = ("QT_QPA_PLATFORM_PLUGIN_PATH", "QT_QPA_FONTDIR")
_before = {name: os.environ.get(name) for name in _QT_VARIABLES}

import cv2  # noqa: E402

_cv2_folder = os.path.dirname(cv2.__file__)
for _name, _value in _before.items():
    _now = os.environ.get(_name)
    if _now is not None and _now != _value and _now.startswith(_cv2_folder):
        if _value is None:
            del os.environ[_name]
        else:
            os.environ[_name] = _value

cv2.setNumThreads(1)
# OpenCV's own warnings (a stream that failed to open, a missing codec) go to stderr past our
# logging; the reasons reach the operator through our own errors instead.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)

__all__ = ["cv2"]
