"""The HTTP server hosting simulated tools under ``/tools/<tool id>/api/v1/...``.

Standard library only, one thread per request, bound to loopback on a free port by default.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import ValidationError

from app.simtools.tool import SimulatedTool
from app.toolapi import API_VERSION
from app.toolapi.schema import ActionOut, describe_error

log = logging.getLogger(__name__)

_FEED = re.compile(
    r"^/tools/(?P<tool>[\w.-]+)/api/v1/(?P<kind>alerts|detections|observations|tracks|posts)$"
)
_DOCUMENT = re.compile(r"^/tools/(?P<tool>[\w.-]+)(?P<rest>/.*)$")
_ACTIONS = re.compile(r"^/tools/(?P<tool>[\w.-]+)/api/v1/alerts/(?P<alert>[^/]+)/actions$")
MAX_LIMIT = 1000
MAX_BODY = 64 * 1024


class SimulatedToolServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.tools: dict[str, SimulatedTool] = {}
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        # Request threads are joined on stop (no daemon threads left behind by a test or demo).
        self._httpd.daemon_threads = False
        self._httpd.block_on_close = True
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def add(self, tool: SimulatedTool) -> str:
        """Hosts ``tool`` and returns the base URL a connector is configured with."""
        self.tools[tool.tool_id] = tool
        return f"{self.url}/tools/{tool.tool_id}"

    def start(self) -> SimulatedToolServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"simtools-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        with self._connections_lock:
            open_connections = list(self._connections)
        for connection in open_connections:  # wakes threads waiting on keep-alive connections
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> SimulatedToolServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _handler_for(server: SimulatedToolServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            with server._connections_lock:
                server._connections.add(self.connection)

        def finish(self) -> None:
            with server._connections_lock:
                server._connections.discard(self.connection)
            with contextlib.suppress(OSError):
                super().finish()

        def handle(self) -> None:
            # A client that gave up (timeout) and hung up is normal, not an error.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                super().handle()

        def log_message(self, fmt: str, *args: Any) -> None:
            log.debug("simtools: " + fmt, *args)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            match = _FEED.match(url.path)
            tool = server.tools.get(match["tool"]) if match else None
            if tool is None:
                return self._document(url.path)
            if not self._admitted(tool):
                return None
            query = parse_qs(url.query)
            try:
                since = int(query.get("since", ["0"])[0])
                limit = min(MAX_LIMIT, max(1, int(query.get("limit", ["500"])[0])))
            except ValueError:
                return self._json(HTTPStatus.BAD_REQUEST, {"error": "since and limit are numbers"})
            items, last, more = tool.page(since, limit, match["kind"])
            etag = f'"{tool.tool_id}-{match["kind"]}-{since}-{last}-{limit}"'
            if self.headers.get("If-None-Match") == etag:
                tool.not_modified += 1
                return self._send(HTTPStatus.NOT_MODIFIED, b"", None, {"ETag": etag})
            page = {
                "api_version": API_VERSION,
                "items": items,
                "next_cursor": str(last),
                "has_more": more,
            }
            return self._json(HTTPStatus.OK, page, {"ETag": etag})

        def _document(self, path: str) -> None:
            match = _DOCUMENT.match(path)
            tool = server.tools.get(match["tool"]) if match else None
            served = tool.document(match["rest"]) if tool is not None and match else None
            if tool is None or served is None:
                return self._json(HTTPStatus.NOT_FOUND, {"error": "no such resource"})
            if not self._admitted(tool):
                return None
            body, content_type = served
            etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
            if self.headers.get("If-None-Match") == etag:
                tool.not_modified += 1
                return self._send(HTTPStatus.NOT_MODIFIED, b"", None, {"ETag": etag})
            return self._send(HTTPStatus.OK, body, content_type, {"ETag": etag})

        def do_POST(self) -> None:
            match = _ACTIONS.match(urlsplit(self.path).path)
            tool = server.tools.get(match["tool"]) if match else None
            if tool is None:
                return self._json(HTTPStatus.NOT_FOUND, {"error": "no such resource"})
            if not self._admitted(tool):
                return None
            length = int(self.headers.get("Content-Length", "0"))
            if length > MAX_BODY:
                return self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too large"})
            try:
                action = ActionOut.model_validate_json(self.rfile.read(length))
            except ValidationError as exc:
                return self._json(HTTPStatus.UNPROCESSABLE_ENTITY, {"error": describe_error(exc)})
            if action.alert_identifier != unquote(match["alert"]):
                return self._json(
                    HTTPStatus.UNPROCESSABLE_ENTITY,
                    {"error": "alert_identifier does not match the URL"},
                )
            new = tool.record_action(action.model_dump(mode="json"))
            return self._json(HTTPStatus.ACCEPTED if new else HTTPStatus.OK, {"accepted": True})

        def _admitted(self, tool: SimulatedTool) -> bool:
            """Applies an injected fault or the API key check; False when already answered."""
            fault = tool.next_fault()
            if fault is not None:
                time.sleep(fault.delay_s)
                if fault.drop_connection:
                    self.close_connection = True
                    self.connection.close()
                else:
                    self._send(fault.status, fault.body, fault.content_type)
                return False
            # The key as an API-key header or as a bearer token (tools take either).
            presented = {
                self.headers.get("X-API-Key"),
                (self.headers.get("Authorization") or "").removeprefix("Bearer "),
            }
            if tool.api_key and tool.api_key not in presented:
                self._json(HTTPStatus.UNAUTHORIZED, {"error": "missing or wrong API key"})
                return False
            return True

        def _json(
            self, status: int, document: object, headers: dict[str, str] | None = None
        ) -> None:
            self._send(status, json.dumps(document).encode(), "application/json", headers)

        def _send(
            self,
            status: int,
            body: bytes,
            content_type: str | None,
            headers: dict[str, str] | None = None,
        ) -> None:
            self.send_response(status)
            if content_type:
                self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            if body:
                self.wfile.write(body)

    return Handler
