"""A real OpenLDAP server (Debian ``slapd``) for the directory sign-in tests, on a free
127.0.0.1 port, with its own configuration and database in the test's folder.

One server per test keeps tests independent of any directory on the machine. It is configured
with a ``slapd.conf`` file (the mdb backend and the memberOf overlay, which Active Directory
users expect), filled with ``ldapadd`` as the root DN, and ready when an anonymous search of
the root DSE answers (a deadline, never a fixed sleep).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType

from tests.mosquitto import free_port

log = logging.getLogger(__name__)

DEBIAN_SLAPD = Path("/usr/sbin/slapd")
SCHEMAS = Path("/etc/ldap/schema")
MODULES = Path("/usr/lib/ldap")
START_DEADLINE_S = 20.0
STOP_DEADLINE_S = 10.0
SUFFIX = "dc=watchfloor,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "slapd-root-secret"  # a throwaway server's, in a temporary folder


def slapd_path() -> Path | None:
    found = shutil.which("slapd")
    if found:
        return Path(found)
    return DEBIAN_SLAPD if DEBIAN_SLAPD.exists() else None


def tools_present() -> bool:
    return slapd_path() is not None and shutil.which("ldapadd") is not None


class SlapdServer:
    def __init__(self, folder: Path) -> None:
        executable = slapd_path()
        if executable is None:
            raise FileNotFoundError("slapd is not installed")
        self.executable = executable
        self.folder = folder
        self.port = free_port()
        self.url = f"ldap://127.0.0.1:{self.port}"
        self.data = folder / "data"
        self.config_file = folder / "slapd.conf"
        self.log_file = folder / "slapd.log"
        self._process: subprocess.Popen[bytes] | None = None

    def _config(self) -> str:
        schemas = ("core", "cosine", "inetorgperson", "nis")
        return "\n".join(
            [
                *(f"include {SCHEMAS / name}.schema" for name in schemas),
                f"modulepath {MODULES}",
                "moduleload back_mdb",
                "moduleload memberof",
                f"pidfile {self.folder / 'slapd.pid'}",
                f"argsfile {self.folder / 'slapd.args'}",
                "database mdb",
                "maxsize 16777216",
                f'suffix "{SUFFIX}"',
                f'rootdn "{ROOT_DN}"',
                f"rootpw {ROOT_PASSWORD}",
                f"directory {self.data}",
                "overlay memberof",
                "access to attrs=userPassword by self read by anonymous auth by * none",
                "access to * by * read",
                "",
            ]
        )

    def start(self) -> SlapdServer:
        self.data.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(self._config(), encoding="utf-8")
        with self.log_file.open("ab") as sink:
            # -d keeps it in the foreground (ours to stop); its stderr goes to a file.
            self._process = subprocess.Popen(
                [str(self.executable), "-f", str(self.config_file), "-h", self.url, "-d", "0"],
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=sink,
            )
        deadline = time.monotonic() + START_DEADLINE_S
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                text = self.log_file.read_text(errors="replace")[-2000:]
                self.stop()
                raise RuntimeError(f"slapd did not start on {self.url}:\n{text}")
            time.sleep(0.05)
        return self

    def _answers(self) -> bool:
        probe = subprocess.run(
            ["ldapsearch", "-x", "-H", self.url, "-s", "base", "-b", "", "(objectClass=*)"],
            capture_output=True,
            timeout=10,
        )
        return probe.returncode == 0

    def add(self, ldif: str) -> None:
        """Adds entries as the root DN; raises with ldapadd's own words on a failure."""
        done = subprocess.run(
            ["ldapadd", "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PASSWORD],
            input=ldif.encode("utf-8"),
            capture_output=True,
            timeout=30,
        )
        if done.returncode != 0:
            raise RuntimeError(f"ldapadd failed: {done.stderr.decode(errors='replace')}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(STOP_DEADLINE_S)
        except subprocess.TimeoutExpired:
            log.warning("slapd did not stop in %s s; killing it", STOP_DEADLINE_S)
            process.kill()
            process.wait(STOP_DEADLINE_S)

    def __enter__(self) -> SlapdServer:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()
