"""A tile's context menu: which detection model the camera runs, and the face-blur switch.

Models are listed with their validation metrics so an operator can see whether a fine-tuned
version is better before switching a camera to it; only people who may configure the console
see them. Faces are never unblurred from the menu: "Show faces…" opens an unmask request (a
purpose, a time limit and, where the policy says so, a second person's approval) and is offered
only to people with the unmask permission. Blurring again asks for nothing and is always there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QPoint
from PySide6.QtGui import QActionGroup
from PySide6.QtWidgets import QMenu, QWidget

from app.security.model import Permission, UnmaskKind
from app.video.messages import CameraInfo, ModelVersion, SelectModel, SetFaceBlur
from i18n import N_, format_datetime, format_decimal, gettext
from widgets.facade import PanelContext
from widgets.permission_gate import PermissionGate
from widgets.qt_unmask_dialog import QtUnmaskDialog

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
    choose_model: Callable[[str | None], None] | None,
    blur: Callable[[], None],
    show_faces: Callable[[], None] | None,
) -> QMenu:
    """The menu for one camera; ``choose_model(None)`` means the built-in OpenCV detectors.
    A ``None`` callable leaves its entries out (the person may not use them)."""
    menu = QMenu(parent)
    menu.setObjectName("videoTileMenu")
    if choose_model is not None:
        _model_menu(menu, camera, models, choose_model)
        menu.addSeparator()
    if not camera.blurred:
        menu.addAction(gettext("Blur faces")).triggered.connect(blur)
    elif show_faces is not None:
        menu.addAction(gettext("Show faces…")).triggered.connect(show_faces)
    return menu


def _model_menu(
    menu: QMenu,
    camera: CameraInfo,
    models: Sequence[ModelVersion],
    choose_model: Callable[[str | None], None],
) -> None:
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


class TileCommands:
    """Turns a tile menu's choices into the core's commands for the panel's cameras."""

    def __init__(
        self,
        parent: QWidget,
        context: PanelContext,
        notify: Callable[[str], None],
        gate: PermissionGate | None = None,
    ) -> None:
        self.parent, self.context, self.notify = parent, context, notify
        self.gate = gate or PermissionGate(context, parent)
        self.cameras: dict[str, CameraInfo] = {}
        self.models: tuple[ModelVersion, ...] = ()
        self.dialogs: dict[str, QtUnmaskDialog] = {}  # open unmask dialogs, by camera

    def menu(self, camera_id: str) -> QMenu | None:
        camera = self.cameras.get(camera_id)
        if camera is None:
            return None
        configure = self.gate.allows(Permission.CONFIGURE)
        unmask = self.gate.allows(Permission.UNMASK)
        return build_tile_menu(
            self.parent,
            camera,
            self.models,
            (lambda version: self.select_model(camera_id, version)) if configure else None,
            lambda: self.blur(camera_id),
            (lambda: self.show_faces(camera_id)) if unmask else None,
        )

    def open(self, camera_id: str, where: QPoint) -> None:
        menu = self.menu(camera_id)
        if menu is not None:
            menu.exec(where)
            menu.deleteLater()

    def select_model(self, camera_id: str, version: str | None) -> None:
        self.context.commands(SelectModel(camera_id, version, by=self.gate.user()))

    def blur(self, camera_id: str) -> None:
        self.notify("")
        self.context.commands(SetFaceBlur(camera_id, True, "", by=self.gate.user()))

    def show_faces(self, camera_id: str) -> QtUnmaskDialog:
        """Opens (or brings forward) the unmask request for this camera's faces."""
        open_dialog = self.dialogs.get(camera_id)
        if open_dialog is not None and open_dialog.isVisible():
            open_dialog.raise_()
            open_dialog.activateWindow()
            return open_dialog
        camera = self.cameras.get(camera_id)
        dialog = QtUnmaskDialog(
            self.context,
            UnmaskKind.FACES,
            camera_id,
            self.gate.user(),
            target_name=camera.name if camera is not None else "",
            parent=self.parent,
        )
        dialog.destroyed.connect(lambda _=None, c=camera_id: self.dialogs.pop(c, None))
        self.dialogs[camera_id] = dialog
        dialog.show()
        return dialog

    def stop(self) -> None:
        for dialog in list(self.dialogs.values()):
            dialog.close()
