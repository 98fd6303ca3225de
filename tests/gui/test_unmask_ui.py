"""The unmask workflow as people see it: the request dialog, approval at the desk and in the
privacy panel, the revealed author in the feed, the faces badge on a video tile.

Driven end to end through a real core (accounts, security and unmask services on SQLite): the
dialog's commands go through ``Core.submit`` and every state it shows came back from the
unmask service over the hub. Only the faces badge and the short-lived reveal are fed by
publishing the service's messages: a faces grant needs a live camera, and the shortest grant
the service makes lasts a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from app.model import Post, utc_now
from app.security.model import (
    DecideUnmask,
    RequestUnmask,
    RevealedAuthor,
    UnmaskChanged,
    UnmaskKind,
    UnmaskRequest,
    UnmaskState,
)
from app.social.messages import PostAnalysis
from app.video.messages import CameraInfo, VideoCameras
from tests.gui.security_desk import HANDLE, PASSWORD, PSEUDONYM, Desk, open_desk
from widgets.qt_privacy import QtPrivacyPanel
from widgets.qt_social import QtSocialPanel
from widgets.qt_social_model import COLUMN
from widgets.qt_unmask_dialog import QtUnmaskDialog
from widgets.qt_video import QtVideoPanel

PURPOSE = "Incident 2026-114: threats against the stadium, identify for the police"
WAIT = 10_000


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    desk = open_desk(tmp_path)
    yield desk
    desk.stop()


def plain(text: str) -> str:
    """Without the Unicode isolates that keep names and numbers in their own direction."""
    return text.replace("\u2068", "").replace("\u2069", "")


def reveal_dialog(desk: Desk) -> QtUnmaskDialog:
    """Not handed to qtbot: the dialog deletes itself when closed (the test closes it)."""
    dialog = QtUnmaskDialog(desk.context(), UnmaskKind.AUTHOR, PSEUDONYM, "olive")
    dialog.show()
    return dialog


def feed(desk: Desk, qtbot) -> QtSocialPanel:
    panel = QtSocialPanel(desk.context())
    qtbot.addWidget(panel)
    post = Post(
        identifier="post-1",
        platform="microblog",
        author=PSEUDONYM,
        text="see you all at the stadium",
        time=utc_now(),
    )
    panel.model.add([PostAnalysis(post, {"language": "en"})])
    return panel


def author_cell(panel: QtSocialPanel) -> str:
    return panel.model.index(0, COLUMN["author"]).data()


def test_the_dialog_needs_a_purpose_then_waits_and_is_approved_here(desk, qtbot) -> None:
    desk.sign_in("olive")
    panel = feed(desk, qtbot)
    dialog = reveal_dialog(desk)
    try:
        assert dialog.submit() is None  # no purpose: nothing sent, the person is told
        assert desk.sent == [] and dialog.error.isVisibleTo(dialog)
        dialog.purpose.setPlainText("check")
        assert dialog.submit() is None and desk.sent == []
        assert dialog.minutes.maximum() == desk.core.security.policy.unmask.max_minutes
        dialog.purpose.setPlainText(PURPOSE)
        dialog.minutes.setValue(2)
        sent = dialog.submit()
        assert sent == RequestUnmask(
            UnmaskKind.AUTHOR, PSEUDONYM, PURPOSE, 2, "olive", sent.identifier
        )
        qtbot.waitUntil(lambda: dialog.state.text() == "Waiting for approval", timeout=WAIT)
        assert dialog.here.isVisibleTo(dialog) and not dialog.end_button.isVisibleTo(dialog)
        # The requester cannot be their own second person.
        dialog.approver.setText("olive")
        dialog.password.setText(PASSWORD)
        assert dialog.decide_here(True) is None
        # A wrong password is refused by the core, and said in the dialog.
        dialog.approver.setText("sam")
        dialog.password.setText("not the password")
        dialog.decide_here(True)
        qtbot.waitUntil(lambda: "password" in dialog.error.text(), timeout=WAIT)
        assert dialog.password.text() == ""  # never kept
        dialog.password.setText(PASSWORD)
        dialog.note.setText("police request 55")
        decision = dialog.decide_here(True)
        assert decision == DecideUnmask(sent.identifier, True, "sam", "police request 55", PASSWORD)
        qtbot.waitUntil(
            lambda: plain(dialog.state.text()).startswith("Granted by sam"), timeout=WAIT
        )

        assert dialog.countdown.isVisibleTo(dialog) and dialog.end_button.isVisibleTo(dialog)
        assert plain(dialog.countdown.text()) in ("02:00", "01:59", "01:58")
        assert not dialog.here.isVisibleTo(dialog)
        # The feed shows the handle beside the pseudonym while the grant lasts...
        qtbot.waitUntil(lambda: HANDLE in author_cell(panel), timeout=WAIT)
        assert PSEUDONYM in author_cell(panel) and "revealed" in author_cell(panel)
        assert panel.menu_at(panel.proxy.index(0, 0)) is None  # nothing more to reveal
        # ...and forgets it the moment the grant is ended.
        dialog.end_button.click()
        qtbot.waitUntil(lambda: HANDLE not in author_cell(panel), timeout=WAIT)
        qtbot.waitUntil(lambda: "ended" in dialog.state.text(), timeout=WAIT)
        assert dialog._tick.isActive() is False
        assert not dialog.countdown.isVisibleTo(dialog)
        stored = desk.core.unmask.requests()
        assert [(r.state, r.decided_by) for r in stored] == [(UnmaskState.ENDED, "sam")]
    finally:
        dialog.close()
        panel.stop()


def test_only_people_with_unmask_are_offered_reveal_author(desk, qtbot) -> None:
    desk.sign_in("ann")  # analyst
    panel = feed(desk, qtbot)
    try:
        assert panel.menu_at(panel.proxy.index(0, 0)) is None
        desk.sign_in("olive")
        qtbot.waitUntil(lambda: panel.gate.principal.username == "olive", timeout=WAIT)
        menu = panel.menu_at(panel.proxy.index(0, 0))
        assert [a.text() for a in menu.actions()] == ["Reveal author…"]
        menu.actions()[0].trigger()
        dialog = panel.reveal_dialogs[PSEUDONYM]
        assert dialog.kind is UnmaskKind.AUTHOR and dialog.target == PSEUDONYM
        assert dialog.requester == "olive"
    finally:
        panel.stop()


def test_a_revealed_author_is_forgotten_at_its_until(desk, qtbot) -> None:
    desk.sign_in("olive")
    panel = feed(desk, qtbot)
    try:
        until = utc_now() + timedelta(seconds=1.5)
        desk.bridge.gui_hub.publish(RevealedAuthor(PSEUDONYM, "microblog", HANDLE, until, "r-1"))
        assert HANDLE in author_cell(panel)
        assert panel.revealed._expiry.isActive()  # one timer aimed at the expiry, no polling
        qtbot.waitUntil(lambda: HANDLE not in author_cell(panel), timeout=WAIT)
        assert utc_now() >= until
        assert not panel.revealed._expiry.isActive()
    finally:
        panel.stop()


def test_the_privacy_panel_lists_a_pending_request_and_approves_it(desk, qtbot) -> None:
    desk.sign_in("olive")
    panel = QtPrivacyPanel(desk.context())
    qtbot.addWidget(panel)
    panel.show()
    try:
        assert panel.approve_bar.isHidden()  # an operator may not approve
        desk.submit(RequestUnmask(UnmaskKind.AUTHOR, PSEUDONYM, PURPOSE, 5, "olive", "req-1"))
        qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 1, timeout=WAIT)
        assert panel.tree.topLevelItem(0).text(1) == PURPOSE  # the requester follows their own
        desk.sign_in("sam")  # a supervisor comes to the desk
        qtbot.waitUntil(lambda: not panel.approve_bar.isHidden(), timeout=WAIT)
        assert panel.tree.topLevelItemCount() == 1
        assert panel.select("req-1")
        assert panel.approve_button.isEnabled()
        panel.note.setText("ok for the police")
        assert panel.decide(True) == DecideUnmask("req-1", True, "sam", "ok for the police")
        qtbot.waitUntil(lambda: "left" in panel.tree.topLevelItem(0).text(3), timeout=WAIT)
        assert panel._tick.isActive()
        assert panel.select("req-1") and not panel.end_button.isHidden()
        panel.end_selected()
        qtbot.waitUntil(lambda: panel.tree.topLevelItemCount() == 0, timeout=WAIT)
        assert not panel._tick.isActive()
        states = [(r.state, r.decided_by, r.note) for r in desk.core.unmask.requests()]
        assert states == [(UnmaskState.ENDED, "sam", "ok for the police")]
    finally:
        panel.stop()


def faces_grant(state: UnmaskState, minutes: float = 3) -> UnmaskChanged:
    now = utc_now()
    request = UnmaskRequest(
        "req-f",
        UnmaskKind.FACES,
        "cam-1",
        PURPOSE,
        "olive",
        now,
        3,
        UnmaskState.GRANTED,
        decided_by="sam",
        decided=now,
        expires=now + timedelta(minutes=minutes),
    )
    return UnmaskChanged(replace(request, state=state))


def test_a_tile_says_faces_visible_with_the_time_left_while_granted(desk, qtbot) -> None:
    desk.sign_in("olive")
    panel = QtVideoPanel(desk.context())
    qtbot.addWidget(panel)
    try:
        panel.show()
        hub = desk.bridge.gui_hub
        hub.publish(VideoCameras((CameraInfo("cam-1", "Gate 3", ("people",)),), ()))
        tile = panel.grid.tiles["cam-1"]
        assert tile.unmasked_text() == ""
        hub.publish(faces_grant(UnmaskState.GRANTED))
        text = tile.unmasked_text()
        assert text.startswith("FACES VISIBLE · ")
        assert plain(text.split("· ")[1]) in ("03:00", "02:59", "02:58")
        assert panel.faces._tick.isActive()
        hub.publish(faces_grant(UnmaskState.EXPIRED))
        assert tile.unmasked_text() == "" and not panel.faces._tick.isActive()
    finally:
        panel.stop()
