"""A real PostgreSQL server for tests and benchmarks, on a free 127.0.0.1 port.

A server of our own (not whatever runs on 5432) keeps tests independent of the machine, lets a
test restart it to exercise the change listener's reconnect, and costs about a second to start:
``initdb`` once per session into a temporary folder, with fsync off (the data is thrown away).
``initdb`` refuses to run as root, so when the suite runs as root the cluster belongs to the
``postgres`` account Debian's package creates, and its commands run through ``runuser``.
Readiness is a deadline on accepting connections, never a fixed sleep.
"""

from __future__ import annotations

import logging
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import TracebackType

from tests.mosquitto import free_port

log = logging.getLogger(__name__)

DEBIAN_ROOT = Path("/usr/lib/postgresql")
START_DEADLINE_S = 30.0
SERVER_USER = "postgres"  # the OS account running the server when we are root


def postgres_bin() -> Path | None:
    """The folder holding initdb, pg_ctl and postgres: Debian keeps them out of PATH, under
    /usr/lib/postgresql/<version>/bin (the newest installed version is used)."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    if not DEBIAN_ROOT.is_dir():
        return None
    versions = sorted(
        (p for p in DEBIAN_ROOT.iterdir() if (p / "bin" / "initdb").exists()),
        key=lambda p: int(p.name) if p.name.isdigit() else 0,
    )
    return versions[-1] / "bin" if versions else None


def unavailable_reason() -> str | None:
    """Why no server can be started here, or None when one can."""
    if postgres_bin() is None:
        return "PostgreSQL is not installed (Debian: apt install postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return "running as root, and there is no 'postgres' account to run the server as"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "the psycopg driver is not installed"
    return None


class PostgresServer:
    """One PostgreSQL cluster; ``restart()`` keeps the port and the data."""

    def __init__(self, folder: Path | None = None, port: int | None = None) -> None:
        binaries = postgres_bin()
        if binaries is None:
            raise FileNotFoundError("PostgreSQL is not installed")
        self.bin = binaries
        self.host = "127.0.0.1"
        self.port = port or free_port(self.host)
        self._own_folder = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="watchfloor-pg-")) if folder is None else folder
        self.data = self.folder / "data"
        self.socket_dir = self.folder / "socket"
        self.log_file = self.folder / "postgres.log"
        self._as_root = os.geteuid() == 0
        self._initialised = False
        self.running = False

    # --- commands ------------------------------------------------------------------------
    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self._as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        return subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=check,
            timeout=START_DEADLINE_S * 2,
        )

    def _initdb(self) -> None:
        for folder in (self.data, self.socket_dir):
            folder.mkdir(parents=True, exist_ok=True)
        if self._as_root:
            account = pwd.getpwnam(SERVER_USER)
            for path in (self.folder, self.data, self.socket_dir):
                os.chown(path, account.pw_uid, account.pw_gid)
            self.folder.chmod(0o755)
        self.log_file.touch()
        if self._as_root:
            os.chown(self.log_file, pwd.getpwnam(SERVER_USER).pw_uid, -1)
        result = self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
            "--no-instructions", check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        self._initialised = True

    def start(self) -> PostgresServer:
        if self.running:
            return self
        if not self._initialised:
            self._initdb()
        options = " ".join(
            (
                f"-p {self.port}",
                f"-k {self.socket_dir}",
                f"-c listen_addresses={self.host}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c shared_buffers=16MB",
                "-c max_connections=100",
            )
        )
        result = self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log_file),
            "-w", "-t", str(int(START_DEADLINE_S)), "start", check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"PostgreSQL did not start:\n{result.stderr}\n{self.log_tail()}")
        self._wait_until_accepting()
        self.running = True
        log.debug("PostgreSQL listening on %s:%d", self.host, self.port)
        return self

    def _wait_until_accepting(self) -> None:
        import psycopg

        deadline = time.monotonic() + START_DEADLINE_S
        while True:
            try:
                with psycopg.connect(self.dsn("postgres"), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # polling a deadline, not waiting a fixed time

    def stop(self, mode: str = "fast") -> None:
        if not self.running:
            return
        self.running = False
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def restart(self) -> None:
        self.stop()
        self.start()

    def cleanup(self) -> None:
        self.stop()
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    # --- databases -----------------------------------------------------------------------
    def dsn(self, database: str) -> str:
        """A libpq connection string (psycopg)."""
        return f"host={self.host} port={self.port} user=postgres dbname={database}"

    def url(self, database: str) -> str:
        """A SQLAlchemy URL, as a workstation's ``database_url`` setting holds it."""
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its name."""
        import psycopg

        name = name or f"wf_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def terminate_backends(self, database: str, application: str | None = None) -> int:
        """Ends the server sessions on ``database`` (as a crashed or restarted server would),
        only those of ``application`` when given; returns how many."""
        import psycopg

        query = (
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()"
        )
        params: list[str] = [database]
        if application is not None:
            query += " AND application_name = %s"
            params.append(application)
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as connection:
            row = connection.execute(query, params).fetchone()
        return int(row[0]) if row else 0

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.cleanup()
