"""Sign-in against a directory service (LDAP, Active Directory) with ldap3.

The directory checks the password: the console binds as the person (straight to a DN built
from a template, or after finding the DN with a service account), then reads their group
memberships and maps groups to Watchfloor roles and an attribute to their organisation, as
``settings.directory`` says. The console never stores a directory password; the account is
mirrored into the ``users`` table (source "ldap", no hash) so that the audit and alert routing
know the person.

``settings.directory`` (all optional but ``url`` and one of ``user_dn``/``base_dn``)::

    url                    ldap://host:389 or ldaps://host:636
    start_tls              true: upgrade ldap:// with StartTLS before binding
    user_dn                "uid={username},ou=people,dc=example,dc=org" (bind straight)
    base_dn, user_filter   search-then-bind: where and how to find the person
                           (default filter "(uid={username})"; AD: "(sAMAccountName={username})")
    bind_dn                the service account that searches
    bind_password_secret   the name of its password in the secret store (never in settings)
    group_base             where groups are (searched with group_filter)
    group_filter           default "(|(member={dn})(uniqueMember={dn})(memberUid={username}))"
    groups                 {group name or DN: [roles]}
    organisation_attribute e.g. "o" or "department"; default_organisation otherwise
    display_attribute      default "displayName", falling back to "cn"
    timeout_s              connection and answer timeout (default 5)

An empty password is refused before any bind: LDAP treats it as an anonymous bind, which
succeeds.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.security.model import Account

log = logging.getLogger(__name__)

PASSWORD_ENV = "WATCHFLOOR_DIRECTORY_PASSWORD"  # the service account's, for scripts and nodes


class DirectoryError(Exception):
    """The directory cannot be asked (unreachable, misconfigured); never names a password."""


@dataclass(frozen=True, slots=True)
class DirectoryConfig:
    url: str
    user_dn: str = ""
    base_dn: str = ""
    user_filter: str = "(uid={username})"
    bind_dn: str = ""
    bind_password_secret: str = ""
    group_base: str = ""
    group_filter: str = "(|(member={dn})(uniqueMember={dn})(memberUid={username}))"
    group_name_attribute: str = "cn"
    member_of_attribute: str = "memberOf"
    groups: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    organisation_attribute: str = ""
    default_organisation: str = "city-control"
    display_attribute: str = "displayName"
    start_tls: bool = False
    timeout_s: float = 5.0

    @classmethod
    def from_settings(cls, document: Mapping[str, Any]) -> DirectoryConfig:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(document) - known)
        if unknown:
            raise DirectoryError(f"unknown directory settings: {', '.join(unknown)}")
        values = dict(document)
        values["groups"] = {
            str(group).lower(): tuple(roles if isinstance(roles, list) else [roles])
            for group, roles in dict(values.get("groups", {})).items()
        }
        config = cls(**values)
        if not config.url:
            raise DirectoryError("the directory settings name no url")
        if not (config.user_dn or config.base_dn):
            raise DirectoryError("the directory settings need user_dn or base_dn")
        return config


def directory_from_settings(document: Mapping[str, Any]) -> Directory | None:
    """The directory ``settings.directory`` describes, or None when it is empty."""
    if not document:
        return None
    return Directory(DirectoryConfig.from_settings(document))


class Directory:
    def __init__(self, config: DirectoryConfig, service_password: str | None = None) -> None:
        self.config = config
        self._service_password = service_password

    def authenticate(self, username: str, password: str) -> Account | None:
        """The person as the directory knows them when ``password`` is theirs, else None;
        raises ``DirectoryError`` when the directory cannot answer."""
        import ldap3
        from ldap3.core.exceptions import LDAPException

        if not username or not password:
            return None
        try:
            dn = self._dn_of(username)
            if dn is None:
                return None
            connection = self._connection(dn, password)
            if not connection.bind():
                if connection.result.get("result") == 49:  # invalidCredentials
                    return None
                raise DirectoryError(f"bind refused: {connection.result.get('description')}")
            try:
                return self._account(connection, username, dn)
            finally:
                connection.unbind()
        except ldap3.core.exceptions.LDAPBindError:
            return None
        except LDAPException as exc:
            raise DirectoryError(f"{type(exc).__name__}: {exc}") from None

    def _server(self) -> Any:
        import ldap3

        return ldap3.Server(self.config.url, connect_timeout=self.config.timeout_s)

    def _connection(self, user: str | None, password: str | None) -> Any:
        import ldap3

        connection = ldap3.Connection(
            self._server(),
            user=user,
            password=password,
            receive_timeout=self.config.timeout_s,
            raise_exceptions=False,
            auto_referrals=False,
        )
        if self.config.start_tls:
            connection.open()
            connection.start_tls()
        return connection

    def _dn_of(self, username: str) -> str | None:
        from ldap3.utils.conv import escape_filter_chars
        from ldap3.utils.dn import escape_rdn

        if self.config.user_dn:
            return self.config.user_dn.format(username=escape_rdn(username))
        service = self._connection(self.config.bind_dn or None, self._bind_password())
        if not service.bind():
            raise DirectoryError(
                f"the service account cannot bind: {service.result.get('description')}"
            )
        try:
            query = self.config.user_filter.format(username=escape_filter_chars(username))
            service.search(self.config.base_dn, query, attributes=[])
            entries = list(service.entries)
        finally:
            service.unbind()
        if len(entries) != 1:
            log.info("Directory: %d entries match the user name given", len(entries))
            return None
        return str(entries[0].entry_dn)

    def _bind_password(self) -> str | None:
        if self._service_password is not None:
            return self._service_password
        if os.environ.get(PASSWORD_ENV):
            return os.environ[PASSWORD_ENV]
        if self.config.bind_password_secret:
            from app.security.secrets import SecretStore

            return SecretStore().get(self.config.bind_password_secret)
        return None

    def _account(self, connection: Any, username: str, dn: str) -> Account:
        from ldap3 import BASE
        from ldap3.utils.conv import escape_filter_chars

        config = self.config
        # memberOf is operational in OpenLDAP: "*" leaves it out, so it is asked by name.
        wanted = {
            config.display_attribute,
            "cn",
            config.organisation_attribute,
            config.member_of_attribute,
        } - {""}
        connection.search(dn, "(objectClass=*)", BASE, attributes=sorted(wanted))
        entry = connection.entries[0] if connection.entries else None
        attrs = entry.entry_attributes_as_dict if entry is not None else {}
        groups: set[str] = set()
        for value in attrs.get(config.member_of_attribute, []):
            groups |= _names_of_group_dn(str(value))
        if config.group_base:
            query = config.group_filter.format(
                dn=escape_filter_chars(dn), username=escape_filter_chars(username)
            )
            connection.search(config.group_base, query, attributes=[config.group_name_attribute])
            for group in connection.entries:
                groups.add(str(group.entry_dn).lower())
                for name in group.entry_attributes_as_dict.get(config.group_name_attribute, []):
                    groups.add(str(name).lower())
        roles: list[str] = []
        for group in sorted(groups):
            for role in config.groups.get(group, ()):
                if role not in roles:
                    roles.append(role)
        return Account(
            username=username,
            display_name=_first(attrs, config.display_attribute) or _first(attrs, "cn") or username,
            organisation=_first(attrs, config.organisation_attribute)
            or config.default_organisation,
            roles=tuple(roles),
            source="ldap",
        )


def _names_of_group_dn(dn: str) -> set[str]:
    """A group DN from ``memberOf`` answers to its full DN and its first RDN's value (cn)."""
    from ldap3.core.exceptions import LDAPInvalidDnError
    from ldap3.utils.dn import parse_dn

    names = {dn.lower()}
    with contextlib.suppress(LDAPInvalidDnError, IndexError):
        names.add(str(parse_dn(dn)[0][1]).lower())
    return names


def _first(attrs: Mapping[str, Any], name: str) -> str:
    values = attrs.get(name) if name else None
    return str(values[0]) if values else ""
