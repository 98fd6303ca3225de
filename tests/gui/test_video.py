"""The video panel over real decoded footage: tiles, grid and paging, maximising, overlays,
camera health, alert cueing with snapshots, the verdict buttons, the tile menu and shutdown.

A background thread decodes the PETS clip with OpenCV and writes into ``DisplaySlot``s exactly
as a camera pipeline does; the panel reads them at its own display rate.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QMenu

from app.hub import Hub
from app.messages import HealthState, Selection
from app.model import EvidenceLink, utc_now
from app.terminology import default_terminology
from app.video.display import DisplaySlot, Overlay
from app.video.messages import (
    CameraInfo,
    CameraStatus,
    MarkDetection,
    ModelVersion,
    SelectModel,
    SetFaceBlur,
    VideoCameras,
)
from detectors.video.cv import cv2
from i18n import set_language
from tests.factories import alert
from tests.video_helpers import pets_video
from widgets.facade import PanelContext
from widgets.qt_video import QtVideoPanel
from widgets.qt_video_snapshot import CueBook
from widgets.qt_video_tile import frame_image

KNIFE = Overlay((0.25, 0.3, 0.3, 0.4), "knife", "knife", 0.91, track_id="7", alerting=True)
PERSON = Overlay((0.7, 0.1, 0.15, 0.3), "person", "person", 0.55, track_id="3")
ZONE = ((0.05, 0.6), (0.45, 0.6), (0.45, 0.95), (0.05, 0.95))
LINE = ((0.5, 0.05), (0.5, 0.95))


class FakeVideo:
    """The core's video side as the panel sees it: one display slot per camera, snapshots."""

    def __init__(self, camera_ids: Sequence[str], snapshots: dict[str, Path] | None = None):
        self.slots = {camera_id: DisplaySlot(camera_id) for camera_id in camera_ids}
        self.snapshots = snapshots or {}

    def display(self, camera_id: str) -> DisplaySlot | None:
        return self.slots.get(camera_id)

    def snapshot_path(self, uri: str) -> Path | None:
        return self.snapshots.get(uri)


class Feeder(threading.Thread):
    """Decodes the clip for real and writes every frame into the slots, paced near 25 fps;
    the first camera gets an alerting knife box, a person box, a zone and a line."""

    def __init__(self, clip: Path, slots: Sequence[DisplaySlot]) -> None:
        super().__init__(name="video-test-feeder", daemon=True)
        self.clip, self.slots = clip, list(slots)
        self.halt = threading.Event()
        self.frames = 0

    def run(self) -> None:
        capture = cv2.VideoCapture(str(self.clip))
        try:
            while not self.halt.is_set():
                ok, image = capture.read()
                if not ok:
                    capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                    continue
                self._put(image)
                self.halt.wait(0.04)
        finally:
            capture.release()

    def _put(self, image: np.ndarray) -> None:
        now = utc_now()
        for number, slot in enumerate(self.slots):
            if number == 0:
                slot.put_image(now, image, blurred=True, zones=(ZONE,), lines=(LINE,))
                slot.put_overlays(now, (KNIFE, PERSON))
            else:
                slot.put_image(now, image, blurred=number != 2)
        self.frames += 1

    def stop(self) -> None:
        self.halt.set()
        self.join(timeout=10)


@dataclass
class Rig:
    panel: QtVideoPanel
    hub: Hub
    video: FakeVideo
    sent: list[object]
    feeder: Feeder


def cameras(count: int, **changes) -> VideoCameras:
    infos = tuple(
        CameraInfo(f"cam-{n}", f"Camera {n}", ("people",), blurred=n != 2) for n in range(count)
    )
    return VideoCameras(infos, changes.get("models", ()))


@pytest.fixture
def rig(qapp, qtbot, tmp_path) -> Iterator[Rig]:
    clip = pets_video()
    ids = [f"cam-{n}" for n in range(5)]
    hub = Hub()
    sent: list[object] = []
    video = FakeVideo(ids)
    context = PanelContext(
        hub, hub, default_terminology(), commands=sent.append, operator="op-7", video=video
    )
    panel = QtVideoPanel(context)
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.show()
    feeder = Feeder(clip, list(video.slots.values()))
    feeder.start()
    try:
        yield Rig(panel, hub, video, sent, feeder)
    finally:
        feeder.stop()
        panel.stop()


