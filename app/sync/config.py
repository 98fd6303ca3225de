"""A remote tool's connection settings, validated before the connector starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator


class AuthConfig(BaseModel):
    """How the connector proves who it is. The credential itself (``key``, ``token``,
    ``password``) belongs in the secret store: ``secret`` names the entry, resolved when the
    connector is built (see app/sync/credentials.py); a credential written in the settings
    file is moved there at start."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["none", "api_key", "bearer", "basic", "mtls"] = "none"
    header: str = "X-API-Key"
    key: str = Field("", repr=False)
    token: str = Field("", repr=False)
    username: str = ""
    password: str = Field("", repr=False)
    secret: str = Field("", max_length=128, pattern=r"^([\w.-]+)?$")
    cert_file: Path | None = None
    key_file: Path | None = None

    @model_validator(mode="after")
    def _complete(self) -> AuthConfig:
        needed = {
            "api_key": ("key",),
            "bearer": ("token",),
            "basic": ("username", "password"),
            "mtls": ("cert_file",),
        }.get(self.kind, ())
        missing = [
            name
            for name in needed
            if not getattr(self, name) and not (self.secret and name in SECRET_FIELDS)
        ]
        if missing:
            raise ValueError(f"{self.kind} authentication needs {', '.join(missing)}")
        return self


# The field of each kind of authentication that ``secret`` stands for.
SECRET_FIELDS = {"key": "api_key", "token": "bearer", "password": "basic"}
SECRET_FIELD_OF = {kind: name for name, kind in SECRET_FIELDS.items()}


class ConnectorConfig(BaseModel):
    """Defaults are the safe ones: TLS verified, bounded payloads, polite polling."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, pattern=r"^[\w.-]+$")
    title: str = ""
    base_url: HttpUrl
    auth: AuthConfig = AuthConfig()
    verify_tls: bool = True
    ca_bundle: Path | None = None
    poll_interval_s: float = Field(2.0, gt=0, le=3600)
    timeout_s: float = Field(10.0, gt=0, le=300)
    max_payload_bytes: int = Field(10 * 2**20, ge=1024, le=512 * 2**20)
    page_limit: int = Field(500, ge=1, le=1000)
    retry_base_s: float = Field(1.0, gt=0, le=60)
    retry_cap_s: float = Field(60.0, gt=0, le=3600)
    simulated: bool = False
    # "toolapi": the Watchfloor tool API, paged by cursor, for each of ``kinds``. "document":
    # ``path`` polled with ETag, its body CAP, Atom/RSS of CAP, GeoJSON, STIX 2.1 or JSON
    # under ``mapping``.
    feed: Literal["toolapi", "document"] = "toolapi"
    kinds: tuple[Literal["alerts", "detections", "observations", "tracks", "posts"], ...] = (
        "alerts",
    )
    path: str = Field("", max_length=1024, pattern=r"^(/[^\s]*)?$")
    mapping: dict[str, Any] | None = None
