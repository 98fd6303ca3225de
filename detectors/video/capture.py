"""Opening a camera from the one string an operator types: a path, a URL, a webcam or a demo.

Every kind ends up as a ``FrameSource``, so the pipeline that reads it neither knows nor cares
which it is. Streams go through OpenCV's FFmpeg backend with open and read timeouts, because
FFmpeg's default is to wait forever, and a camera that dies mid-stream would otherwise freeze
its reader thread for good (and with it the console's shutdown). Refusals are ``SourceError``
with a reason the operator can act on; camera URLs often carry a password, so every URL is
masked before it reaches a message or a log.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import numpy as np

from detectors.video.cv import cv2
from detectors.video.frames import FrameSource, SourceError
from i18n import gettext, isolate

log = logging.getLogger(__name__)

STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https", "rtmp", "udp", "tcp"})
DEMO_PREFIX = "demo://"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_WEBCAM = re.compile(r"^(?:webcam:)?(\d+)$")
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/\s]+@")


@dataclass(frozen=True, slots=True)
class CaptureOptions:
    """How long a stream may take to answer: to open it, and for each frame once open."""

    open_timeout_s: float = 5.0
    read_timeout_s: float = 5.0


def mask_credentials(text: str) -> str:
    """``text`` with the ``user:password@`` of every URL in it replaced by ``***@``."""
    return _USERINFO.sub(r"\1***@", text)


def as_bgr(image: np.ndarray) -> np.ndarray:
    """A picture as the pipeline's HxWx3 uint8 BGR, C-contiguous; grey, single-channel and
    BGRA pictures (some webcams and PNG-based demo sources deliver them) are converted."""
    if image.dtype != np.uint8:
        image = cv2.convertScaleAbs(image, alpha=255.0 / max(float(image.max()), 1.0))
    if image.ndim == 2 or image.shape[2] == 1:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(image)


class OpenCvSource:
    """A ``cv2.VideoCapture`` as a ``FrameSource``. ``first`` is a picture already read to
    prove the file decodes; it is handed out before the capture is read again."""

    def __init__(
        self, capture: cv2.VideoCapture, live: bool, first: np.ndarray | None = None
    ) -> None:
        self._capture: cv2.VideoCapture | None = capture
        self._first = first
        self.live = live
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 0.0 < fps < 1000.0 else 0.0  # some streams report nonsense

    def read(self) -> np.ndarray | None:
        if self._first is not None:
            image, self._first = self._first, None
            return image
        if self._capture is None:
            return None
        ok, image = self._capture.read()
        return as_bgr(image) if ok and image is not None and image.size else None

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def open_source(uri: str, options: CaptureOptions = CaptureOptions()) -> FrameSource:
    """The source ``uri`` names, opened; raises ``SourceError`` saying why it cannot be."""
    text = uri.strip()
    if not text:
        raise SourceError(gettext("No video source was given"))
    if text.startswith(DEMO_PREFIX):
        from app.demo.cameras import DemoCameraSource  # only the demo needs it

        return DemoCameraSource(text[len(DEMO_PREFIX) :])
    webcam = _WEBCAM.match(text)
    if webcam:
        return _open_webcam(int(webcam.group(1)))
    scheme = _SCHEME.match(text)
    name = scheme.group(1).lower() if scheme else ""
    if name in STREAM_SCHEMES:
        return _open_stream(text, options)
    if name == "file":
        return _open_file(_file_path(text))
    if name:
        raise SourceError(
            gettext(
                "Unknown kind of video source {uri}: use a file path, a file://, rtsp://, "
                "http:// or https:// address, webcam:N or demo://NAME"
            ).format(uri=isolate(mask_credentials(text)))
        )
    return _open_file(Path(text).expanduser())


def _file_path(uri: str) -> Path:
    parts = urlsplit(uri)
    path = url2pathname(unquote(parts.path))
    return Path(f"//{parts.netloc}{path}" if parts.netloc not in ("", "localhost") else path)


def _open_file(path: Path) -> FrameSource:
    shown = isolate(str(path))
    if not path.exists():
        raise SourceError(gettext("The video file {path} does not exist").format(path=shown))
    if not path.is_file():
        raise SourceError(gettext("{path} is not a video file").format(path=shown))
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    ok, first = capture.read() if capture.isOpened() else (False, None)
    if not ok or first is None or not first.size:
        capture.release()
        raise SourceError(gettext("The file {path} cannot be decoded as video").format(path=shown))
    source = OpenCvSource(capture, live=False, first=as_bgr(first))
    log.info("Opened video file %s (%.3g fps)", path, source.fps)
    return source


def _open_stream(uri: str, options: CaptureOptions) -> FrameSource:
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
        int(options.open_timeout_s * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC,
        int(options.read_timeout_s * 1000),
    ]
    capture = cv2.VideoCapture(uri, cv2.CAP_FFMPEG, params)
    masked = mask_credentials(uri)
    if not capture.isOpened():
        capture.release()
        log.info("Cannot open the stream %s", masked)
        raise SourceError(gettext("Cannot connect to the stream {uri}").format(uri=isolate(masked)))
    log.info("Opened the stream %s", masked)
    return OpenCvSource(capture, live=True)


def _open_webcam(index: int) -> FrameSource:
    # V4L2 directly on Linux: the default probing order tries GStreamer and others first,
    # which is slower and may pick a different device numbering.
    backend = cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY
    capture = cv2.VideoCapture(index, backend)
    if not capture.isOpened():
        capture.release()
        raise SourceError(gettext("Cannot open the webcam {index}").format(index=index))
    log.info("Opened webcam %d", index)
    return OpenCvSource(capture, live=True)
