"""Test support: a throwaway real PostgreSQL server on loopback (Debian `postgresql` binaries).

Starts one server per test session in a temporary directory (trust auth, fsync off) and
hands each test a fresh database. Tests that use it are marked `@pytest.mark.postgres`; when
the server cannot run here they stop through `require` (a skip locally, a failure under CI).
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import logging
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.servers import require, require_tool

logger = logging.getLogger(__name__)

_BIN_GLOB = "/usr/lib/postgresql/*/bin"
_SERVICE_USER = "postgres"


def find_postgres_bin() -> Path | None:
    """The newest Debian PostgreSQL bin dir holding initdb and pg_ctl, or None."""

    def version(path: str) -> tuple[int, ...]:
        raw = Path(path).parent.name
        return tuple(int(p) for p in raw.split(".") if p.isdigit())

    for candidate in sorted(glob.glob(_BIN_GLOB), key=version, reverse=True):
        if all(os.access(Path(candidate) / tool, os.X_OK) for tool in ("initdb", "pg_ctl")):
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PostgresServer:
    """A running server; `create_database` gives each test an empty database."""

    bin_dir: Path
    base_dir: Path
    port: int
    run_as: str | None
    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _command(self, *args: str) -> list[str]:
        if self.run_as is None:
            return list(args)
        return ["runuser", "-u", self.run_as, "--", *args]

    def run(self, tool: str, *args: str) -> None:
        command = self._command(str(self.bin_dir / tool), *args)
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            log = self.base_dir / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(
                f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}\n"
                f"server log tail:\n{tail}"
            )

    def start(self) -> None:
        self.run(
            "initdb",
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        options = " ".join(
            [
                f"-p {self.port}",
                f"-k {self.base_dir}",
                "-c listen_addresses=127.0.0.1",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        log = str(self.base_dir / "server.log")
        self.run("pg_ctl", "-D", str(self.data_dir), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        self.run("pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg
        from psycopg import sql

        database = name or f"commerce_{next(self._counter)}"
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
        return self.url(database)


def _service_user() -> str | None:
    """The account to run the server as: PostgreSQL refuses to run as root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(_SERVICE_USER)
    except KeyError:
        require(
            f"a '{_SERVICE_USER}' user to run PostgreSQL as (the tests run as root)",
            "install the Debian package 'postgresql', which creates it (`make system-deps`)",
        )
    require_tool("runuser", "util-linux")
    return _SERVICE_USER


@contextlib.contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a PostgreSQL server for the duration of the block (`require`s the binaries)."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        require(
            f"the PostgreSQL server binaries (initdb, pg_ctl under {_BIN_GLOB})",
            "install the Debian package 'postgresql' (`make system-deps` does)",
        )
    run_as = _service_user()
    base_dir = Path(tempfile.mkdtemp(prefix="commerce-pg-"))
    if run_as is not None:
        entry = pwd.getpwnam(run_as)
        os.chown(base_dir, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(bin_dir=bin_dir, base_dir=base_dir, port=_free_port(), run_as=run_as)
    try:
        server.start()
        logger.info("PostgreSQL %s on 127.0.0.1:%d", bin_dir.parent.name, server.port)
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop()
        shutil.rmtree(base_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server per test session."""
    with running_postgres() as server:
        yield server


@pytest.fixture
def postgres_database(postgres_server: PostgresServer) -> Callable[[], str]:
    """Factory: each call creates an empty database and returns its URL."""
    return postgres_server.create_database


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """URL of a fresh, empty database on the session's PostgreSQL server."""
    return postgres_server.create_database()
