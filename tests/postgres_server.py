"""A throwaway PostgreSQL server for the history-store tests: Debian's ``postgresql`` package,
``initdb`` into a temporary directory, started on a free port of 127.0.0.1 with password
(SCRAM) authentication, stopped and deleted afterwards.

PostgreSQL refuses to run as root; as root the server runs as the unprivileged user ``nobody``,
owning its data directory. Without the binaries the tests skip, except under ``CI=true``, where
they fail: CI installs the package (``.ci/run``).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from typing import List, Optional

import pytest

USER = "mlmon"
PASSWORD = "test-only-" + uuid.uuid4().hex[:12]


def bindir() -> Optional[str]:
    """The folder holding ``initdb`` and ``pg_ctl``: ``pg_config --bindir``, else the newest
    ``/usr/lib/postgresql/<version>/bin``, else ``PATH``."""
    candidates: List[str] = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0:
            candidates.append(out.stdout.strip())
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]) if p.split("/")[-2].isdigit() else 0,
                         reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(os.path.dirname(on_path))
    for folder in candidates:
        if os.path.exists(os.path.join(folder, "initdb")) and os.path.exists(os.path.join(folder, "pg_ctl")):
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    def __init__(self, folder: str):
        self.bin = folder
        self.base = tempfile.mkdtemp(prefix="mlmon-pg-")
        self.data = os.path.join(self.base, "data")
        self.log = os.path.join(self.base, "server.log")
        self.port = _free_port()
        self.prefix: List[str] = []
        if os.geteuid() == 0:  # postgres will not run as root
            nobody = pwd.getpwnam("nobody")
            os.chown(self.base, nobody.pw_uid, nobody.pw_gid)
            self.prefix = (["runuser", "-u", "nobody", "--"] if shutil.which("runuser") else
                           ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"])

    def _run(self, *args: str) -> None:
        proc = subprocess.run([*self.prefix, *args], capture_output=True, text=True, timeout=120, cwd=self.base)
        if proc.returncode != 0:
            log = open(self.log).read() if os.path.exists(self.log) else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed: {proc.stdout}{proc.stderr}{log}")

    def start(self) -> "PostgresServer":
        pwfile = os.path.join(self.base, "pw")
        with open(pwfile, "w") as f:
            f.write(PASSWORD + "\n")
        if self.prefix:
            os.chown(pwfile, *(lambda u: (u.pw_uid, u.pw_gid))(pwd.getpwnam("nobody")))
        self._run(os.path.join(self.bin, "initdb"), "-D", self.data, "-U", USER, f"--pwfile={pwfile}",
                  "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--no-sync", "--locale=C")
        os.unlink(pwfile)
        options = f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60"
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", self.log, "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        try:
            self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def url(self, database: str = "postgres", password: bool = True) -> str:
        auth = f"{USER}:{PASSWORD}" if password else USER
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its URL (with the password)."""
        import psycopg

        name = "h_" + uuid.uuid4().hex[:12]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def start_or_skip() -> PostgresServer:
    folder = bindir()
    if folder is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl) not found: install Debian's postgresql package"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("psycopg is not installed")
        pytest.skip("psycopg is not installed")
    return PostgresServer(folder).start()
