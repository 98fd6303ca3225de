"""A connector to one remote tool over REST: pulls its alerts, pushes the operators' actions.

One ``requests`` session in the connector's own thread. Pull reads new records since a stored
cursor (with ETag, page after page); push drains the outbox in order. Any failure (tool down,
HTTP error, timeout, bad payload, full store) is reported as health and retried with backoff;
the cursor only moves after the records are stored, and the store is idempotent, so a retry or
a restart never loses nor doubles a record.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import quote

import requests
from pydantic import ValidationError

from app.hub import Hub
from app.ingest import Ingest
from app.messages import HealthState, SourceHealth
from app.storage import StorageError
from app.sync import credentials
from app.sync.backoff import Backoff
from app.sync.config import ConnectorConfig
from app.sync.state import FeedPosition, SyncState
from app.terminology import default_terminology
from app.toolapi.adapters import AdapterError
from app.toolapi.adapters.parse import parse_alerts
from app.toolapi.records import KIND_MODELS
from app.toolapi.schema import RecordPage, describe_error

log = logging.getLogger(__name__)

DOWN_AFTER_FAILURES = 3
READ_CHUNK = 64 * 1024


class SyncError(Exception):
    """Why one exchange with the tool failed, in words for the operator's status bar."""


class RestConnector:
    def __init__(self, **params: Any) -> None:
        # A credential named by ``auth.secret`` is read from the secret store now.
        self.config = credentials.resolve(ConnectorConfig.model_validate(params))
        self.id = self.config.id
        self.title = self.config.title or self.config.id
        self.base_url = str(self.config.base_url).rstrip("/")
        self.records_in = 0
        self.records_rejected = 0

    def run(self, ingest: Ingest, hub: Hub, token: threading.Event) -> None:
        state = SyncState(ingest.store, self.id)
        backoff = Backoff(self.config.retry_base_s, self.config.retry_cap_s)
        with self._session() as session:
            while not token.is_set():
                try:
                    more = self._pull(session, state, ingest)
                    self._push(session, state)
                except SyncError as exc:
                    failures = backoff.failures + 1
                    down = failures >= DOWN_AFTER_FAILURES
                    health = HealthState.DOWN if down else HealthState.DEGRADED
                    log.warning("%s: %s", self.title, exc)
                    hub.publish(self._health(health, str(exc)))
                    token.wait(backoff.next_delay())
                    continue
                backoff.reset()
                hub.publish(self._health(HealthState.OK, ""))
                if not more:
                    token.wait(self.config.poll_interval_s)

    def _session(self) -> requests.Session:
        session = requests.Session()
        auth = self.config.auth
        if auth.kind == "api_key":
            session.headers[auth.header] = auth.key
        elif auth.kind == "bearer":
            session.headers["Authorization"] = f"Bearer {auth.token}"
        elif auth.kind == "basic":
            session.auth = (auth.username, auth.password)
        elif auth.kind == "mtls":
            session.cert = (
                (str(auth.cert_file), str(auth.key_file)) if auth.key_file else str(auth.cert_file)
            )
        session.verify = (
            str(self.config.ca_bundle) if self.config.ca_bundle else (self.config.verify_tls)
        )
        session.headers["Accept"] = "application/json"
        session.headers["User-Agent"] = "Watchfloor"
        return session

    def _pull(self, session: requests.Session, state: SyncState, ingest: Ingest) -> bool:
        if self.config.feed == "document":
            return self._pull_document(session, state, ingest)
        more = False
        for kind in self.config.kinds:
            # Alerts keep the connector's own cursor (stores from before kinds existed).
            cursor = state if kind == "alerts" else SyncState(ingest.store, f"{self.id}/{kind}")
            more = self._pull_page(session, cursor, ingest, kind) or more
        return more

    def _pull_document(self, session: requests.Session, state: SyncState, ingest: Ingest) -> bool:
        """Polls a tool's own feed or document; unchanged answers cost a 304, re-sent alerts
        are idempotent, so the whole document can be read every time."""
        position = state.position()
        headers = {"If-None-Match": position.etag} if position.etag else {}
        body, etag, content_type = self._get(
            session, self.base_url + self.config.path, {}, headers, json_only=False
        )
        if body is None:
            return False
        try:
            batch = parse_alerts(
                body, content_type, self.config.mapping, max_bytes=self.config.max_payload_bytes
            )
        except AdapterError as exc:
            self.records_rejected += 1
            raise SyncError(f"the tool sent an unusable document: {exc}") from exc
        for rejection in batch.rejected:
            self.records_rejected += 1
            log.warning("%s: rejected %s", self.title, rejection)
        terms = default_terminology()
        records = [alert.to_record(self.id, terms) for alert in batch.alerts]
        self._store(ingest, records)
        state.advance(FeedPosition(None, etag))
        return False

    def _store(self, ingest: Ingest, records: list[Any]) -> None:
        try:
            ingest.accept(records)
        except StorageError as exc:
            raise SyncError(str(exc)) from exc
        self.records_in += len(records)

    def _pull_page(
        self, session: requests.Session, state: SyncState, ingest: Ingest, kind: str
    ) -> bool:
        """Fetches and stores one page of ``kind``; True when the tool says more are waiting."""
        position = state.position()
        params: dict[str, Any] = {"limit": self.config.page_limit}
        headers = {}
        if position.cursor is not None:
            params["since"] = position.cursor
        if position.etag:
            headers["If-None-Match"] = position.etag
        url = f"{self.base_url}/api/v1/{kind}"
        body, etag, _type = self._get(session, url, params, headers)
        if body is None:
            return False
        try:
            page = RecordPage.model_validate_json(body)
        except ValidationError as exc:
            self.records_rejected += 1
            raise SyncError(f"the tool sent an invalid page: {describe_error(exc)}") from exc
        self._store(ingest, self._validated(kind, page.items))
        state.advance(FeedPosition(page.next_cursor or position.cursor, etag))
        return page.has_more

    def _validated(self, kind: str, items: list[Any]) -> list[Any]:
        terms = default_terminology()
        model = KIND_MODELS[kind]
        records = []
        for index, item in enumerate(items):
            try:
                records.append(model.model_validate(item).to_record(self.id, terms))
            except (ValidationError, ValueError) as exc:
                reason = describe_error(exc) if isinstance(exc, ValidationError) else str(exc)
                self.records_rejected += 1
                ident = item.get("identifier", "?") if isinstance(item, dict) else "?"
                log.warning("%s: rejected record %d (%s): %s", self.title, index, ident, reason)
        return records

    def _get(
        self,
        session: requests.Session,
        url: str,
        params: dict[str, Any],
        headers: dict[str, str],
        json_only: bool = True,
    ) -> tuple[bytes | None, str | None, str]:
        try:
            response = session.get(
                url, params=params, headers=headers, stream=True, timeout=self.config.timeout_s
            )
        except requests.Timeout as exc:
            raise SyncError(f"no answer within {self.config.timeout_s:g} s") from exc
        except requests.RequestException as exc:
            raise SyncError(f"cannot reach the tool: {_short(exc)}") from exc
        with response:
            if response.status_code == 304:
                return None, response.headers.get("ETag"), ""
            if response.status_code != 200:
                raise SyncError(f"the tool answered HTTP {response.status_code}")
            content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
            if not _acceptable(content_type, json_only):
                wanted = "JSON" if json_only else "JSON or XML"
                raise SyncError(f"expected {wanted}, the tool sent {content_type or 'no type'}")
            return self._read_limited(response), response.headers.get("ETag"), content_type

    def _read_limited(self, response: requests.Response) -> bytes:
        limit = self.config.max_payload_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise SyncError(f"refused a {int(declared):,} byte answer (limit {limit:,})")
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(READ_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise SyncError(f"refused an answer over {limit:,} bytes")
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise SyncError(f"the answer broke off: {_short(exc)}") from exc
        return b"".join(chunks)

    def _push(self, session: requests.Session, state: SyncState) -> None:
        """Sends owed updates oldest first; stops at the first failure to keep their order."""
        for update in state.pending():
            # CAP identifiers may hold "/", "?" or "#": one path segment, encoded.
            alert_id = quote(update.payload["alert_identifier"], safe="")
            url = f"{self.base_url}/api/v1/alerts/{alert_id}/actions"
            try:
                response = session.post(url, json=update.payload, timeout=self.config.timeout_s)
            except requests.RequestException as exc:
                state.failed(update.action_id, _short(exc))
                raise SyncError(f"could not deliver an update: {_short(exc)}") from exc
            if response.status_code >= 300:
                state.failed(update.action_id, f"HTTP {response.status_code}")
                raise SyncError(f"the tool refused an update: HTTP {response.status_code}")
            state.delivered(update.action_id)

    def _health(self, state: HealthState, error: str) -> SourceHealth:
        return SourceHealth(
            self.id,
            self.title,
            state,
            error,
            records_in=self.records_in,
            records_rejected=self.records_rejected,
        )


def _acceptable(content_type: str, json_only: bool) -> bool:
    is_json = content_type == "application/json" or content_type.endswith("+json")
    is_xml = content_type in ("application/xml", "text/xml") or content_type.endswith("+xml")
    return is_json or (is_xml and not json_only)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 200 else text[:197] + "..."