def as_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).copy()


def picture(tile) -> np.ndarray:
    """The picture area of a grabbed tile (header strip and badge row left out)."""
    rect = tile.picture_rect().toAlignedRect()
    shot = as_array(tile.grab().toImage())
    return shot[rect.top() + 4 : rect.bottom() - 24, rect.left() + 2 : rect.right() - 2]


def tile_of(rig: Rig, camera_id: str):
    return rig.panel.grid.tiles[camera_id]


def test_tiles_show_the_decoded_video_and_follow_it(rig, qtbot):
    rig.hub.publish(cameras(4))
    tile = tile_of(rig, "cam-1")
    qtbot.waitUntil(lambda: tile.frame is not None)
    first = picture(tile)
    assert first.std() > 20  # a real scene, not a blank or uniform tile
    assert len(np.unique(first.reshape(-1, 3), axis=0)) > 500
    qtbot.waitUntil(lambda: np.abs(picture(tile).astype(int) - first).mean() > 1.0, timeout=5000)
    # The QImage reads the frame's own memory: no copy of the pixels was made.
    shown = np.frombuffer(tile.image.constBits(), np.uint8)
    assert shown.ctypes.data == tile.frame.image.ctypes.data


def test_the_qimage_wraps_the_array_without_copying():
    pixels = np.zeros((36, 48, 3), np.uint8)
    image, kept = frame_image(pixels)
    assert kept is pixels and image.format() == QImage.Format.Format_BGR888
    pixels[5, 7] = (255, 0, 0)  # blue in BGR
    assert image.pixelColor(7, 5) == QColor(0, 0, 255)
    cropped = np.zeros((36, 60, 3), np.uint8)[:, 6:54]  # rows not one buffer: copied once
    image, kept = frame_image(cropped)
    assert kept is not cropped and image.width() == 48 and image.bytesPerLine() == 48 * 3


def test_grid_of_one_four_or_nine_with_paging(rig, qtbot):
    panel, grid = rig.panel, rig.panel.grid
    rig.hub.publish(cameras(5))
    assert grid.shown_ids() == ["cam-0", "cam-1", "cam-2", "cam-3"]
    assert panel.page_label.text() == "Page 1 of 2" and panel.next.isEnabled()
    qtbot.waitUntil(lambda: all(t.frame is not None for t in grid.visible_tiles()))
    assert len(grid.visible_tiles()) == 4
    assert tile_of(rig, "cam-4").frame is None  # off the page: never read
    panel.next.click()
    assert grid.shown_ids() == ["cam-4"] and not panel.next.isEnabled()
    qtbot.waitUntil(lambda: tile_of(rig, "cam-4").frame is not None)
    assert tile_of(rig, "cam-4").width() < panel.width() * 0.6  # keeps a quarter's size
    panel.tiles_choice.setCurrentIndex(panel.tiles_choice.findData(1))
    assert grid.shown_ids() == ["cam-4"] and panel.page_label.text() == "Page 5 of 5"
    panel.previous.click()
    assert grid.shown_ids() == ["cam-3"]
    panel.tiles_choice.setCurrentIndex(panel.tiles_choice.findData(9))
    assert grid.shown_ids() == [f"cam-{n}" for n in range(5)]
    assert panel.next.isHidden() and panel.page_label.isHidden()  # one page: nothing to turn
    assert [panel.tiles_choice.itemText(i) for i in range(3)] == ["1 tile", "4 tiles", "9 tiles"]


def test_double_click_maximises_and_escape_or_double_click_restores(rig, qtbot):
    panel, grid = rig.panel, rig.panel.grid
    rig.hub.publish(cameras(4))
    tile = tile_of(rig, "cam-2")
    qtbot.waitUntil(tile.isVisible)
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton)
    assert grid.maximised == "cam-2"
    assert [t.camera_id for t in grid.visible_tiles()] == ["cam-2"]
    assert panel.back_to_grid.isVisible() and tile.width() > panel.width() * 0.9
    assert panel.tiles_choice.isHidden()
    qtbot.keyClick(tile, Qt.Key.Key_Escape)
    assert grid.maximised is None and len(grid.visible_tiles()) == 4
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton)
    qtbot.mouseDClick(tile, Qt.MouseButton.LeftButton)
    assert grid.maximised is None and not panel.back_to_grid.isVisible()


