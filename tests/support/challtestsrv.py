"""Test support: a real `pebble-challtestsrv` as the authoritative DNS on loopback, and its API.

Test room: starts and stops the `pebble-challtestsrv` process (Debian package `pebble`) on free
loopback ports and talks to its management HTTP API; touches nothing else. Loaded as a pytest
plugin by tests/conftest.py.

- `challtestsrv` (session fixture): one running server. Its DNS answers on UDP and TCP at
  `dns_address`:`dns_port`; `ChallTestSrv.client` sets and clears records.
- `dns_records` (per test): the session's client, with every record the test set cleared afterwards
  and A/AAAA answers for unknown names turned off (challtestsrv otherwise answers every A query
  with 127.0.0.1), so a test sees only the records it set.

Names may be given with or without the trailing dot; challtestsrv matches fully qualified
names, so the client adds it. CAA policies are (tag, value) pairs, e.g. ("issue", "pebble.ca").
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.servers import require_tool

logger = logging.getLogger(__name__)

_LOOPBACK = "127.0.0.1"
_START_TIMEOUT_SECONDS = 15.0
# The management API is plain HTTP; one context made here spares every call building its own
# (loading the CA bundle per request cost a benchmark's event loop seconds).
_TLS_CONTEXT = ssl.create_default_context()


def _free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((_LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _free_udp_and_tcp_port() -> int:
    """A port free on loopback for both UDP and TCP (challtestsrv's DNS listens on both)."""
    for _ in range(50):
        port = _free_port(socket.SOCK_DGRAM)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            try:
                tcp.bind((_LOOPBACK, port))
            except OSError:
                continue
        return port
    raise RuntimeError("no loopback port free for both UDP and TCP")


def fqdn(name: str) -> str:
    """`name` with exactly one trailing dot, as challtestsrv stores names ("" stays empty)."""
    return name.rstrip(".") + "." if name else ""


class ChallTestSrvError(RuntimeError):
    """The management API refused a request (the message carries its status and body)."""


class ChallTestSrvClient:
    """Typed client of challtestsrv's management API (async; one short request per call).

    It remembers each name it set something on, so `clear_all` can undo a test's records.
    """

    def __init__(self, management_url: str) -> None:
        self.management_url = management_url
        self.touched: set[str] = set()

    async def clear_all(self) -> None:
        """Clear every record type of every name this client set something on."""
        for host in sorted(self.touched):
            for clear in (
                self.clear_txt,
                self.clear_a,
                self.clear_aaaa,
                self.clear_cname,
                self.clear_caa,
                self.clear_servfail,
            ):
                await clear(host)
        self.touched.clear()

    async def _post(self, path: str, body: dict[str, object]) -> None:
        async with httpx.AsyncClient(timeout=10.0, verify=_TLS_CONTEXT) as client:
            response = await client.post(f"{self.management_url}{path}", json=body)
        if response.status_code != 200:
            raise ChallTestSrvError(
                f"challtestsrv {path} {body!r}: HTTP {response.status_code} {response.text!r}"
            )
        host = body.get("host")
        if isinstance(host, str) and not path.startswith("/clear-"):
            self.touched.add(host)

    # TXT ----------------------------------------------------------------------------------------
    async def set_txt(self, host: str, value: str) -> None:
        """Answer TXT queries for `host` with `value` (adds to any value already set)."""
        await self._post("/set-txt", {"host": fqdn(host), "value": value})

    async def clear_txt(self, host: str) -> None:
        await self._post("/clear-txt", {"host": fqdn(host)})

    # A / AAAA -----------------------------------------------------------------------------------
    async def set_a(self, host: str, addresses: Sequence[str]) -> None:
        """Answer A queries for `host` with `addresses` (replaces what was set)."""
        await self._post("/add-a", {"host": fqdn(host), "addresses": list(addresses)})

    async def clear_a(self, host: str) -> None:
        await self._post("/clear-a", {"host": fqdn(host)})

    async def set_aaaa(self, host: str, addresses: Sequence[str]) -> None:
        """Answer AAAA queries for `host` with `addresses` (replaces what was set)."""
        await self._post("/add-aaaa", {"host": fqdn(host), "addresses": list(addresses)})

    async def clear_aaaa(self, host: str) -> None:
        await self._post("/clear-aaaa", {"host": fqdn(host)})

    async def set_default_ipv4(self, address: str) -> None:
        """The A answer for names without A records; "" answers them with no A record."""
        await self._post("/set-default-ipv4", {"ip": address})

    async def set_default_ipv6(self, address: str) -> None:
        """The AAAA answer for names without AAAA records; "" answers them with none."""
        await self._post("/set-default-ipv6", {"ip": address})

    # CNAME --------------------------------------------------------------------------------------
    async def set_cname(self, host: str, target: str) -> None:
        """Make `host` a CNAME to `target` (challtestsrv follows it for other query types)."""
        await self._post("/set-cname", {"host": fqdn(host), "target": fqdn(target)})

    async def clear_cname(self, host: str) -> None:
        await self._post("/clear-cname", {"host": fqdn(host)})

    # CAA ----------------------------------------------------------------------------------------
    async def set_caa(self, host: str, policies: Sequence[tuple[str, str]]) -> None:
        """Answer CAA queries for `host` with `policies`, each a (tag, value) pair, flag 0."""
        body: dict[str, object] = {
            "host": fqdn(host),
            "policies": [{"tag": tag, "value": value} for tag, value in policies],
        }
        await self._post("/add-caa", body)

    async def clear_caa(self, host: str) -> None:
        await self._post("/clear-caa", {"host": fqdn(host)})

    # SERVFAIL -----------------------------------------------------------------------------------
    async def set_servfail(self, host: str) -> None:
        """Answer every query for `host` with SERVFAIL."""
        await self._post("/set-servfail", {"host": fqdn(host)})

    async def clear_servfail(self, host: str) -> None:
        await self._post("/clear-servfail", {"host": fqdn(host)})


@dataclass
class ChallTestSrv:
    """A running pebble-challtestsrv: where its DNS answers and how to reach its API."""

    dns_port: int
    management_port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    dns_address: str = _LOOPBACK
    http01_port: int | None = None
    client: ChallTestSrvClient = field(init=False)

    def __post_init__(self) -> None:
        self.client = ChallTestSrvClient(f"http://{_LOOPBACK}:{self.management_port}")

    @property
    def dns_server(self) -> str:
        """`host:port` of the DNS listener, the form resolver settings take."""
        return f"{self.dns_address}:{self.dns_port}"

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-2000:] if self.log_path.exists() else ""


