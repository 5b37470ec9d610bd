"""Starts and supervises the embedded Temporal dev server (`temporal server start-dev`).

Touches one child process, its data directory (SQLite file and log) and loopback ports;
falls back to the SDK's `WorkflowEnvironment.start_local` when no CLI binary is available.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import errno
import fcntl
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from cloud.temporal.cli_binary import default_cache_dir, resolve_temporal_cli
from cloud.temporal.errors import DevServerError
from cloud.temporal.search_attributes import SEARCH_ATTRIBUTES
from shared.errors import ConfigError

logger = logging.getLogger(__name__)

DEFAULT_SEARCH_ATTRIBUTES: Mapping[str, str] = SEARCH_ATTRIBUTES

_SEARCH_ATTRIBUTE_KEYS: Mapping[str, Callable[[str], SearchAttributeKey[Any]]] = {
    "Text": SearchAttributeKey.for_text,
    "Keyword": SearchAttributeKey.for_keyword,
    "Int": SearchAttributeKey.for_int,
    "Double": SearchAttributeKey.for_float,
    "Bool": SearchAttributeKey.for_bool,
    "Datetime": SearchAttributeKey.for_datetime,
    "KeywordList": SearchAttributeKey.for_keyword_list,
}

LOG_FILE = "temporal.log"
DB_FILE = "temporal.db"
_PR_SET_PDEATHSIG = 1
_RESTART_DELAYS = (1.0, 2.0, 4.0, 8.0, 16.0, 30.0)
# A server that stayed up this long counts as healthy again: the backoff starts over.
_STABLE_AFTER_SECONDS = 60.0


def _die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child get SIGTERM when this process dies (even by SIGKILL).

    Linux only (prctl PR_SET_PDEATHSIG). The signal follows the *thread* that forked the child,
    which is the event loop's thread here, and that thread lives as long as the DevServer.
    """
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def hook() -> None:
        # Runs in the child between fork and exec: no allocation-heavy work here.
        if prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            os._exit(121)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(122)

    return hook


