"""Test support: a real nginx storefront gateway on unprivileged loopback ports, and a storefront.

Test room: writes an nginx main config under a temporary prefix, starts/stops the `nginx`
master (Debian package `nginx`) in the foreground, and serves a tiny aiohttp storefront upstream;
touches nothing outside its temporary directory.

- `running_nginx()`: the gateway for the block. The main config serves ACME HTTP-01 challenge
  files from `webroot` on `http_port`, rejects TLS handshakes for unknown SNI names on
  `https_port`, and includes every `*.conf` in `sites_dir` (what the gateway adapter manages).
  `stop()`/`start()` take nginx away and bring it back for the "not running" faults.
- `running_storefront()`: an HTTP upstream that answers `storefront <name> for <Host>`, so a
  test sees that the route reached the merchant's storefront.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from cloud.adapters.nginx_gateway import standalone_main_config
from tests.support.pebble import free_port
from tests.support.servers import require_tool

logger = logging.getLogger(__name__)

_LOOPBACK = "127.0.0.1"
_START_TIMEOUT_SECONDS = 15.0


def _main_config(home: NginxHome) -> str:
    return standalone_main_config(
        prefix=home.prefix,
        pid_file=home.pid_file,
        error_log=home.error_log,
        webroot=home.webroot,
        sites_dir=home.sites_dir,
        http_port=home.http_port,
        https_port=home.https_port,
        host=_LOOPBACK,
    )


@dataclass
class NginxHome:
    """Where a test gateway lives and listens; `process` is the running master, if any."""

    prefix: Path
    http_port: int
    https_port: int
    binary: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> Path:
        return self.prefix / "nginx.conf"

    @property
    def pid_file(self) -> Path:
        return self.prefix / "nginx.pid"

    @property
    def error_log(self) -> Path:
        return self.prefix / "error.log"

    @property
    def sites_dir(self) -> Path:
        return self.prefix / "sites"

    @property
    def certs_dir(self) -> Path:
        return self.prefix / "certs"

    @property
    def webroot(self) -> Path:
        return self.prefix / "webroot"

    def served_hostnames_on_disk(self) -> list[str]:
        """Hostnames that have a server block in `sites_dir`."""
        return sorted(p.name.removesuffix(".conf") for p in self.sites_dir.glob("*.conf"))

    def log_tail(self, chars: int = 3000) -> str:
        return (
            self.error_log.read_text(errors="replace")[-chars:] if self.error_log.exists() else ""
        )

    def start(self) -> None:
        """Start the master in the foreground and wait until both ports accept."""
        self.process = subprocess.Popen(
            [str(self.binary), "-p", str(self.prefix), "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited {self.process.returncode}:\n{self.log_tail()}")
            try:
                for port in (self.http_port, self.https_port):
                    with socket.create_connection((_LOOPBACK, port), timeout=0.5):
                        pass
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"nginx did not listen within {_START_TIMEOUT_SECONDS:.0f} s")

    def stop(self) -> None:
        """Stop the master (SIGQUIT: graceful) and wait for it; the pid file goes with it."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@contextlib.contextmanager
def running_nginx() -> Iterator[NginxHome]:
    """A started nginx gateway under a fresh temporary prefix (stopped and removed after)."""
    binary = require_tool("nginx", "nginx")
    prefix = Path(tempfile.mkdtemp(prefix="commerce-nginx-"))
    home = NginxHome(prefix=prefix, http_port=free_port(), https_port=free_port(), binary=binary)
    for directory in (
        home.sites_dir,
        home.certs_dir,
        home.webroot,
        prefix / "temp",
        prefix / "logs",
    ):
        directory.mkdir(parents=True, exist_ok=True)
    home.config.write_text(_main_config(home))
    try:
        home.start()
        logger.info("nginx gateway http :%d https :%d", home.http_port, home.https_port)
        yield home
    finally:
        home.stop()
        shutil.rmtree(prefix, ignore_errors=True)


@dataclass(frozen=True)
class Storefront:
    """A running storefront upstream."""

    name: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{_LOOPBACK}:{self.port}"

    def answer_for(self, host: str) -> str:
        """The body this storefront answers a request for `host` with."""
        return f"storefront {self.name} for {host}"


@contextlib.asynccontextmanager
async def running_storefront(name: str = "demo") -> AsyncIterator[Storefront]:
    """An aiohttp storefront on a free loopback port that names itself and the Host it got."""
    storefront = Storefront(name=name, port=free_port())

    async def index(request: web.Request) -> web.Response:
        return web.Response(text=storefront.answer_for(request.host.split(":")[0]))

    app = web.Application()
    app.router.add_get("/{tail:.*}", index)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, _LOOPBACK, storefront.port)
    await site.start()
    try:
        yield storefront
    finally:
        await runner.cleanup()
        await asyncio.sleep(0)