def _wait_until_listening(server: ChallTestSrv) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"pebble-challtestsrv exited {server.process.returncode}:\n{server.log_tail()}"
            )
        try:
            with socket.create_connection((_LOOPBACK, server.management_port), timeout=0.5):
                pass
            with socket.create_connection((_LOOPBACK, server.dns_port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(
        f"pebble-challtestsrv did not listen within {_START_TIMEOUT_SECONDS:.0f} s:\n"
        f"{server.log_tail()}"
    )


@contextlib.contextmanager
def running_challtestsrv(*, http01: bool = False) -> Iterator[ChallTestSrv]:
    """Start pebble-challtestsrv for the block (DNS and management API; HTTP-01 if asked)."""
    binary = require_tool("pebble-challtestsrv", "pebble")
    dns_port = _free_udp_and_tcp_port()
    management_port = _free_port()
    http01_port = _free_port() if http01 else None
    base_dir = Path(tempfile.mkdtemp(prefix="commerce-challtestsrv-"))
    log_path = base_dir / "challtestsrv.log"
    command = [
        str(binary),
        "-dns01",
        f"{_LOOPBACK}:{dns_port}",
        "-management",
        f"{_LOOPBACK}:{management_port}",
        "-http01",
        f"{_LOOPBACK}:{http01_port}" if http01_port else "",
        "-https01",
        "",
        "-tlsalpn01",
        "",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    server = ChallTestSrv(
        dns_port=dns_port,
        management_port=management_port,
        process=process,
        log_path=log_path,
        http01_port=http01_port,
    )
    try:
        _wait_until_listening(server)
        logger.info("pebble-challtestsrv DNS on %s", server.dns_server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(base_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def challtestsrv() -> Iterator[ChallTestSrv]:
    """One real pebble-challtestsrv per test session (DNS on UDP+TCP, management API)."""
    with running_challtestsrv() as server:
        yield server


@pytest.fixture
async def dns_records(challtestsrv: ChallTestSrv) -> AsyncIterator[ChallTestSrvClient]:
    """The session's challtestsrv client; records set by the test are cleared afterwards."""
    client = ChallTestSrvClient(challtestsrv.client.management_url)
    await client.set_default_ipv4("")
    await client.set_default_ipv6("")
    try:
        yield client
    finally:
        await client.clear_all()