def _ensure_port_free(ip: str, port: int, what: str) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((ip, port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                raise DevServerError(f"cannot bind the {what} port {ip}:{port}: {exc}") from exc
            raise DevServerError(
                f"the {what} port {ip}:{port} is already in use (another Temporal dev server?); "
                "stop that process, pick another port (temporal_dev_port / temporal_ui_port), "
                "or set TEMPORAL_ADDRESS to use a running Temporal instead"
            ) from exc


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return "(no log written)"
    return "\n".join(text.strip().splitlines()[-lines:]) or "(log is empty)"


# The dev server's SQLite otherwise journals in rollback mode with a full sync per commit: every
# workflow task and activity completion waits on the disk, and under CPU pressure the server
# loses task dispatches to timeouts. WAL with a sync at checkpoints keeps a committed history
# across a process crash (not across power loss, where the last commits may go).
SQLITE_PRAGMAS = ("journal_mode=wal", "synchronous=normal")


class DevServer:
    """The embedded Temporal dev server as an async context manager.

    `async with DevServer(data_dir) as server:` starts `temporal server start-dev` with SQLite
    persistence in `data_dir`, waits until it answers with the search attributes registered,
    restarts it with backoff if it dies, and stops it (SIGTERM, then SIGKILL) on exit.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        ip: str = "127.0.0.1",
        port: int = 7233,
        ui_port: int = 8233,
        ui: bool = True,
        namespace: str = "default",
        search_attributes: Mapping[str, str] = DEFAULT_SEARCH_ATTRIBUTES,
        cli_path: Path | None = None,
        cache_dir: Path | None = None,
        use_sdk_launcher: bool = False,
        log_level: str = "warn",
        startup_timeout: float = 60.0,
        stop_grace: float = 10.0,
    ) -> None:
        unknown = {k: v for k, v in search_attributes.items() if v not in _SEARCH_ATTRIBUTE_KEYS}
        if unknown:
            raise ConfigError(
                f"unknown search attribute type(s) {unknown}; "
                f"use one of {', '.join(_SEARCH_ATTRIBUTE_KEYS)}"
            )
        self.data_dir = data_dir
        self.ip = ip
        self.port = port
        self.ui_port = ui_port
        self.ui = ui
        self.namespace = namespace
        self.search_attributes = dict(search_attributes)
        self.cache_dir = cache_dir or default_cache_dir()
        self.log_level = log_level
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self._cli_path = cli_path
        self._use_sdk_launcher = use_sdk_launcher
        self._process: asyncio.subprocess.Process | None = None
        self._sdk_env: WorkflowEnvironment | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._stopping = False
        self.restarts = 0
        #: Set each time the supervisor brought the server back after an unexpected exit.
        self.restarted = asyncio.Event()
        self.failure: DevServerError | None = None

    @property
    def target(self) -> str:
        """host:port clients connect to."""
        return f"{self.ip}:{self.port}"

    @property
    def ui_url(self) -> str | None:
        """Address of the Web UI, or None when it is off."""
        return f"http://{self.ip}:{self.ui_port}" if self.ui else None

    @property
    def log_path(self) -> Path:
        """The dev server's own log (CLI launcher only)."""
        return self.data_dir / LOG_FILE

    @property
    def db_path(self) -> Path:
        """The SQLite file holding namespaces, workflows and histories."""
        return self.data_dir / DB_FILE

    @property
    def pid(self) -> int | None:
        """Process id of the running dev server (CLI launcher only)."""
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    async def __aenter__(self) -> DevServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        """Start the dev server and return once it answers; DevServerError if it never does."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._stopping = False
        self.failure = None
        cli = self._cli_path or await asyncio.to_thread(resolve_temporal_cli, self.cache_dir)
        if cli is None or self._use_sdk_launcher:
            await self._start_with_sdk(cli)
            return
        await self._spawn(cli)
        self._supervisor = asyncio.create_task(self._supervise(cli), name="temporal-dev-server")
        logger.info(
            "Temporal dev server ready at %s (Web UI %s, data %s)",
            self.target,
            self.ui_url or "off",
            self.db_path,
        )

    async def stop(self) -> None:
        """Stop the dev server gracefully (SIGTERM, then SIGKILL after `stop_grace`)."""
        self._stopping = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        if self._process is not None:
            await self._terminate(self._process)
            self._process = None
        if self._sdk_env is not None:
            await self._sdk_env.shutdown()
            self._sdk_env = None

    def command(self, cli: Path) -> list[str]:
        """The `temporal server start-dev` command line for `cli`."""
        args = [
            str(cli), "server", "start-dev",
            "--ip", self.ip,
            "--port", str(self.port),
            "--db-filename", str(self.db_path),
            "--namespace", self.namespace,
            "--log-level", self.log_level,
        ]  # fmt: skip
        for pragma in SQLITE_PRAGMAS:
            args += ["--sqlite-pragma", pragma]
        args += ["--ui-port", str(self.ui_port)] if self.ui else ["--headless"]
        for name, kind in self.search_attributes.items():
            args += ["--search-attribute", f"{name}={kind}"]
        return args

    async def _hold_database_lock(self) -> int:
        """Wait until no earlier dev server uses our database, then lock it for the next one.

        The child inherits the locked descriptor, so the lock lasts exactly as long as the dev
        server process: after a SIGKILL of this process the restarted one waits here until the
        orphaned server (which got SIGTERM from the kernel) has finished shutting down.
        """
        self.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.data_dir / "temporal.lock", os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise DevServerError(
                        f"another Temporal dev server still uses {self.db_path}; stop it "
                        "(or wait for it to exit) and start again"
                    ) from None
                await asyncio.sleep(0.2)

    async def _spawn(self, cli: Path) -> None:
        lock_fd = await self._hold_database_lock()
        try:
            await self._spawn_locked(cli, lock_fd)
        finally:
            os.close(lock_fd)  # the child keeps its inherited copy of the lock

    async def _spawn_locked(self, cli: Path, lock_fd: int) -> None:
        _ensure_port_free(self.ip, self.port, "Temporal frontend")
        if self.ui:
            _ensure_port_free(self.ip, self.ui_port, "Temporal Web UI")
        with self.log_path.open("ab") as log:
            log.write(f"--- starting dev server at {time.strftime('%Y-%m-%dT%H:%M:%S')}\n".encode())
            log.flush()
            # Own session: a Ctrl-C in the terminal reaches us, and we stop the server in order.
            self._process = await asyncio.create_subprocess_exec(
                *self.command(cli),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                preexec_fn=_die_with_parent(),
                pass_fds=(lock_fd,),
            )
        logger.debug("started %s (pid %s)", cli, self._process.pid)
        try:
            await self._wait_ready(self._process)
        except BaseException:
            await self._terminate(self._process)
            raise

    async def _wait_ready(self, process: asyncio.subprocess.Process | None) -> None:
        deadline = time.monotonic() + self.startup_timeout
        problem = "no answer yet"
        while time.monotonic() < deadline:
            if process is not None and process.returncode is not None:
                raise DevServerError(
                    f"the Temporal dev server exited with code {process.returncode} during "
                    f"startup; last lines of {self.log_path}:\n{_log_tail(self.log_path)}"
                )
            try:
                client = await Client.connect(
                    self.target, namespace=self.namespace, connect_timeout=timedelta(seconds=2)
                )
                missing = await self._missing_search_attributes(client)
            except (RuntimeError, RPCError) as exc:  # connect failures come as RuntimeError
                problem = str(exc)
            else:
                if not missing:
                    if process is not None and process.returncode is not None:
                        continue  # someone else answered on our port; report our exit above
                    return
                problem = f"search attributes not registered yet: {', '.join(missing)}"
            await asyncio.sleep(0.25)
        raise DevServerError(
            f"the Temporal dev server at {self.target} did not become ready within "
            f"{self.startup_timeout:.0f} s ({problem}); last lines of {self.log_path}:\n"
            f"{_log_tail(self.log_path)}"
        )

    async def _missing_search_attributes(self, client: Client) -> list[str]:
        response = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=self.namespace)
        )
        known = set(response.custom_attributes) | set(response.system_attributes)
        return sorted(set(self.search_attributes) - known)

    async def _terminate(self, process: asyncio.subprocess.Process) -> None:
        if process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), self.stop_grace)
        except TimeoutError:
            logger.warning(
                "Temporal dev server did not stop within %.0f s; killing it", self.stop_grace
            )
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        logger.info("Temporal dev server stopped (exit %s)", process.returncode)

    async def _supervise(self, cli: Path) -> None:
        attempt = 0
        started = time.monotonic()
        while True:
            process = self._process
            assert process is not None
            code = await process.wait()
            if self._stopping:
                return
            if time.monotonic() - started > _STABLE_AFTER_SECONDS:
                attempt = 0
            delay = _RESTART_DELAYS[min(attempt, len(_RESTART_DELAYS) - 1)]
            logger.error(
                "Temporal dev server exited unexpectedly (code %s); restarting in %.0f s. "
                "Last lines of %s:\n%s",
                code,
                delay,
                self.log_path,
                _log_tail(self.log_path, 10),
            )
            while True:
                await asyncio.sleep(delay)
                attempt += 1
                try:
                    await self._spawn(cli)
                except DevServerError as exc:
                    self.failure = exc
                    delay = _RESTART_DELAYS[min(attempt, len(_RESTART_DELAYS) - 1)]
                    logger.error("restarting the Temporal dev server failed: %s", exc)
                    continue
                self.failure = None
                self.restarts += 1
                self.restarted.set()
                started = time.monotonic()
                logger.warning("Temporal dev server restarted (restart #%d)", self.restarts)
                break

    async def _start_with_sdk(self, cli: Path | None) -> None:
        download_dir = self.cache_dir / "bin"
        download_dir.mkdir(parents=True, exist_ok=True)
        if cli is None:
            logger.warning(
                "no Temporal CLI available; the SDK downloads one into %s (needs internet)",
                download_dir,
            )
        try:
            self._sdk_env = await WorkflowEnvironment.start_local(
                namespace=self.namespace,
                ip=self.ip,
                port=self.port,
                ui=self.ui,
                ui_port=self.ui_port if self.ui else None,
                search_attributes=[
                    _SEARCH_ATTRIBUTE_KEYS[kind](name)
                    for name, kind in self.search_attributes.items()
                ],
                dev_server_existing_path=str(cli) if cli is not None else None,
                download_dest_dir=str(download_dir),
                dev_server_database_filename=str(self.db_path),
                dev_server_log_level=self.log_level,
                dev_server_startup_timeout=timedelta(seconds=self.startup_timeout),
            )
        except RuntimeError as exc:
            raise DevServerError(
                f"could not start the Temporal dev server through the SDK: {exc}; install the "
                "Temporal CLI (`make temporal-cli`, or set TEMPORAL_CLI) or set TEMPORAL_ADDRESS"
            ) from exc
        await self._wait_ready(None)
        logger.info("Temporal dev server (SDK launcher) ready at %s", self.target)
