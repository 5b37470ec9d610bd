"""The embedded storefront gateway: nginx, one SNI server block per hostname.

Adapter room: writes files under its own `sites_dir` (included by the operator's main nginx
config) and `certs_dir`, runs `nginx -t` and `nginx -s reload`, and reads /proc to see the
reloaded workers take over (a change answers once they serve it); touches nothing else. Disk and
process work runs in the gateway's own thread, never on the event loop.

A change is all-or-nothing: the files it touches are snapshotted, written, checked with
`nginx -t` and reloaded; if the check fails (`GatewayConfigRejected`, quoting nginx) or nginx is
not running or refuses the reload (`GatewayUnavailable`, retryable), every file is put back as
it was, so the live config never holds half a change. Changes that arrive while one is being
applied, or within `batch_window_seconds` of the first, are batched into one test-and-reload
(`reloads` counts them); when a batch is rejected its changes are retried one by one, so one
bad route cannot sink the others.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from cloud.domains.gateway import (
    GatewayConfigRejected,
    GatewayError,
    GatewayRoute,
    GatewayUnavailable,
    check_route_hostname,
)

logger = logging.getLogger(__name__)

_COMMAND_TIMEOUT_SECONDS = 60
# `nginx -s reload` only signals the master; how long a change waits for the master's new
# workers (the new config) to take over before it answers anyway, and how often it looks.
_TAKEOVER_SECONDS = 10.0
_TAKEOVER_POLL_SECONDS = 0.02


@dataclass(frozen=True)
class NginxSettings:
    """Where nginx and the files this adapter manages live."""

    main_config: Path
    sites_dir: Path
    certs_dir: Path
    # What each server block listens on, e.g. "443" or "127.0.0.1:8443".
    https_listen: str
    binary: Path = Path("/usr/sbin/nginx")
    prefix: Path | None = None
    # The pid file the main config names; read to tell "not running" from other failures.
    pid_file: Path | None = None
    # How long a change waits for others to share its test-and-reload when nginx is idle.
    batch_window_seconds: float = 0.25


def server_block(route: GatewayRoute, settings: NginxSettings) -> str:
    """The nginx server block that serves `route` (SNI = its hostname)."""
    cert, key = _cert_paths(settings, route.hostname)
    return f"""# Managed by commerce-cloud: storefront route for {route.hostname}. Do not edit.
