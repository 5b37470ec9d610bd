"""The demo's local domain servers: pebble-challtestsrv (DNS), Pebble (ACME CA) and nginx
(storefront gateway), each a child process on loopback, plus a tiny storefront upstream.

Adapter room (demo): writes configs, certificates and logs only under the directory it is
given, starts and stops the three processes (Debian package `pebble` and `nginx`); touches
nothing else. `missing_tools()` says what to install when a binary is absent.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import ipaddress
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cloud.adapters.nginx_gateway import standalone_main_config

LOOPBACK = "127.0.0.1"
_START_TIMEOUT_SECONDS = 20.0
_TOOLS = {"pebble-challtestsrv": "pebble", "pebble": "pebble", "nginx": "nginx"}
_SBIN = ("/usr/bin", "/usr/sbin")


def _which(tool: str) -> str | None:
    return shutil.which(tool) or shutil.which(tool, path=os.pathsep.join(_SBIN))


def missing_tools() -> dict[str, str]:
    """Binaries the domain step needs that are not installed, with their Debian package."""
    return {tool: package for tool, package in _TOOLS.items() if _which(tool) is None}


def _free_port(kind: socket.SocketKind = socket.SOCK_STREAM) -> int:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _free_udp_and_tcp_port() -> int:
    for _ in range(50):
        port = _free_port(socket.SOCK_DGRAM)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            try:
                tcp.bind((LOOPBACK, port))
            except OSError:
                continue
        return port
    raise RuntimeError("no loopback port free for both UDP and TCP")


class DomainServersFailed(RuntimeError):
    """A domain server did not start; the message names it and ends with its log."""


@dataclass(frozen=True)
class DomainServers:
    """Where the demo's DNS, CA, gateway and storefront answer."""

    home: Path
    dns_port: int
    challtestsrv_url: str
    pebble_port: int
    pebble_management_port: int
    pebble_listener_ca: Path
    nginx_prefix: Path
    nginx_binary: Path
    http_port: int
    https_port: int
    storefront_url: str

    @property
    def dns_server(self) -> str:
        return f"{LOOPBACK}:{self.dns_port}"

    @property
    def directory_url(self) -> str:
        return f"https://{LOOPBACK}:{self.pebble_port}/dir"

    @property
    def nginx_config(self) -> Path:
        return self.nginx_prefix / "nginx.conf"

    @property
    def nginx_pid_file(self) -> Path:
        return self.nginx_prefix / "nginx.pid"

    @property
    def sites_dir(self) -> Path:
        return self.nginx_prefix / "sites"

    @property
    def certs_dir(self) -> Path:
        return self.nginx_prefix / "certs"

    @property
    def webroot(self) -> Path:
        return self.nginx_prefix / "webroot"

    def issuer_root_pem(self) -> str:
        """The root Pebble issues under (new at every start), as PEM. Blocking."""
        context = ssl.create_default_context(cafile=str(self.pebble_listener_ca))
        url = f"https://{LOOPBACK}:{self.pebble_management_port}/roots/0"
        with urllib.request.urlopen(url, context=context, timeout=10) as response:
            return str(response.read().decode())


def _certificate(
    subject: x509.Name, issuer: x509.Name, key: ec.EllipticCurvePrivateKey,
    signer: ec.EllipticCurvePrivateKey, *, ca: bool,
) -> x509.Certificate:  # fmt: skip
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(LOOPBACK))]
            ),
            critical=False,
        ).add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
    return builder.sign(signer, hashes.SHA256())


