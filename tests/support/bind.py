"""Test support: a real BIND `named` (Debian package `bind9`) as the primary of the platform's
delegated ACME zone, accepting TSIG-signed RFC 2136 updates on a free loopback port.

Test room: writes a config, zone file and TSIG key under a temporary directory and runs
`named -g` in the foreground; touches nothing else.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.support.challtestsrv import _free_udp_and_tcp_port
from tests.support.servers import require_tool

_LOOPBACK = "127.0.0.1"


@dataclass
class NamedServer:
    """A running named: where it answers, its zone and the TSIG key that may update it."""

    port: int
    zone: str
    tsig_name: str
    tsig_secret: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""


@contextlib.contextmanager
def running_named(zone: str = "acme.platform.test") -> Iterator[NamedServer]:
    """Start named as the primary of `zone` (updates allowed with the generated key)."""
    binary = require_tool("named", "bind9")
    base = Path(tempfile.mkdtemp(prefix="commerce-named-"))
    port = _free_udp_and_tcp_port()
    secret = base64.b64encode(os.urandom(32)).decode()
    key_name = "commerce-acme"
    (base / "zone.db").write_text(
        f"$TTL 60\n@ IN SOA ns.{zone}. hostmaster.{zone}. 1 60 60 600 60\n"
        f"@ IN NS ns.{zone}.\nns IN A {_LOOPBACK}\n"
    )
    (base / "named.conf").write_text(
        f"""options {{
    directory "{base}";
    listen-on port {port} {{ {_LOOPBACK}; }};
    listen-on-v6 {{ none; }};
    pid-file "{base}/named.pid";
    session-keyfile "{base}/session.key";
    recursion no;
    dnssec-validation no;
}};
controls {{ }};
key "{key_name}" {{ algorithm hmac-sha256; secret "{secret}"; }};
zone "{zone}" {{ type primary; file "{base}/zone.db"; allow-update {{ key "{key_name}"; }}; }};
"""
    )
    log_path = base / "named.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(binary), "-g", "-c", str(base / "named.conf")],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = NamedServer(port, zone, key_name, secret, process, log_path)
    try:
        deadline = time.monotonic() + 20
        while "running" not in server.log_tail():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"named did not start:\n{server.log_tail()}")
            time.sleep(0.1)
        with socket.create_connection((_LOOPBACK, port), timeout=2):
            pass
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)
