"""Opening camera sources: real decoding of the real clip, real refusals, masked passwords."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from detectors.video.capture import CaptureOptions, as_bgr, mask_credentials, open_source
from detectors.video.frames import SourceError
from tests.video_helpers import (
    PETS_FPS,
    PETS_FRAMES,
    PETS_SIZE,
    MjpegServer,
    closed_port,
    pets_frames,
    pets_video,
)


def read_all(uri: str) -> list[np.ndarray]:
    source = open_source(uri)
    try:
        frames = []
        while (image := source.read()) is not None:
            frames.append(image)
        return frames
    finally:
        source.close()


def test_a_file_delivers_every_frame_as_contiguous_bgr_at_its_rate() -> None:
    source = open_source(str(pets_video()))
    try:
        assert (source.fps, source.live) == (PETS_FPS, False)
        frames = []
        while (image := source.read()) is not None:
            frames.append(image)
        assert source.read() is None  # the end stays the end
    finally:
        source.close()
    assert len(frames) == PETS_FRAMES
    width, height = PETS_SIZE
    assert {f.shape for f in frames} == {(height, width, 3)}
    assert all(f.dtype == np.uint8 and f.flags.c_contiguous for f in frames)
    assert not np.array_equal(frames[0], frames[-1])


def test_a_file_uri_names_the_same_file() -> None:
    frames = read_all(pets_video().as_uri())
    assert len(frames) == PETS_FRAMES


def test_a_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    missing = tmp_path / "gone.avi"
    with pytest.raises(SourceError, match="does not exist") as caught:
        open_source(str(missing))
    assert "gone.avi" in str(caught.value)


def test_a_folder_is_not_a_video_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is not a video file"):
        open_source(str(tmp_path))


def test_a_file_that_is_not_video_cannot_be_decoded(tmp_path: Path) -> None:
    notes = tmp_path / "notes.avi"
    notes.write_text("these are shift notes, not a recording\n" * 50, encoding="utf-8")
    with pytest.raises(SourceError, match="cannot be decoded as video"):
        open_source(str(notes))


@pytest.mark.parametrize(
    ("uri", "reason"),
    [
        ("", "No video source"),
        ("   ", "No video source"),
        ("ftp://example.org/cam.avi", "Unknown kind of video source"),
    ],
)
def test_empty_or_unknown_sources_are_refused(uri: str, reason: str) -> None:
    with pytest.raises(SourceError, match=reason):
        open_source(uri)


def test_an_unreachable_stream_is_refused_without_its_password(
    caplog: pytest.LogCaptureFixture,
) -> None:
    uri = f"http://operator:s3cret-pw@127.0.0.1:{closed_port()}/video.mjpg"
    caplog.set_level(logging.DEBUG)
    with pytest.raises(SourceError, match="Cannot connect to the stream") as caught:
        open_source(uri, CaptureOptions(open_timeout_s=2.0, read_timeout_s=2.0))
    assert "127.0.0.1" in str(caught.value)
    assert "s3cret" not in str(caught.value)
    assert "operator" not in str(caught.value)
    assert "s3cret" not in caplog.text


@pytest.fixture
def mjpeg_server() -> Iterator[MjpegServer]:
    server = MjpegServer(pets_frames(10), fps=30.0)
    server.start()
    yield server
    server.stop()


def test_an_mjpeg_stream_is_read_live(mjpeg_server: MjpegServer) -> None:
    source = open_source(mjpeg_server.url)
    try:
        assert source.live
        frames = [source.read() for _ in range(15)]
    finally:
        source.close()
    width, height = PETS_SIZE
    assert all(f is not None and f.shape == (height, width, 3) for f in frames)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("rtsp://admin:pa@ss@cam.local:554/h264", "rtsp://***@cam.local:554/h264"),
        (
            "failed: http://u:p@10.0.0.2/a and rtmp://k@h/x",
            "failed: http://***@10.0.0.2/a and rtmp://***@h/x",
        ),
        ("http://host/path@not-a-user", "http://host/path@not-a-user"),
        ("/srv/video/cam1.avi", "/srv/video/cam1.avi"),
    ],
)
def test_credentials_are_masked_in_any_text(text: str, masked: str) -> None:
    assert mask_credentials(text) == masked


def test_grey_and_bgra_pictures_become_bgr() -> None:
    grey = np.full((4, 6), 7, np.uint8)
    bgra = np.zeros((4, 6, 4), np.uint8)
    bgra[..., 2] = 200
    assert as_bgr(grey).shape == (4, 6, 3)
    assert as_bgr(grey)[0, 0].tolist() == [7, 7, 7]
    assert as_bgr(bgra)[0, 0].tolist() == [0, 0, 200]
    sliced = np.zeros((8, 12, 3), np.uint8)[::2, ::2]
    assert as_bgr(sliced).flags.c_contiguous