def pebble_listener_trust(directory: Path) -> tuple[Path, Path, Path]:
    """Pebble's own TLS: a CA and a loopback certificate it signed (ca, cert, key PEM files)."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "commerce demo Pebble CA")])
    ca_cert = _certificate(ca_name, ca_name, ca_key, ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    cert = _certificate(name, ca_name, key, ca_key, ca=False)
    paths = (directory / "listener-ca.pem", directory / "listener-cert.pem", directory / "key.pem")
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


def _nginx_main_config(servers: DomainServers) -> str:
    return standalone_main_config(
        prefix=servers.nginx_prefix,
        pid_file=servers.nginx_pid_file,
        error_log=servers.nginx_prefix / "error.log",
        webroot=servers.webroot,
        sites_dir=servers.sites_dir,
        http_port=servers.http_port,
        https_port=servers.https_port,
        host=LOOPBACK,
        worker_connections=64,
    )


def _log_tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:] if path.exists() else ""


def _wait_for_ports(
    name: str, process: subprocess.Popen[bytes], ports: tuple[int, ...], log: Path
) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DomainServersFailed(f"{name} exited {process.returncode}:\n{_log_tail(log)}")
        try:
            for port in ports:
                with socket.create_connection((LOOPBACK, port), timeout=0.5):
                    pass
            return
        except OSError:
            time.sleep(0.05)
    raise DomainServersFailed(f"{name} did not listen within {_START_TIMEOUT_SECONDS:.0f} s")


@contextlib.contextmanager
def _child(
    name: str, command: list[str], log: Path, ports: tuple[int, ...], env: dict[str, str] | None
) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        _wait_for_ports(name, process, ports, log)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def _running_processes(servers: DomainServers) -> Iterator[None]:
    """Start challtestsrv, Pebble and nginx (blocking; run it in a thread)."""
    home = servers.home
    for directory in (servers.sites_dir, servers.certs_dir, servers.webroot):
        directory.mkdir(parents=True, exist_ok=True)
    (servers.nginx_prefix / "temp").mkdir(exist_ok=True)
    (servers.nginx_prefix / "logs").mkdir(exist_ok=True)
    for stale in servers.sites_dir.glob("*.conf"):
        stale.unlink()
    servers.nginx_config.write_text(_nginx_main_config(servers))
    _ca, cert, key = pebble_listener_trust(home)
    pebble_config = home / "pebble-config.json"
    pebble_config.write_text(
        json.dumps(
            {
                "pebble": {
                    "listenAddress": f"{LOOPBACK}:{servers.pebble_port}",
                    "managementListenAddress": f"{LOOPBACK}:{servers.pebble_management_port}",
                    "certificate": str(cert),
                    "privateKey": str(key),
                    "httpPort": servers.http_port,
                    "tlsPort": _free_port(),
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": False,
                }
            }
        )
    )
    management_port = int(servers.challtestsrv_url.rsplit(":", 1)[1])
    with contextlib.ExitStack() as stack:
        stack.enter_context(
            _child(
                "pebble-challtestsrv",
                [
                    str(_which("pebble-challtestsrv")),
                    "-dns01",
                    servers.dns_server,
                    "-management",
                    f"{LOOPBACK}:{management_port}",
                    "-http01",
                    "",
                    "-https01",
                    "",
                    "-tlsalpn01",
                    "",
                ],
                home / "challtestsrv.log",
                (management_port, servers.dns_port),
                None,
            )
        )
        stack.enter_context(
            _child(
                "nginx",
                [
                    str(servers.nginx_binary),
                    "-p",
                    str(servers.nginx_prefix),
                    "-c",
                    str(servers.nginx_config),
                ],
                home / "nginx.out",
                (servers.http_port, servers.https_port),
                None,
            )
        )
        stack.enter_context(
            _child(
                "pebble",
                [
                    str(_which("pebble")),
                    "-config",
                    str(pebble_config),
                    "-dnsserver",
                    servers.dns_server,
                ],
                home / "pebble.log",
                (servers.pebble_port, servers.pebble_management_port),
                {**os.environ, "PEBBLE_VA_NOSLEEP": "1"},
            )
        )
        yield


async def _storefront(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Answer any request with a page naming the Host it was asked for."""
    host = "?"
    with contextlib.suppress(OSError, TimeoutError, ValueError):
        async with asyncio.timeout(10):
            while line := await reader.readline():
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "host":
                    host = value.strip().split(":")[0]
        body = f"demo storefront for {host}\n".encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


@contextlib.asynccontextmanager
async def running_domain_servers(home: Path) -> AsyncIterator[DomainServers]:
    """Start the storefront, challtestsrv, Pebble and nginx under `home` for the block."""
    home = await asyncio.to_thread(home.absolute)
    await asyncio.to_thread(home.mkdir, parents=True, exist_ok=True)
    storefront = await asyncio.start_server(_storefront, LOOPBACK, 0)
    port = storefront.sockets[0].getsockname()[1]
    servers = DomainServers(
        home=home,
        dns_port=_free_udp_and_tcp_port(),
        challtestsrv_url=f"http://{LOOPBACK}:{_free_port()}",
        pebble_port=_free_port(),
        pebble_management_port=_free_port(),
        pebble_listener_ca=home / "listener-ca.pem",
        nginx_prefix=home / "nginx",
        nginx_binary=Path(str(_which("nginx"))),
        http_port=_free_port(),
        https_port=_free_port(),
        storefront_url=f"http://{LOOPBACK}:{port}",
    )
    processes = _running_processes(servers)
    try:
        await asyncio.to_thread(processes.__enter__)
        try:
            yield servers
        finally:
            await asyncio.to_thread(processes.__exit__, None, None, None)
    finally:
        storefront.close()
        await storefront.wait_closed()
