"""Directory sign-in (LDAP/Active Directory through ldap3) against a real OpenLDAP server:
binding as the person, groups mapped to roles, an attribute to the organisation, the account
mirrored without a password, and the failures an operator may meet."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.runtime import Core
from app.security.directory import (
    PASSWORD_ENV,
    Directory,
    DirectoryConfig,
    DirectoryError,
)
from app.security.model import Outcome
from app.security.service import SignInError
from app.settings import Settings
from tests.slapd import ROOT_DN, ROOT_PASSWORD, SUFFIX, SlapdServer, tools_present

OLSEN_PASSWORD = "Olsen-pass-1"
BERG_PASSWORD = "Berg-pass-22"
LONE_PASSWORD = "Lone-pass-333"

TREE = f"""dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
o: Watchfloor test
dc: watchfloor

dn: ou=people,{SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{SUFFIX}
objectClass: organizationalUnit
ou: groups

dn: uid=olsen,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: olsen
cn: Kari Olsen
sn: Olsen
displayName: Kari Olsen
o: police
userPassword: {OLSEN_PASSWORD}

dn: uid=berg,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: berg
cn: Nils Berg
sn: Berg
userPassword: {BERG_PASSWORD}

dn: uid=lone,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: lone
cn: Lone Ranger
sn: Ranger
userPassword: {LONE_PASSWORD}

dn: cn=wf-operators,ou=groups,{SUFFIX}
objectClass: groupOfNames
cn: wf-operators
member: uid=olsen,ou=people,{SUFFIX}

dn: cn=wf-supervisors,ou=groups,{SUFFIX}
objectClass: groupOfNames
cn: wf-supervisors
member: uid=berg,ou=people,{SUFFIX}

dn: cn=wf-analysts,ou=groups,{SUFFIX}
objectClass: groupOfNames
cn: wf-analysts
member: uid=berg,ou=people,{SUFFIX}
member: uid=olsen,ou=people,{SUFFIX}

dn: cn=canteen,ou=groups,{SUFFIX}
objectClass: groupOfNames
cn: canteen
member: uid=lone,ou=people,{SUFFIX}
"""

GROUPS = {
    "wf-operators": ["operator"],
    "wf-supervisors": ["supervisor"],
    f"cn=wf-analysts,ou=groups,{SUFFIX}": ["analyst"],  # a group may be named by its DN
}


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[SlapdServer]:
    """Skipped where slapd is not installed, except on CI, where a missing server would hide
    the directory tests."""
    if not tools_present():
        reason = "slapd and ldap-utils are not installed (see installer/system-packages.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the directory tests", pytrace=False)
        pytest.skip(reason)
    folder = tmp_path / "slapd"
    folder.mkdir()
    with SlapdServer(folder) as server:
        server.add(TREE)
        yield server


def template_config(server: SlapdServer) -> dict:
    """Bind straight to a DN built from the name; groups found by searching them."""
    return {
        "url": server.url,
        "user_dn": f"uid={{username}},ou=people,{SUFFIX}",
        "group_base": f"ou=groups,{SUFFIX}",
        "groups": GROUPS,
        "organisation_attribute": "o",
        "timeout_s": 10,
    }


def search_config(server: SlapdServer) -> dict:
    """Active Directory style: a service account finds the person; memberOf names the groups."""
    return {
        "url": server.url,
        "base_dn": f"ou=people,{SUFFIX}",
        "user_filter": "(&(objectClass=inetOrgPerson)(uid={username}))",
        "bind_dn": ROOT_DN,
        "groups": GROUPS,
        "organisation_attribute": "o",
        "default_organisation": "city-control",
        "timeout_s": 10,
    }


def test_binding_as_the_person_maps_groups_and_organisation(slapd: SlapdServer) -> None:
    directory = Directory(DirectoryConfig.from_settings(template_config(slapd)))
    olsen = directory.authenticate("olsen", OLSEN_PASSWORD)
    assert olsen is not None
    assert (olsen.username, olsen.display_name, olsen.organisation) == (
        "olsen",
        "Kari Olsen",
        "police",
    )
    assert set(olsen.roles) == {"operator", "analyst"}
    assert olsen.source == "ldap" and olsen.password_hash is None
    assert directory.authenticate("olsen", "wrong") is None
    assert directory.authenticate("olsen", "") is None, "an empty password is no anonymous bind"
    assert directory.authenticate("nobody", OLSEN_PASSWORD) is None
    lone = directory.authenticate("lone", LONE_PASSWORD)
    assert lone is not None and lone.roles == ()


def test_search_then_bind_with_a_service_account_and_member_of(slapd: SlapdServer) -> None:
    config = DirectoryConfig.from_settings(search_config(slapd))
    directory = Directory(config, service_password=ROOT_PASSWORD)
    berg = directory.authenticate("berg", BERG_PASSWORD)
    assert berg is not None
    assert set(berg.roles) == {"supervisor", "analyst"}
    assert berg.organisation == "city-control" and berg.display_name == "Nils Berg"
    assert directory.authenticate("berg", OLSEN_PASSWORD) is None
    # Filter syntax in the name finds nobody instead of everybody.
    assert directory.authenticate("*", BERG_PASSWORD) is None
    assert directory.authenticate("berg)(uid=*", BERG_PASSWORD) is None
    wrong_service = Directory(config, service_password="not-the-password")
    with pytest.raises(DirectoryError, match="service account cannot bind"):
        wrong_service.authenticate("berg", BERG_PASSWORD)


def test_the_console_signs_directory_people_in_and_mirrors_them(
    slapd: SlapdServer, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, ROOT_PASSWORD)
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'dir.db'}",
        demo=False,
        directory=search_config(slapd),
    )
    core = Core(settings)
    try:
        principal = core.security.sign_in("olsen", OLSEN_PASSWORD)
        assert set(principal.roles) == {"operator", "analyst"}
        assert principal.organisation == "police"
        mirrored = core.security.accounts.get("olsen")
        assert mirrored.source == "ldap" and mirrored.password_hash is None
        with pytest.raises(SignInError, match="user name or the password is wrong"):
            core.security.sign_in("olsen", "wrong")
        with pytest.raises(SignInError, match="no Watchfloor role"):
            core.security.sign_in("lone", LONE_PASSWORD)
        # A directory account disabled at the console stays out whatever the directory says.
        core.security.accounts.set_disabled("olsen", True)
        with pytest.raises(SignInError, match="disabled"):
            core.security.sign_in("olsen", OLSEN_PASSWORD)
        slapd.stop()
        with pytest.raises(SignInError, match="cannot be reached"):
            core.security.sign_in("berg", BERG_PASSWORD)
        assert core.audit.flush(30)
        entries = [
            (e.actor, e.action, e.outcome, e.detail.get("reason")) for e in core.audit.entries()
        ]
        assert entries == [
            ("olsen", "sign-in", Outcome.OK, None),
            ("olsen", "sign-in.failed", Outcome.FAILED, "wrong-password"),
            ("lone", "sign-in.failed", Outcome.FAILED, "no-roles"),
            ("olsen", "sign-in.failed", Outcome.FAILED, "disabled"),
            ("berg", "sign-in.failed", Outcome.FAILED, "directory-down"),
        ]
    finally:
        core.stop()


def test_directory_settings_are_checked() -> None:
    with pytest.raises(DirectoryError, match="no url"):
        DirectoryConfig.from_settings({"url": "", "user_dn": "uid={username}"})
    with pytest.raises(DirectoryError, match="user_dn or base_dn"):
        DirectoryConfig.from_settings({"url": "ldap://127.0.0.1:1"})
    with pytest.raises(DirectoryError, match="unknown directory settings: bind_pasword"):
        DirectoryConfig.from_settings({"url": "ldap://x", "user_dn": "u", "bind_pasword": "x"})