server {{
    listen {settings.https_listen} ssl;
    server_name {route.hostname};
    ssl_certificate {cert};
    ssl_certificate_key {key};
    location / {{
        proxy_pass {route.upstream_url};
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Proto https;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
}}
"""


def _cert_paths(settings: NginxSettings, hostname: str) -> tuple[Path, Path]:
    return settings.certs_dir / f"{hostname}.crt", settings.certs_dir / f"{hostname}.key"


def _site_path(settings: NginxSettings, hostname: str) -> Path:
    return settings.sites_dir / f"{hostname}.conf"


@dataclass
class _Change:
    upserts: tuple[GatewayRoute, ...]
    removals: tuple[str, ...]
    done: asyncio.Future[None] = field(repr=False)


def _write(path: Path, content: bytes, mode: int) -> None:
    partial = path.with_name(f".{path.name}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.chmod(partial, mode)
    partial.replace(path)


class NginxGateway:
    """`StorefrontGateway` over a local nginx."""

    def __init__(self, settings: NginxSettings) -> None:
        self._settings = settings
        self._pending: list[_Change] = []
        self._flusher: asyncio.Task[None] | None = None
        # One thread of its own: changes are applied one batch at a time, and nginx -t/reload
        # never waits behind (or holds up) other blocking work in the process.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="nginx-gateway")
        self.reloads = 0

    # Port -------------------------------------------------------------------------------------
    async def change(
        self, upserts: Sequence[GatewayRoute] = (), removals: Sequence[str] = ()
    ) -> None:
        for hostname in removals:
            check_route_hostname(hostname)
        loop = asyncio.get_running_loop()
        change = _Change(tuple(upserts), tuple(removals), loop.create_future())
        self._pending.append(change)
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        await change.done

    def served_hostnames(self) -> list[str]:
        if not self._settings.sites_dir.is_dir():
            return []
        return sorted(p.name.removesuffix(".conf") for p in self._settings.sites_dir.glob("*.conf"))

    # Batching ---------------------------------------------------------------------------------
    async def _flush(self) -> None:
        batch: list[_Change] = []
        try:
            while self._pending:
                if self._settings.batch_window_seconds > 0:
                    await asyncio.sleep(self._settings.batch_window_seconds)
                batch, self._pending = self._pending, []
                error = await self._apply_in_thread(batch)
                if isinstance(error, GatewayConfigRejected) and len(batch) > 1:
                    # One change may be bad: apply each alone so the good ones still go live.
                    for change in batch:
                        _settle(change, await self._apply_in_thread([change]))
                else:
                    for change in batch:
                        _settle(change, error)
                batch = []
        except BaseException as error:
            # Cancelled (the worker stops) or a fault here: every waiting caller still gets an
            # answer, a retryable one, instead of waiting for its activity's timeout.
            interrupted = GatewayUnavailable(
                f"the gateway change was interrupted ({type(error).__name__}); files are "
                "restored by the next change; the change is retried"
            )
            waiting, self._pending = [*batch, *self._pending], []
            for change in waiting:
                _settle(change, interrupted)
            raise

    async def _apply_in_thread(self, batch: Sequence[_Change]) -> GatewayError | None:
        try:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._apply, batch)
        except GatewayError as error:
            return error
        except OSError as error:
            return GatewayUnavailable(
                f"could not write the gateway's files: {error}; nothing was changed"
            )
        except Exception as error:  # a fault in this adapter: answer, never leave callers waiting
            logger.exception("unexpected error applying a gateway change")
            return GatewayUnavailable(
                f"unexpected error applying the gateway change ({type(error).__name__}: {error}); "
                "the previous files were put back; the change is retried"
            )
        return None

    # One test-and-reload (in a thread) --------------------------------------------------------
    def _apply(self, batch: Sequence[_Change]) -> None:
        settings = self._settings
        # nginx down: refuse before touching a file, so a worker killed while it waits for
        # nginx never leaves a route on disk that the next reload would pick up.
        self._require_running()
        settings.sites_dir.mkdir(parents=True, exist_ok=True)
        settings.certs_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(settings.certs_dir, 0o700)
        writes: dict[Path, tuple[bytes, int] | None] = {}
        for change in batch:
            for hostname in change.removals:
                cert, key = _cert_paths(settings, hostname)
                for path in (_site_path(settings, hostname), cert, key):
                    writes[path] = None
            for route in change.upserts:
                cert, key = _cert_paths(settings, route.hostname)
                writes[cert] = (route.fullchain_pem.encode(), 0o644)
                writes[key] = (route.key_pem, 0o600)
                writes[_site_path(settings, route.hostname)] = (
                    server_block(route, settings).encode(),
                    0o644,
                )
        before = {path: path.read_bytes() if path.exists() else None for path in writes}
        try:
            for path, content in writes.items():
                if content is None:
                    path.unlink(missing_ok=True)
                else:
                    _write(path, *content)
            self._test_config()
            self._reload()
        except BaseException:
            self._restore(before)
            raise
        self.reloads += 1
        logger.info(
            "nginx reloaded: %d route change(s) in one batch",
            sum(len(c.upserts) + len(c.removals) for c in batch),
        )

    def _restore(self, before: dict[Path, bytes | None]) -> None:
        for path, content in before.items():
            try:
                if content is None:
                    path.unlink(missing_ok=True)
                else:
                    _write(path, content, 0o600 if path.suffix == ".key" else 0o644)
            except OSError:
                logger.exception("could not restore %s; the next change rewrites it", path)

    def _nginx(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [str(self._settings.binary)]
        if self._settings.prefix is not None:
            command += ["-p", str(self._settings.prefix)]
        command += ["-c", str(self._settings.main_config), *args]
        try:
            return subprocess.run(
                command,
                capture_output=True,
                text=True,
                timeout=_COMMAND_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            raise GatewayUnavailable(
                f"could not run {' '.join(command)}: {error}; check the nginx binary setting"
            ) from error

    def _test_config(self) -> None:
        done = self._nginx("-t", "-q")
        if done.returncode != 0:
            why = "; ".join(
                line.removeprefix("nginx: ").strip()
                for line in done.stderr.splitlines()
                if line.strip() and "test failed" not in line
            )
            raise GatewayConfigRejected(
                f"nginx refused the new configuration, the previous one stays live: {why}"
            )

    def _running_pid(self) -> int | None:
        pid_file = self._settings.pid_file
        if pid_file is None:
            return None
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def _require_running(self) -> None:
        if self._settings.pid_file is not None and self._running_pid() is None:
            raise GatewayUnavailable(
                f"nginx is not running (no live process in {self._settings.pid_file}); "
                "nothing was changed; start nginx and the change is retried"
            )

    def _reload(self) -> None:
        self._require_running()
        master = self._running_pid()
        before = _workers(master) if master is not None else None
        done = self._nginx("-s", "reload")
        if done.returncode != 0:
            raise GatewayUnavailable(
                f"nginx did not reload ({done.stderr.strip() or done.returncode}); nothing was "
                "changed; the change is retried when nginx runs again"
            )
        # No workers visible before (no /proc, or hidden from this user): nothing to wait for.
        if master is not None and before:
            self._await_takeover(master, before)

    def _await_takeover(self, master: int, before: dict[int, bool]) -> None:
        """Wait until only workers started after the reload accept connections, so a change
        answers once its routes are served (a probe right after it sees them), not when the
        master was merely signalled. Gives up quietly after `_TAKEOVER_SECONDS`: the caller's
        own check retries."""
        deadline = time.monotonic() + _TAKEOVER_SECONDS
        while time.monotonic() < deadline:
            now = _workers(master)
            accepting = [pid for pid, shutting_down in now.items() if not shutting_down]
            if accepting and not any(pid in before for pid in accepting):
                return
            time.sleep(_TAKEOVER_POLL_SECONDS)
        logger.warning(
            "nginx (master %d) did not show new workers within %.0f s of the reload",
            master,
            _TAKEOVER_SECONDS,
        )


def _workers(master: int) -> dict[int, bool]:
    """The worker processes of nginx `master`: pid -> shutting down (an old config's worker
    finishing its connections). Read from /proc; empty where there is none."""
    found: dict[int, bool] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
            if int(fields[1]) != master:
                continue
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                title = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue  # gone meanwhile, or not ours to read
        if "worker process" in title:
            found[int(entry)] = "shutting down" in title
    return found


def _settle(change: _Change, error: GatewayError | None) -> None:
    if change.done.done():  # its caller was cancelled
        return
    if error is None:
        change.done.set_result(None)
    else:
        change.done.set_exception(error)


def standalone_main_config(
    *,
    prefix: Path,
    pid_file: Path,
    error_log: Path,
    webroot: Path,
    sites_dir: Path,
    http_port: int,
    https_port: int,
    host: str = "127.0.0.1",
    worker_connections: int = 1024,
) -> str:
    """The main config of an nginx this gateway drives on its own (the demo's and the tests'):
    ACME HTTP-01 answers from `webroot` on `http_port`, a TLS listener on `https_port` that
    refuses names it has no server block for, and one included file per mapped hostname."""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temp = prefix / "temp"
    return f"""{user}daemon off;
master_process on;
worker_processes 1;
pid {pid_file};
error_log {error_log} notice;
events {{ worker_connections {worker_connections}; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    server {{
        listen {host}:{http_port} default_server;
        location /.well-known/acme-challenge/ {{ root {webroot}; default_type text/plain; }}
        location / {{ return 404; }}
    }}
    server {{
        listen {host}:{https_port} ssl default_server;
        ssl_reject_handshake on;
    }}
    include {sites_dir}/*.conf;
}}
"""
