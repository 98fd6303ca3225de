"""One tab of the Diagrams dialog, and the file handling around its exports.

The plot and its note form one figure widget, so a PNG carries the note that says what the plot
leaves out. Asking where to save and telling the operator a write failed live here too, so the
dialog only decides what each tab writes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from i18n import gettext, isolate

log = logging.getLogger(__name__)


class DiagramPage(QWidget):
    """One tab: the figure (plot and its note, what a PNG shows) and its export buttons."""

    def __init__(self, plot: pg.PlotWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = plot
        self.tools = QHBoxLayout()
        self.figure = QWidget(self, objectName="diagramFigure")
        self.note = QLabel(self.figure, objectName="diagramNote", wordWrap=True)
        figure_layout = QVBoxLayout(self.figure)
        figure_layout.setContentsMargins(0, 0, 0, 0)
        figure_layout.addWidget(plot, 1)
        figure_layout.addWidget(self.note)
        self.png_button = QPushButton(self, objectName="exportPng")
        self.csv_button = QPushButton(self, objectName="exportCsv")
        layout = QVBoxLayout(self)
        layout.addLayout(self.tools)
        layout.addWidget(self.figure, 1)
        layout.addLayout(self._buttons())

    def _buttons(self) -> QHBoxLayout:
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.png_button)
        buttons.addWidget(self.csv_button)
        return buttons

    def png(self, shown: QWidget) -> bytes:
        """The figure as PNG data, as large as ``shown`` (the tab on screen); ``OSError`` when
        it cannot be drawn."""
        if shown is not self:
            # A hidden tab keeps the size it last had: lay it out as large as the shown one.
            self.resize(shown.size())
            self.layout().setGeometry(self.rect())
        pixmap = self.figure.grab()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if pixmap.isNull() or not pixmap.save(buffer, "PNG"):
            raise OSError(gettext("The image could not be drawn."))
        buffer.close()
        return bytes(data.data())


def save_as(
    parent: QWidget, proposal: Path, filter_text: str, write: Callable[[Path], object]
) -> None:
    """Asks where to save (proposing ``proposal``) and writes there; a failed write is told to
    the operator, never raised into the event loop."""
    path = ask_save_path(parent, proposal, filter_text)
    if path is None:
        return
    try:
        write(path)
    except OSError as exc:
        warn_export_failed(parent, path, exc)


def ask_save_path(parent: QWidget, proposal: Path, filter_text: str) -> Path | None:
    """Where the operator wants the file (``None``: cancelled); the proposal's suffix is added
    when the chosen name lacks it, so the file opens in the right program."""
    chosen, _ = QFileDialog.getSaveFileName(parent, gettext("Export"), str(proposal), filter_text)
    if not chosen:
        return None
    path = Path(chosen)
    if path.suffix.lower() != proposal.suffix:
        path = path.with_name(f"{path.name}{proposal.suffix}")
    return path


def warn_export_failed(parent: QWidget, path: Path, exc: OSError) -> None:
    log.warning("Export to %s failed: %s", path, exc)
    QMessageBox.warning(
        parent,
        gettext("Export failed"),
        gettext("{path} could not be written: {reason}").format(
            path=isolate(str(path)), reason=isolate(exc.strerror or str(exc))
        ),
    )
