"""The snapshot of a video alert, shown when the operator selects the alert, with the verdict
buttons of the drift loop (true detection / false alarm).

The JPEG is found and read off the GUI thread (a one-thread pool of this view's own, so closing
the window can wait for it); a slow disk or a large file never stalls the live tiles. A result that
arrives after the operator moved on to another alert is dropped.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.model import Alert
from app.terminology import Terminology
from i18n import format_datetime, format_decimal, gettext, isolate
from widgets.qt_video_tile import fit

MAX_CUES = 500  # alerts remembered for cueing; older ones fall out first
CAMERA_SCHEME = "camera:"


@dataclass(frozen=True, slots=True)
class VideoCue:
    """What the panel needs to cue a video alert: its camera and its snapshot."""

    alert_id: str
    camera_id: str
    snapshot_uri: str | None
    event_type: str
    confidence: float
    time: datetime


def cue_of(alert: Alert) -> VideoCue | None:
    """A cue from an alert's evidence links, or ``None`` when no camera of ours backs it. A
    snapshot link alone is not enough: remote tools send their own (web links, other stores),
    and selecting their alerts must not pull the video panel to a picture it cannot show."""
    camera = next((e.uri for e in alert.evidence if e.kind == "camera"), "")
    if not camera.startswith(CAMERA_SCHEME):
        return None
    snapshot = next((e.uri for e in alert.evidence if e.kind == "snapshot"), None)
    return VideoCue(
        alert.identifier,
        camera.removeprefix(CAMERA_SCHEME),
        snapshot,
        alert.event_type,
        alert.confidence,
        alert.time,
    )


class CueBook:
    """A bounded map alert id → cue, newest kept."""

    def __init__(self, limit: int = MAX_CUES) -> None:
        self.limit = limit
        self._cues: OrderedDict[str, VideoCue] = OrderedDict()

    def add(self, alerts: Iterable[Alert]) -> None:
        for alert in alerts:
            cue = cue_of(alert)
            if cue is None:
                continue
            self._cues.pop(alert.identifier, None)
            self._cues[alert.identifier] = cue
            while len(self._cues) > self.limit:
                self._cues.popitem(last=False)

    def get(self, alert_id: str) -> VideoCue | None:
        return self._cues.get(alert_id)

    def __len__(self) -> int:
        return len(self._cues)


Locate = Callable[[str], Path | None]  # snapshot uri -> file (the core's snapshot_path)


class _Loaded(QObject):
    # request number, image, problem ("" when loaded), where the file was looked for
    sig_done = Signal(int, QImage, str, str)


class _Load(QRunnable):
    """Finds and reads one snapshot file. No logging here: a log record would register this
    pool thread with Python's ``threading`` for good."""

    def __init__(self, number: int, uri: str, locate: Locate, loaded: _Loaded) -> None:
        super().__init__()
        self.number, self.uri, self.locate, self.loaded = number, uri, locate, loaded

    def run(self) -> None:
        try:
            path = self.locate(self.uri)
        except Exception:  # a broken resolver reads as a snapshot that is not there
            path = None
        if path is None or not path.is_file():
            where = self.uri if path is None else str(path)
            self.loaded.sig_done.emit(self.number, QImage(), "missing", where)
            return
        image = QImage(str(path))
        problem = "" if not image.isNull() else "unreadable"
        self.loaded.sig_done.emit(self.number, image, problem, str(path))


class _Picture(QWidget):
    """The snapshot scaled to fit, letterboxed; never mirrored."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = QImage()
        self.setMinimumSize(160, 120)

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if not self.image.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(fit(self.image.width(), self.image.height(), self.rect()), self.image)
        painter.end()


class QtVideoSnapshot(QWidget):
    sig_mark = Signal(str, bool)  # alert id, true positive
    sig_back = Signal()

    def __init__(self, terminology: Terminology, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("videoSnapshot")
        self.terms = terminology
        self.cue: VideoCue | None = None
        self.camera_name = ""
        self.where = ""  # the snapshot file (or its uri when no file is known)
        self.problem = ""  # "", "loading", "none", "missing", "unreadable"
        self.marked: bool | None = None
        self._number = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._loaded = _Loaded(self)
        self._loaded.sig_done.connect(self._on_loaded)
        self.title = QLabel(self, objectName="snapshotTitle", wordWrap=True)
        font = self.title.font()
        font.setBold(True)
        if font.pointSizeF() > 0:
            font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(font)
        self.details = QLabel(self, objectName="snapshotDetails", wordWrap=True)
        self.picture = _Picture(self)
        self.message = QLabel(self, objectName="snapshotMessage", wordWrap=True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.true_button = QPushButton(self, objectName="markTrue")
        self.false_button = QPushButton(self, objectName="markFalse")
        self.back_button = QPushButton(self, objectName="backToLive")
        self._layout()
        self.true_button.clicked.connect(lambda: self._mark(True))
        self.false_button.clicked.connect(lambda: self._mark(False))
        self.back_button.clicked.connect(self.sig_back)
        self.retranslate()

    def _layout(self) -> None:
        buttons = QHBoxLayout()
        for button in (self.true_button, self.false_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.back_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)

    def show_cue(self, cue: VideoCue, locate: Locate | None, camera_name: str = "") -> None:
        """Shows a cue's details at once; its picture follows when found and read."""
        self.cue, self.camera_name, self.marked = cue, camera_name, None
        self.where = cue.snapshot_uri or ""
        self._number += 1
        self.picture.image = QImage()
        self.picture.update()
        if cue.snapshot_uri is None:
            self.problem = "none"
        elif locate is None:  # no video side in this console to keep snapshots
            self.problem = "missing"
        else:
            self.problem = "loading"
            self._pool.start(_Load(self._number, cue.snapshot_uri, locate, self._loaded))
        self.retranslate()

    def _on_loaded(self, number: int, image: QImage, problem: str, where: str) -> None:
        if number != self._number:
            return  # the operator has moved on to another alert
        self.problem, self.where = problem, where
        self.picture.image = image
        self.picture.update()
        self.retranslate()

    def _mark(self, true_positive: bool) -> None:
        if self.cue is not None:
            self.marked = true_positive
            self.sig_mark.emit(self.cue.alert_id, true_positive)
            self.retranslate()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.sig_back.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    def retranslate(self) -> None:
        self.true_button.setText(gettext("True detection"))
        self.false_button.setText(gettext("False alarm"))
        self.back_button.setText(gettext("Back to live"))
        self.true_button.setToolTip(gettext("The detection is right: keep it as a training sample"))
        self.false_button.setToolTip(gettext("Nothing to see: train the model not to raise it"))
        cue = self.cue
        if cue is None:
            self.title.setText("")
            self.details.setText("")
            self.message.setText("")
            return
        self.title.setText(self.terms.event_type(cue.event_type).name)
        self.details.setText(self._details(cue))
        self.message.setText(self._message())

    def _details(self, cue: VideoCue) -> str:
        details = gettext("Snapshot of {time}, confidence {confidence}").format(
            time=isolate(format_datetime(cue.time.astimezone(), "medium")),
            confidence=format_decimal(round(cue.confidence, 2), "0.00"),
        )
        if self.camera_name:
            camera = gettext("Camera: {name}").format(name=isolate(self.camera_name))
            details = f"{camera}\n{details}"
        return details

    def _message(self) -> str:
        path = isolate(self.where)
        texts = {
            "loading": gettext("Loading the snapshot…"),
            "none": gettext("This alert has no snapshot."),
            "missing": gettext("The snapshot file is missing: {path}").format(path=path),
            "unreadable": gettext("The snapshot file cannot be read: {path}").format(path=path),
        }
        lines = [texts[self.problem]] if self.problem in texts else []
        if self.marked is not None:
            lines.append(
                gettext("Marked as a true detection.")
                if self.marked
                else gettext("Marked as a false alarm.")
            )
        return "\n".join(lines)

    def stop(self) -> None:
        """Drops queued reads and waits for the one in progress (a single file read)."""
        self._number += 1
        self._pool.clear()
        self._pool.waitForDone()