def plain(text: str) -> str:
    """Without the Unicode isolates that keep numbers in their own direction."""
    return text.replace("\u2068", "").replace("\u2069", "")


def _near(pixel: np.ndarray, colour: str, tolerance: int = 40) -> bool:
    wanted = QColor(colour)
    return bool(
        np.abs(pixel.astype(int) - (wanted.red(), wanted.green(), wanted.blue())).max() < tolerance
    )


def test_overlays_are_drawn_where_and_how_they_belong(rig, qtbot):
    rig.hub.publish(cameras(1))
    tile = tile_of(rig, "cam-0")
    qtbot.waitUntil(lambda: tile.frame is not None and bool(tile.frame.overlays))
    terms = default_terminology()
    knife_colour = terms.priority(terms.event_type("knife").priority).colour
    assert tile.overlay_colour(KNIFE).name() == knife_colour
    assert plain(tile.overlay_text(KNIFE)) == "Knife detected 0.91 #7"
    assert plain(tile.overlay_text(PERSON)) == "person 0.55 #3"
    target = tile.picture_rect()
    shot = as_array(tile.grab().toImage())
    x, y, w, h = KNIFE.bbox
    left = round(target.x() + x * target.width())
    middle = round(target.y() + (y + h / 2) * target.height())
    assert _near(shot[middle, left], knife_colour)
    bottom = round(target.y() + (y + h) * target.height())
    assert _near(shot[bottom, round(target.x() + (x + w / 2) * target.width())], knife_colour)
    px, py, _pw, ph = PERSON.bbox
    person_left = round(target.x() + px * target.width())
    assert _near(shot[round(target.y() + (py + ph / 2) * target.height()), person_left], "#b0bec5")
    assert not _near(shot[middle, left + 12], knife_colour)  # a box, not a filled rectangle


def test_a_camera_that_is_down_says_so_over_its_picture(rig, qtbot):
    rig.hub.publish(cameras(4))
    tile = tile_of(rig, "cam-1")
    qtbot.waitUntil(lambda: tile.frame is not None)
    rig.feeder.stop()  # the camera stops delivering: the last picture stays
    bright = picture(tile).mean()
    rig.hub.publish(
        CameraStatus(
            "cam-1",
            "Camera 1",
            HealthState.DOWN,
            "Stream ended",
            reconnects=3,
            last_frame_age_s=12.4,
        )
    )
    assert tile.health_lines() == [
        "Camera offline — reconnecting…",
        "Stream ended",
        "Reconnects: 3",
        "Last picture 12 s ago",
    ]
    assert picture(tile).mean() < 0.6 * bright  # the picture is dimmed under the message
    assert tile.header_info().endswith("Down")
    rig.hub.publish(CameraStatus("cam-1", "Camera 1", HealthState.OK, fps=9.96))
    assert tile.health_lines() == [] and tile.header_info().startswith("10.0 fps")
    assert picture(tile).mean() > 0.9 * bright


def test_privacy_indicator_follows_what_the_picture_is(rig, qtbot):
    rig.hub.publish(cameras(4))
    blurred, visible = tile_of(rig, "cam-1"), tile_of(rig, "cam-2")
    qtbot.waitUntil(lambda: blurred.frame is not None and visible.frame is not None)
    assert blurred.faces_blurred() and not visible.faces_blurred()


def _jpeg(clip: Path, path: Path) -> Path:
    capture = cv2.VideoCapture(str(clip))
    ok, image = capture.read()
    capture.release()
    assert ok
    ok, encoded = cv2.imencode(".jpg", image)
    assert ok
    path.write_bytes(encoded.tobytes())
    return path


def _video_alert(identifier: str, camera: str, snapshot: str):
    return alert(
        identifier,
        sent=datetime(2026, 6, 20, 18, 30, tzinfo=UTC),
        evidence=(EvidenceLink("camera", f"camera:{camera}"), EvidenceLink("snapshot", snapshot)),
    )


