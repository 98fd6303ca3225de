"""Shared helpers of the video tests: the real clip, short copies of it, and an MJPEG server.

The clip lives beside the checkout (``../shared/media``) and is never committed; a test that
needs it is skipped when it is missing, except on CI, where a missing clip is a failure.
The MJPEG server is a real HTTP server on 127.0.0.1 serving ``multipart/x-mixed-replace``, the
way many IP cameras do, and it can be stopped and started again on the same port so that a
test can watch a camera go away and come back.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from detectors.video.cv import cv2

PETS_VIDEO = Path(__file__).resolve().parents[1].parent / "shared" / "media" / "pets_vtest.avi"
PETS_FRAMES, PETS_SIZE, PETS_FPS = 795, (480, 360), 10.0
BOUNDARY = "watchfloorframe"


def pets_video() -> Path:
    """The path of the real clip; skips the test when it is missing (fails it on CI)."""
    if not PETS_VIDEO.is_file():
        reason = f"the test clip {PETS_VIDEO} is missing"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return PETS_VIDEO


def pets_frames(count: int, step: int = 1) -> list[np.ndarray]:
    """The first ``count`` pictures of the clip (every ``step``-th), decoded by OpenCV."""
    capture = cv2.VideoCapture(str(pets_video()), cv2.CAP_FFMPEG)
    frames: list[np.ndarray] = []
    try:
        index = 0
        while len(frames) < count:
            ok, image = capture.read()
            if not ok:
                break
            if index % step == 0:
                frames.append(image)
            index += 1
    finally:
        capture.release()
    return frames


def write_clip(path: Path, frames: list[np.ndarray], fps: float = PETS_FPS) -> Path:
    """A real (Motion-JPEG AVI) video file made of ``frames``: a short clip loops quickly."""
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened(), f"cannot write {path}"
    try:
        for image in frames:
            writer.write(image)
    finally:
        writer.release()
    return path


def wait_until(condition: Callable[[], object], timeout: float = 10.0, what: str = "") -> None:
    """Polls ``condition`` until it is true; fails the test, saying ``what``, at ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what or condition}")
        time.sleep(0.02)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (it was free a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class MjpegServer:
    """Serves ``frames`` (JPEG-encoded once) as an endless MJPEG stream at ``fps``.

    ``stop()`` closes the listening socket and every open stream, as a camera that loses power
    would; ``start()`` serves again on the same port.
    """

    def __init__(self, frames: list[np.ndarray], fps: float = 25.0, port: int = 0) -> None:
        self.jpegs = [cv2.imencode(".jpg", image)[1].tobytes() for image in frames]
        self.fps = fps
        self.port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/video.mjpg"

    def start(self) -> None:
        self._stopping = threading.Event()  # a fresh one: old streams must not outlive stop()
        server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="test-mjpeg-server", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5.0)
            self._thread = None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        jpegs, period, stopping = self.jpegs, 1.0 / self.fps, self._stopping

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", f"multipart/x-mixed-replace;boundary={BOUNDARY}")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                index = 0
                try:
                    while not stopping.wait(period):
                        self._part(jpegs[index % len(jpegs)])
                        index += 1
                except OSError:
                    return  # the client went away

            def _part(self, jpeg: bytes) -> None:
                head = (
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(jpeg)}\r\n\r\n"
                )
                self.wfile.write(head.encode("ascii") + jpeg + b"\r\n")
                self.wfile.flush()

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler
