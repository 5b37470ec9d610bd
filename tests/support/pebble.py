"""Test support: a real Pebble ACME CA on loopback (Debian package `pebble`), and its TLS trust.

Test room: makes a throwaway CA and listener certificate with `cryptography`, writes Pebble's
config under a temporary directory, starts and stops the `pebble` process; touches nothing else.
Loaded as a pytest plugin by tests/conftest.py.

- `running_pebble(dns_server=..., http01_port=...)`: Pebble for the block. Its DNS lookups go to
  `dns_server` (pebble-challtestsrv in these tests); HTTP-01 validation connects to the
  `http01_port` of the address a hostname resolves to (the nginx gateway's plain-HTTP port).
  Extra environment such as `PEBBLE_WFE_NONCEREJECT` goes in `environment`.
- `Pebble.directory_url` is what an ACME client starts from; `Pebble.ca_bundle` is the PEM file
  that trusts Pebble's own listener (not the certificates it issues: their roots come from
  `issuer_roots_pem()` and change on every start).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from cloud.adapters.demo_servers import pebble_listener_trust
from tests.support.servers import require_tool

logger = logging.getLogger(__name__)

_LOOPBACK = "127.0.0.1"
_START_TIMEOUT_SECONDS = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((_LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ListenerTrust:
    """A throwaway CA and a certificate for 127.0.0.1/localhost it signed, as PEM files."""

    ca_pem: Path
    cert_pem: Path
    key_pem: Path


def make_listener_trust(directory: Path) -> ListenerTrust:
    """Write a CA plus a loopback server certificate (and its key) into `directory`."""
    ca_pem, cert_pem, key_pem = pebble_listener_trust(directory)
    return ListenerTrust(ca_pem=ca_pem, cert_pem=cert_pem, key_pem=key_pem)


@dataclass
class Pebble:
    """A running Pebble: where its ACME directory is and how to trust its listener."""

    port: int
    management_port: int
    http01_port: int
    trust: ListenerTrust
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def directory_url(self) -> str:
        return f"https://{_LOOPBACK}:{self.port}/dir"

    @property
    def ca_bundle(self) -> Path:
        """PEM file that verifies Pebble's ACME and management listeners."""
        return self.trust.ca_pem

    def issuer_roots_pem(self) -> str:
        """The root of the chain Pebble issues under (random per start), as PEM."""
        context = ssl.create_default_context(cafile=str(self.trust.ca_pem))
        url = f"https://{_LOOPBACK}:{self.management_port}/roots/0"
        with urllib.request.urlopen(url, context=context, timeout=10) as response:
            return str(response.read().decode())

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


def _wait_until_listening(pebble: Pebble) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    context = ssl.create_default_context(cafile=str(pebble.trust.ca_pem))
    last_error = ""
    while time.monotonic() < deadline:
        if pebble.process.poll() is not None:
            raise RuntimeError(f"pebble exited {pebble.process.returncode}:\n{pebble.log_tail()}")
        try:
            with urllib.request.urlopen(pebble.directory_url, context=context, timeout=2) as r:
                json.loads(r.read())
                return
        except OSError as error:
            last_error = str(error)
            time.sleep(0.1)
    raise RuntimeError(
        f"pebble did not answer on {pebble.directory_url} within "
        f"{_START_TIMEOUT_SECONDS:.0f} s ({last_error}):\n{pebble.log_tail()}"
    )


@contextlib.contextmanager
def running_pebble(
    *,
    dns_server: str,
    http01_port: int,
    environment: Mapping[str, str] | None = None,
) -> Iterator[Pebble]:
    """Start Pebble for the block, resolving through `dns_server`, validating HTTP-01 on
    `http01_port`; `environment` adds Pebble variables (e.g. PEBBLE_WFE_NONCEREJECT)."""
    binary = require_tool("pebble", "pebble")
    base_dir = Path(tempfile.mkdtemp(prefix="commerce-pebble-"))
    trust = make_listener_trust(base_dir)
    port, management_port = free_port(), free_port()
    config_path = base_dir / "pebble-config.json"
    config_path.write_text(
        json.dumps(
            {
                "pebble": {
                    "listenAddress": f"{_LOOPBACK}:{port}",
                    "managementListenAddress": f"{_LOOPBACK}:{management_port}",
                    "certificate": str(trust.cert_pem),
                    "privateKey": str(trust.key_pem),
                    "httpPort": http01_port,
                    # TLS-ALPN-01 is not used; a port nobody listens on keeps it inert.
                    "tlsPort": free_port(),
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": False,
                }
            }
        )
    )
    env = {
        **os.environ,
        # Validate at once instead of after Pebble's random 0-15 s sleep.
        "PEBBLE_VA_NOSLEEP": "1",
        # Every order gets fresh authorizations, so each test drives validation for real.
        "PEBBLE_AUTHZREUSE": "0",
        **(environment or {}),
    }
    log_path = base_dir / "pebble.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(binary), "-config", str(config_path), "-dnsserver", dns_server],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    pebble = Pebble(
        port=port,
        management_port=management_port,
        http01_port=http01_port,
        trust=trust,
        process=process,
        log_path=log_path,
    )
    try:
        _wait_until_listening(pebble)
        logger.info("Pebble ACME directory %s (DNS %s)", pebble.directory_url, dns_server)
        yield pebble
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(base_dir, ignore_errors=True)