def test_selecting_an_alert_cues_its_camera_and_shows_its_snapshot(rig, qtbot, tmp_path):
    panel = rig.panel
    rig.video.snapshots["snap://a-1"] = _jpeg(rig.feeder.clip, tmp_path / "a-1.jpg")
    rig.hub.publish(cameras(4))
    rig.hub.publish(_video_alert("a-1", "cam-2", "snap://a-1"))
    rig.hub.publish(Selection("alert", "a-1", origin="video"))  # its own selection: ignored
    assert panel.stack.currentWidget() is panel.grid and panel.grid.maximised is None
    rig.hub.publish(Selection("alert", "a-1", origin="alerts"))
    assert panel.grid.maximised == "cam-2" and tile_of(rig, "cam-2").cued
    snapshot = panel.snapshot
    assert panel.stack.currentWidget() is snapshot
    qtbot.waitUntil(lambda: not snapshot.picture.image.isNull())
    assert (snapshot.picture.image.width(), snapshot.picture.image.height()) == (480, 360)
    assert snapshot.title.text() == "Knife detected"
    assert "Camera 2" in snapshot.details.text() and "0.81" in snapshot.details.text()
    assert snapshot.message.text() == ""
    qtbot.mouseClick(snapshot.true_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(snapshot.false_button, Qt.MouseButton.LeftButton)
    assert rig.sent == [MarkDetection("a-1", True, by="op-7"), MarkDetection("a-1", False, "op-7")]
    assert snapshot.message.text() == "Marked as a false alarm."
    qtbot.mouseClick(snapshot.back_button, Qt.MouseButton.LeftButton)
    assert panel.stack.currentWidget() is panel.grid and panel.grid.maximised == "cam-2"
    qtbot.waitUntil(lambda: tile_of(rig, "cam-2").frame is not None)
    rig.hub.publish(alert("c-1", evidence=(EvidenceLink("camera", "camera:cam-3"),)))
    rig.hub.publish(Selection("alert", "c-1", origin="map"))
    assert panel.grid.maximised == "cam-3" and panel.stack.currentWidget() is panel.grid


def test_a_missing_snapshot_file_is_said_plainly(rig, qtbot, tmp_path):
    panel = rig.panel
    rig.video.snapshots["snap://gone"] = tmp_path / "gone.jpg"
    rig.hub.publish(cameras(4))
    rig.hub.publish(_video_alert("a-2", "cam-1", "snap://gone"))
    rig.hub.publish(Selection("alert", "a-2", origin="map"))
    qtbot.waitUntil(lambda: panel.snapshot.problem == "missing")
    assert panel.snapshot.message.text().startswith("The snapshot file is missing:")
    assert "gone.jpg" in panel.snapshot.message.text() and panel.snapshot.picture.image.isNull()
    rig.hub.publish(_video_alert("a-3", "cam-3", "snap://unknown"))  # the core cannot place it
    rig.hub.publish(Selection("alert", "a-3", origin="map"))
    assert panel.grid.maximised == "cam-3"
    qtbot.waitUntil(lambda: panel.snapshot.problem == "missing")
    assert "snap://unknown" in panel.snapshot.message.text()
    qtbot.keyClick(panel.snapshot, Qt.Key.Key_Escape)
    assert panel.stack.currentWidget() is panel.grid


def _menu_action(menu: QMenu, text: str):
    for action in menu.actions():
        if action.text() == text:
            return action
        if action.menu() is not None:
            found = _menu_action(action.menu(), text)
            if found is not None:
                return found
    return None


def test_the_model_menu_lists_versions_with_metrics_and_switches(rig):
    model = ModelVersion(
        "v2",
        "Fine-tuned",
        "/models/v2.pt",
        datetime(2026, 6, 1, tzinfo=UTC),
        metrics=(("precision", 0.774), ("map50", 0.8125), ("recall", 0.7)),
    )
    rig.hub.publish(cameras(2, models=(model,)))
    menu = rig.panel.menus.menu("cam-0")
    text = "Fine-tuned (v2): mAP50 0.81 · precision 0.77 · recall 0.70"
    builtin = _menu_action(menu, "Built-in OpenCV detectors")
    assert builtin.isChecked() and not _menu_action(menu, text).isChecked()
    _menu_action(menu, text).trigger()
    builtin.trigger()
    assert rig.sent == [SelectModel("cam-0", "v2", "op-7"), SelectModel("cam-0", None, "op-7")]
    set_language("fr")
    french = rig.panel.menus.menu("cam-0")
    assert any("mAP50 0,81" in a.text() for a in french.actions()[0].menu().actions())


def test_showing_faces_asks_for_an_unmask_request_and_blurring_again_does_not(rig, qtbot):
    rig.hub.publish(cameras(4))
    menu = rig.panel.menus.menu("cam-0")
    texts = [a.text() for a in menu.actions()]
    assert "Show faces…" in texts and not any("lift" in t.lower() for t in texts)
    _menu_action(menu, "Show faces…").trigger()
    dialog = rig.panel.menus.dialogs["cam-0"]
    assert dialog.isVisible() and dialog.target == "cam-0"
    assert rig.sent == []  # nothing is unblurred by the menu itself
    dialog.close()
    qtbot.waitUntil(lambda: "cam-0" not in rig.panel.menus.dialogs)
    assert _menu_action(rig.panel.menus.menu("cam-2"), "Show faces…") is None
    _menu_action(rig.panel.menus.menu("cam-2"), "Blur faces").trigger()
    assert rig.sent[-1] == SetFaceBlur("cam-2", True, "", "op-7")


def test_right_to_left_mirrors_the_grid_never_the_picture(rig, qtbot):
    rig.hub.publish(cameras(4))
    leading, watched = tile_of(rig, "cam-0"), tile_of(rig, "cam-1")
    qtbot.waitUntil(lambda: watched.frame is not None)
    rig.feeder.stop()
    qtbot.waitUntil(lambda: rig.panel.refresh() == 0)  # the last frame is on screen
    ltr = picture(watched)
    assert leading.x() < watched.x()
    rig.panel.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    qtbot.waitUntil(lambda: leading.x() > watched.x())
    assert np.array_equal(picture(watched), ltr)


def test_stop_leaves_nothing_running(rig, qtbot):
    panel = rig.panel
    rig.video.snapshots["snap://a-1"] = Path(__file__)  # not an image: cannot be read
    rig.hub.publish(cameras(4))
    assert panel._timer.isActive()
    panel.hide()
    assert not panel._timer.isActive()  # nobody sees it: nothing is read
    panel.show()
    rig.hub.publish(_video_alert("a-1", "cam-0", "snap://a-1"))
    rig.hub.publish(Selection("alert", "a-1", origin="alerts"))
    panel.stop()
    assert not panel._timer.isActive() and rig.hub.subscriber_count() == 0
    panel.hide()
    panel.show()
    assert not panel._timer.isActive()
    assert panel.snapshot._pool.activeThreadCount() == 0


def test_without_video_the_panel_says_so(qapp, qtbot):
    hub = Hub()
    panel = QtVideoPanel(PanelContext(hub, hub, default_terminology()))
    qtbot.addWidget(panel)
    panel.show()
    assert panel.notice.text() == "Live video is not available in this console."
    assert panel.grid.empty.isVisible() and not panel._timer.isActive()
    hub.publish(cameras(2))
    assert not panel.grid.empty.isVisible() and panel.refresh() == 0
    panel.stop()


def test_the_cue_book_keeps_the_newest_camera_alerts_only():
    book = CueBook(limit=3)
    book.add(_video_alert(f"a-{n}", "cam-1", f"snap://{n}") for n in range(5))
    book.add([alert("remote")])  # a remote tool's own snapshot link: not ours to cue
    camera_only = alert("c-1", evidence=(EvidenceLink("camera", "camera:cam-9"),))
    book.add([camera_only])
    assert len(book) == 3 and book.get("a-1") is None and book.get("remote") is None
    assert book.get("a-4").snapshot_uri == "snap://4" and book.get("a-4").camera_id == "cam-1"
    assert book.get("c-1").camera_id == "cam-9" and book.get("c-1").snapshot_uri is None
