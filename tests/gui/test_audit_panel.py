"""The audit log panel on a real store: pages, filter, live refresh, the chain check, Arabic."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.hub import Hub
from app.security.audit import AuditLog
from app.security.model import AuditEvent, Outcome, Permission
from app.storage import RecordStore, create_engine_for, upgrade_schema
from app.terminology import default_terminology
from widgets import qt_audit
from widgets.facade import PanelContext
from widgets.panel_registry import panel_ids
from widgets.qt_audit import QtAuditPanel

T0 = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


@pytest.fixture
def audit(db_path: Path) -> Iterator[AuditLog]:
    engine = create_engine_for(f"sqlite:///{db_path}")
    upgrade_schema(engine)
    log = AuditLog(RecordStore(engine), "desk-1")
    log.start()
    yield log
    log.stop()
    engine.dispose()


def fill(audit: AuditLog, count: int, actor: str = "anna", start: int = 0) -> None:
    audit.append(
        [
            AuditEvent(
                actor,
                "alert.acknowledge" if n % 5 else "alert.dismiss",
                target=f"alert-{n}",
                outcome=Outcome.REFUSED if n % 7 == 0 else Outcome.OK,
                time=T0 + timedelta(seconds=n),
            )
            for n in range(start, start + count)
        ]
    )


@pytest.fixture
def make_panel(qtbot, audit: AuditLog):
    panels: list[QtAuditPanel] = []

    def make(permitted: bool = True, with_audit: bool = True) -> QtAuditPanel:
        hub = Hub()
        context = PanelContext(
            hub,
            hub,
            default_terminology(),
            operator="sam",
            permits=lambda permission: permitted or permission is not Permission.AUDIT,
            audit=audit if with_audit else None,
        )
        panel = QtAuditPanel(context)
        qtbot.addWidget(panel)
        panels.append(panel)
        return panel

    yield make
    for panel in panels:
        panel.stop()


def column(panel: QtAuditPanel, name: str) -> list[str]:
    index = qt_audit.COLUMNS.index(name)
    return [panel.table.item(row, index).text() for row in range(panel.table.rowCount())]


def test_the_panel_is_registered() -> None:
    assert "audit" in panel_ids()


def test_newest_first_and_older_pages_on_demand(make_panel, audit, qtbot, monkeypatch) -> None:
    monkeypatch.setattr(qt_audit, "PAGE", 20)
    fill(audit, 45)
    panel = make_panel()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 20, timeout=15_000)
    assert column(panel, "seq")[:3] == ["45", "44", "43"]
    assert panel.older_button.isEnabled()
    panel.older_button.click()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 40, timeout=15_000)
    panel.older_button.click()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 45, timeout=15_000)
    assert column(panel, "seq")[-1] == "1"
    assert not panel.older_button.isEnabled()
    assert set(column(panel, "outcome")) == {"OK", "Refused"}
    # Looking is on the record, once.
    assert audit.flush(15)
    assert [e.actor for e in audit.entries(after=45)] == ["sam"]
    assert audit.entries(after=45)[0].action == "audit.show"


def test_the_filter_searches_the_whole_log(make_panel, audit, qtbot) -> None:
    fill(audit, 30)
    fill(audit, 3, actor="mallory", start=30)
    panel = make_panel()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 33, timeout=15_000)
    qtbot.keyClicks(panel.filter, "MALL")
    qtbot.waitUntil(lambda: panel.table.rowCount() == 3, timeout=15_000)
    assert set(column(panel, "actor")) == {"mallory"}
    panel.filter.clear()
    # Everything again, with the record of sam's look at the log on top.
    qtbot.waitUntil(lambda: panel.table.rowCount() == 34, timeout=15_000)
    assert column(panel, "action")[0] == "audit.show"


def test_new_entries_appear_while_the_panel_is_shown(make_panel, audit, qtbot, monkeypatch) -> None:
    monkeypatch.setattr(qt_audit, "POLL_MS", 100)
    fill(audit, 5)
    panel = make_panel()
    panel.show()
    qtbot.waitUntil(lambda: panel.table.rowCount() == 5, timeout=15_000)
    audit.record(AuditEvent("ben", "incident.open", target="inc-1"))
    # "sam" looked (audit.show) and "ben" opened an incident: both come in, newest on top.
    qtbot.waitUntil(lambda: "ben" in column(panel, "actor"), timeout=15_000)
    assert column(panel, "actor")[0] in {"ben", "sam"}
    assert column(panel, "seq")[0] == str(audit.head()[0])
    panel.hide()
    assert not panel._poll.isActive()


def test_verify_shows_intact_then_each_problem(make_panel, audit, db_path, qtbot) -> None:
    fill(audit, 12)
    panel = make_panel()
    qtbot.waitUntil(lambda: panel.table.rowCount() > 0, timeout=15_000)
    assert audit.flush(15)
    panel.verify_button.click()
    qtbot.waitUntil(lambda: panel.verdict.isVisibleTo(panel), timeout=30_000)
    assert panel.verdict.text().startswith("Audit log intact:")
    assert not panel.problems.isVisibleTo(panel)
    qtbot.waitUntil(panel.verify_button.isEnabled, timeout=15_000)

    connection = sqlite3.connect(db_path)
    connection.execute("DROP TRIGGER audit_log_no_update")
    connection.execute("DROP TRIGGER audit_log_no_delete")
    connection.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
    connection.execute("DELETE FROM audit_log WHERE seq = 8")
    connection.commit()
    connection.close()
    panel.verify_button.click()
    qtbot.waitUntil(lambda: panel.problems.count() == 2, timeout=30_000)
    assert panel.verdict.text().startswith("Audit log BROKEN: 2 problems")
    lines = [panel.problems.item(row).text() for row in range(panel.problems.count())]
    assert lines[0].startswith("entry 3 (") and "mallory" in lines[0]
    assert lines[1] == "entry 8 is missing (removed from the log)"
    assert audit.flush(15)
    verifications = [e for e in audit.entries(limit=100) if e.action == "audit.verify"]
    assert [e.outcome for e in verifications] == [Outcome.OK, Outcome.FAILED]


def test_without_the_permission_nothing_is_read(make_panel, audit, qtbot) -> None:
    fill(audit, 3)
    panel = make_panel(permitted=False)
    assert panel.notice.text() == "Your role may not read the audit log."
    assert not panel.verify_button.isEnabled() and not panel.jobs.busy("page")
    assert panel.table.rowCount() == 0


def test_right_to_left_in_arabic(make_panel, audit, qtbot, qapp, tmp_path) -> None:
    from i18n import set_language

    fill(audit, 8)
    qapp.setLayoutDirection(Qt.LayoutDirection.RightToLeft)
    set_language("ar")
    try:
        panel = make_panel()
        panel.resize(900, 420)
        panel.show()
        qtbot.waitUntil(lambda: panel.table.rowCount() >= 8, timeout=15_000)
        assert panel.isRightToLeft() and panel.table.isRightToLeft()
        header = panel.table.horizontalHeader()
        # The first column (entry number) is drawn at the right edge.
        assert header.sectionViewportPosition(0) > header.sectionViewportPosition(6)
        panel.grab().save(str(tmp_path / "audit-ar.png"))
    finally:
        set_language("en")
        qapp.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
