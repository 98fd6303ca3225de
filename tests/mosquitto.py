"""A real Mosquitto broker for tests and benchmarks, on a free 127.0.0.1 port.

A broker of our own per test (not a shared one on 1883) keeps tests independent of whatever runs
on the machine, and lets a test stop and restart it on the same port to exercise reconnects.
Readiness is a deadline on the port accepting connections, never a fixed sleep.
"""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

DEBIAN_PATH = Path("/usr/sbin/mosquitto")
START_DEADLINE_S = 10.0
STOP_DEADLINE_S = 5.0


def mosquitto_path() -> Path | None:
    """The broker's executable; Debian installs it in /usr/sbin, often not on a user's PATH."""
    found = shutil.which("mosquitto")
    if found:
        return Path(found)
    return DEBIAN_PATH if DEBIAN_PATH.exists() else None


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


class MosquittoBroker:
    """One broker process; ``stop()`` and ``start()`` again reuse the same port and config."""

    def __init__(
        self, folder: Path, port: int | None = None, extra_config: tuple[str, ...] = ()
    ) -> None:
        executable = mosquitto_path()
        if executable is None:
            raise FileNotFoundError("mosquitto is not installed")
        self.executable = executable
        self.host = "127.0.0.1"
        self.port = port or free_port(self.host)
        self.folder = folder
        self.config_file = folder / "mosquitto.conf"
        self.log_file = folder / "mosquitto.log"
        lines = (
            f"listener {self.port} {self.host}",
            "allow_anonymous true",
            "persistence false",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            *extra_config,
        )
        self.config_file.write_text("\n".join(lines) + "\n")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> MosquittoBroker:
        if self.running:
            return self
        # stderr goes to a file: a pipe nobody reads would fill and stall the broker.
        with self.log_file.open("ab") as log_sink:
            self._process = subprocess.Popen(
                [str(self.executable), "-c", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=log_sink,
                stderr=log_sink,
            )
        self._wait_until_listening()
        log.debug("mosquitto listening on %s:%d", self.host, self.port)
        return self

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_DEADLINE_S
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"mosquitto exited at start:\n{self.log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)  # polling a deadline, not waiting a fixed time
        self.stop()
        raise TimeoutError(
            f"mosquitto did not listen on {self.port} within {START_DEADLINE_S:g} s:\n"
            f"{self.log_tail()}"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(STOP_DEADLINE_S)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_file.exists():
            return "(no log)"
        return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> MosquittoBroker:
        return self.start()

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        self.stop()
