"""Test support: real NSD authoritative DNS servers on loopback (Debian package `nsd`).

Test room: writes a config and zone files under a temporary directory and runs `nsd -d` in
the foreground on the given loopback address and port; touches nothing else. Zones are fixed
for the server's life (tests that change records use challtestsrv instead).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.support.servers import require_tool

_START_TIMEOUT_SECONDS = 15.0


def free_port_on(addresses: Sequence[str]) -> int:
    """A port free for UDP and TCP on every one of the loopback `addresses`."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.bind((addresses[0], 0))
            port = int(probe.getsockname()[1])
        try:
            for address in addresses:
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    with socket.socket(socket.AF_INET, kind) as sock:
                        sock.bind((address, port))
        except OSError:
            continue
        return port
    raise RuntimeError(f"no port free for UDP and TCP on {', '.join(addresses)}")


@dataclass(frozen=True)
class NsdServer:
    address: str
    port: int
    directory: Path

    @property
    def server(self) -> str:
        return f"{self.address}:{self.port}"


def _config(directory: Path, address: str, port: int, zones: Sequence[str]) -> str:
    lines = [
        "server:",
        f"    ip-address: {address}@{port}",
        f"    port: {port}",
        '    username: ""',
        '    chroot: ""',
        f'    zonesdir: "{directory}"',
        '    database: ""',
        f'    zonelistfile: "{directory}/zone.list"',
        f'    pidfile: "{directory}/nsd.pid"',
        f'    xfrdfile: "{directory}/xfrd.state"',
        f'    xfrdir: "{directory}"',
        f'    logfile: "{directory}/nsd.log"',
        "    server-count: 1",
        "    hide-version: yes",
        "remote-control:",
        "    control-enable: no",
    ]
    for zone in zones:
        lines += ["zone:", f'    name: "{zone}"', f'    zonefile: "{zone}.zone"']
    return "\n".join(lines) + "\n"


def _wait_until_answering(process: subprocess.Popen[bytes], server: NsdServer) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    log = server.directory / "nsd.log"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"nsd exited {process.returncode}:\n{log.read_text() if log.exists() else ''}"
            )
        if log.exists() and "nsd started" in log.read_text():
            return
        time.sleep(0.05)
    raise RuntimeError(f"nsd did not start within {_START_TIMEOUT_SECONDS:.0f} s")


@contextlib.contextmanager
def running_nsd(address: str, port: int, zones: Mapping[str, str]) -> Iterator[NsdServer]:
    """Serve `zones` (name -> zone file text) authoritatively on `address`:`port`."""
    binary = require_tool("nsd", "nsd")
    directory = Path(tempfile.mkdtemp(prefix="commerce-nsd-"))
    for zone, text in zones.items():
        (directory / f"{zone}.zone").write_text(text)
    config = directory / "nsd.conf"
    config.write_text(_config(directory, address, port, list(zones)))
    server = NsdServer(address=address, port=port, directory=directory)
    with (directory / "stdout.log").open("wb") as out:
        process = subprocess.Popen(
            [str(binary), "-d", "-c", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_answering(process, server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)
