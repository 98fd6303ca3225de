"""A tile's context menu: which detection model the camera runs, and the face-blur switch.

Models are listed with their validation metrics so an operator can see whether a fine-tuned
version is better before switching a camera to it. Lifting the face blur asks for a reason
first (GDPR: the switch is explicit and logged); blurring again asks for nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QPoint
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QInputDialog, QMenu, QWidget

from app.video.messages import CameraInfo, ModelVersion, SelectModel, SetFaceBlur
from i18n import N_, format_datetime, format_decimal, gettext
from widgets.facade import PanelContext

# How each metric is called in the menu; mAP is a name, not a word to translate.
METRIC_NAMES = (
    ("map50", "mAP50"),
    ("map50_95", "mAP50-95"),
    ("precision", N_("precision")),
    ("recall", N_("recall")),
)
TRANSLATED_METRICS = {"precision", "recall"}


def metrics_text(model: ModelVersion) -> str:
    """``mAP50 0.81 · precision 0.77 …`` in the operator's locale; unknown metrics after."""
    values = dict(model.metrics)
    if not values:
        return gettext("not validated")
    names = dict(METRIC_NAMES)
    keys = [k for k, _ in METRIC_NAMES if k in values] + sorted(set(values) - set(names))
    parts = []
    for key in keys:
        name = names.get(key, key)
        if key in TRANSLATED_METRICS:
            name = gettext(name)
        parts.append(f"{name} {format_decimal(round(values[key], 2), '0.00')}")
    return " · ".join(parts)


def model_text(model: ModelVersion) -> str:
    return gettext("{title} ({version}): {metrics}").format(
        title=model.title, version=model.version, metrics=metrics_text(model)
    )


def build_tile_menu(
    parent: QWidget,
    camera: CameraInfo,
    models: Sequence[ModelVersion],
    choose_model: Callable[[str | None], None],
    set_blur: Callable[[bool], None],
) -> QMenu:
    """The menu for one camera; ``choose_model(None)`` means the built-in OpenCV detectors."""
    menu = QMenu(parent)
    menu.setObjectName("videoTileMenu")
    submenu = menu.addMenu(gettext("Detection model"))
    submenu.setToolTipsVisible(True)
    group = QActionGroup(submenu)
    builtin = submenu.addAction(gettext("Built-in OpenCV detectors"))
    builtin.setCheckable(True)
    builtin.setChecked(camera.model_version is None)
    builtin.triggered.connect(lambda: choose_model(None))
    group.addAction(builtin)
    if models:
        submenu.addSeparator()
    for model in models:
        action = submenu.addAction(model_text(model))
        action.setCheckable(True)
        action.setChecked(model.version == camera.model_version)
        action.setToolTip(
            gettext("Registered {when}").format(when=format_datetime(model.created, "short"))
        )
        action.triggered.connect(lambda _=False, v=model.version: choose_model(v))
        group.addAction(action)
    menu.addSeparator()
    if camera.blurred:
        faces = menu.addAction(gettext("Show faces…"))
        faces.triggered.connect(lambda: set_blur(False))
    else:
        faces = menu.addAction(gettext("Blur faces"))
        faces.triggered.connect(lambda: set_blur(True))
    return menu


class TileCommands:
    """Turns a tile menu's choices into the core's commands for the panel's cameras."""

    def __init__(
        self, parent: QWidget, context: PanelContext, notify: Callable[[str], None]
    ) -> None:
        self.parent, self.context, self.notify = parent, context, notify
        self.cameras: dict[str, CameraInfo] = {}
        self.models: tuple[ModelVersion, ...] = ()

    def menu(self, camera_id: str) -> QMenu | None:
        camera = self.cameras.get(camera_id)
        if camera is None:
            return None
        return build_tile_menu(
            self.parent,
            camera,
            self.models,
            lambda version: self.select_model(camera_id, version),
            lambda blurred: self.set_blur(camera_id, blurred),
        )

    def open(self, camera_id: str, where: QPoint) -> None:
        menu = self.menu(camera_id)
        if menu is not None:
            menu.exec(where)
            menu.deleteLater()

    def select_model(self, camera_id: str, version: str | None) -> None:
        self.context.commands(SelectModel(camera_id, version, by=self.context.operator))

    def set_blur(self, camera_id: str, blurred: bool) -> None:
        reason = ""
        if not blurred:
            camera = self.cameras.get(camera_id)
            reason, ok = QInputDialog.getText(
                self.parent,
                gettext("Show faces"),
                gettext("Why must faces be shown on {camera}? The reason is logged.").format(
                    camera=camera.name if camera is not None else camera_id
                ),
            )
            if not ok:
                return
            reason = reason.strip()
            if not reason:
                self.notify(gettext("Faces stay blurred: a reason is required."))
                return
        self.notify("")
        self.context.commands(SetFaceBlur(camera_id, blurred, reason, by=self.context.operator))
