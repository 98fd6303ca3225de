"""A real core on a SQLite file with real accounts, for testing what panels offer to whom.

Only the parts the security GUI talks to are started (audit log, security service, unmask
service): starting every service would add seconds per test and nothing these tests look at.
Panels get the same ``PanelContext`` the console builds for a signed-in person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.runtime import Core
from app.security.identities import Identity, remember
from app.security.model import Principal
from app.security.passwords import hash_password
from app.settings import Settings
from widgets.facade import PanelContext
from widgets.workers import QtHubBridge

# username → (role, organisation); each person's password is PASSWORD.
PEOPLE = {
    "olive": ("operator", "city-control"),
    "sam": ("supervisor", "city-control"),
    "ann": ("analyst", "city-control"),
    "vic": ("external-viewer", "transport-operator"),
    "tess": ("trainer", "city-control"),
}
PASSWORD = "correct horse battery"
PSEUDONYM = "p1-5f0c2a9e"
HANDLE = "@night_owl_77"


@dataclass
class Desk:
    core: Core
    bridge: QtHubBridge
    principal: Principal | None = None
    sent: list[object] = field(default_factory=list)

    def sign_in(self, username: str) -> Principal:
        self.principal = self.core.security.sign_in(username, PASSWORD)
        return self.principal

    def submit(self, command: object) -> None:
        self.sent.append(command)
        self.core.submit(command)

    def context(self) -> PanelContext:
        """What ``open_window`` hands a signed-in person's panels."""
        core = self.core
        return PanelContext(
            self.bridge.gui_hub,
            core.hub,
            core.terms,
            commands=self.submit,
            operator=self.principal.username if self.principal else "",
            principal=self.principal,
            permits=core.security.permits,
            unmask_rules=core.security.policy.unmask,
        )

    def stop(self) -> None:
        self.core.unmask.stop()
        self.core.security.stop()
        self.core.audit.stop()
        self.bridge.close()
        self.core.engine.dispose()


def open_desk(tmp_path: Path) -> Desk:
    core = Core(Settings(database_url=f"sqlite:///{tmp_path / 'desk.db'}", demo=False))
    shared = hash_password(PASSWORD)  # one Argon2 run for every account
    for username, (role, organisation) in PEOPLE.items():
        core.security.accounts.add(username, username.title(), organisation, (role,), shared)
    remember(core.store, core.sealer, {PSEUDONYM: Identity(PSEUDONYM, "microblog", HANDLE)})
    core.audit.start()
    core.security.start()
    core.unmask.start()
    bridge = QtHubBridge(core.hub, visible=core.security.visible)
    return Desk(core, bridge)
