"""Test-only fake gateway, for faults the real gateway (cloud.gateway) cannot produce.

Wire-contract tests run against the real gateway (tests/edge_agent/real_gateway.py). This
fake stays only to misbehave on purpose: a control stream that never sends Welcome, welcomes
another site, opens with a frame that is not a Welcome, goes silent after the Welcome without
closing, redelivers a command id with a changed body; an Enroll call that fails with a chosen
status after discovery succeeded. It also records frames the real gateway does not surface
(the hello's fields, the CSRs). It uses its own throwaway test CA.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
from dataclasses import dataclass, field
from typing import Any, cast

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from google.protobuf import timestamp_pb2

from ameide_core_proto.process.commerce.v1 import edge_pb2, edge_pb2_grpc, store_site_pb2
from shared.identity import (
    certificate_fingerprint,
    public_key_fingerprint,
    site_id_of_certificate,
    site_id_of_csr,
    site_uri,
)

UTC = dt.UTC
_grpc = cast(Any, edge_pb2_grpc)  # the generated module has no annotations


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


class TestCA:
    """A site CA plus a server certificate for 127.0.0.1/localhost."""

    __test__ = False  # not a pytest class

    def __init__(self) -> None:
        now = dt.datetime.now(UTC)
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test site CA")])
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )
        self.server_key = ec.generate_private_key(ec.SECP256R1())
        self.server_cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(name)
            .public_key(self.server_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(
                x509.SubjectAlternativeName(
                    [
                        x509.DNSName("localhost"),
                        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                    ]
                ),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )

    @property
    def pem(self) -> bytes:
        return _pem(self.cert)

    @property
    def fingerprint(self) -> str:
        return certificate_fingerprint(self.cert)

    def issue(
        self,
        csr: x509.CertificateSigningRequest,
        *,
        not_before: dt.datetime,
        lifetime: dt.timedelta,
    ) -> x509.Certificate:
        site_id = site_id_of_csr(csr)
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, site_id)]))
            .issuer_name(self.cert.subject)
            .public_key(csr.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(not_before + lifetime)
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(site_uri(site_id))]),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )


@dataclass
class ControlConnection:
    """What the fake saw on one Connect stream."""

    site_id: str
    certificate_serial: int
    hello: edge_pb2.AgentHello
    heartbeats: list[edge_pb2.Heartbeat] = field(default_factory=list)


class FakeGateway:
    """Discovery (plaintext), enrollment (TLS) and control (mTLS) servers on 127.0.0.1."""

    def __init__(self, ca: TestCA) -> None:
        self.ca = ca
        self.tokens: dict[str, str] = {}  # token -> site id
        self.enroll_requests: list[edge_pb2.EnrollRequest] = []
        self.connections: list[ControlConnection] = []
        self.connected = asyncio.Condition()
        self.results: asyncio.Queue[edge_pb2.CommandResult] = asyncio.Queue()
        self.commands: asyncio.Queue[edge_pb2.Command] = asyncio.Queue()
        self.enroll_failures: list[grpc.StatusCode] = []  # fail the next Enroll calls
        self.heartbeat_interval = 30
        self.send_welcome = True  # False: read the hello, then say nothing at all
        self.welcome_site_id: str | None = None  # welcome this site instead of the caller's
        self.first_frame: edge_pb2.ConnectResponse | None = None  # instead of the Welcome
        self._issued: dict[tuple[str, str], x509.Certificate] = {}
        self._servers: list[grpc.aio.Server] = []
        self.discovery_port = self.enroll_port = self.control_port = 0

    @property
    def cloud(self) -> str:
        return f"127.0.0.1:{self.discovery_port}"

    def add_token(self, site_id: str) -> str:
        token = f"{site_id}.tok{len(self.tokens)}.s3cr3t-{len(self.tokens)}"
        self.tokens[token] = site_id
        return token

    async def start(self) -> None:
        discovery = grpc.aio.server()
        _grpc.add_EdgeDiscoveryServiceServicer_to_server(_Discovery(self), discovery)
        self.discovery_port = discovery.add_insecure_port("127.0.0.1:0")

        server_identity = [(_key_pem(self.ca.server_key), _pem(self.ca.server_cert))]
        enroll = grpc.aio.server()
        _grpc.add_EdgeEnrollmentServiceServicer_to_server(_Enrollment(self), enroll)
        self.enroll_port = enroll.add_secure_port(
            "127.0.0.1:0", grpc.ssl_server_credentials(server_identity)
        )

        control = grpc.aio.server()
        _grpc.add_EdgeControlServiceServicer_to_server(_Control(self), control)
        self.control_port = control.add_secure_port(
            "127.0.0.1:0",
            grpc.ssl_server_credentials(
                server_identity, root_certificates=self.ca.pem, require_client_auth=True
            ),
        )
        self._servers = [discovery, enroll, control]
        for server in self._servers:
            await server.start()

    async def stop(self) -> None:
        for server in self._servers:
            await server.stop(grace=None)

    async def wait_for_connections(self, count: int) -> None:
        async with self.connected:
            await asyncio.wait_for(
                self.connected.wait_for(lambda: len(self.connections) >= count), 10
            )

    def issue(self, csr_pem: str) -> x509.Certificate:
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        return self.ca.issue(
            csr,
            not_before=dt.datetime.now(UTC) - dt.timedelta(minutes=1),
            lifetime=dt.timedelta(days=30),
        )

    def issue_once(self, token: str, csr_pem: str) -> x509.Certificate:
        """The same certificate for the same token and key (an enroll rerun after a crash)."""
        csr = x509.load_pem_x509_csr(csr_pem.encode())
        slot = (token, public_key_fingerprint(csr.public_key()))
        if slot not in self._issued:
            self._issued[slot] = self.issue(csr_pem)
        return self._issued[slot]


def _timestamp(when: dt.datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(when)
    return stamp


def _peer_certificate(context: Any) -> x509.Certificate:
    pem = context.auth_context()["x509_pem_cert"][0]
    return x509.load_pem_x509_certificate(pem)


class _Discovery(edge_pb2_grpc.EdgeDiscoveryServiceServicer):
    def __init__(self, gateway: FakeGateway) -> None:
        self.gateway = gateway

    async def GetTrustBundle(self, request: Any, context: Any) -> Any:
        return edge_pb2.GetTrustBundleResponse(
            ca_certificate_pem=self.gateway.ca.pem.decode(),
            enroll_port=self.gateway.enroll_port,
            control_port=self.gateway.control_port,
        )


class _Enrollment(edge_pb2_grpc.EdgeEnrollmentServiceServicer):
    def __init__(self, gateway: FakeGateway) -> None:
        self.gateway = gateway

    async def Enroll(self, request: Any, context: Any) -> Any:
        gw = self.gateway
        gw.enroll_requests.append(request)
        if gw.enroll_failures:
            await context.abort(gw.enroll_failures.pop(0), "simulated outage")
        site = gw.tokens.get(request.bootstrap_token)
        if site is None:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                "bootstrap token is unknown, expired or already used",
            )
        if site != request.site_id:
            await context.abort(grpc.StatusCode.PERMISSION_DENIED, "token is for another site")
        cert = gw.issue_once(request.bootstrap_token, request.csr_pem)
        return edge_pb2.EnrollResponse(
            site_id=site,
            certificate_pem=_pem(cert).decode(),
            ca_certificate_pem=gw.ca.pem.decode(),
            not_after=_timestamp(cert.not_valid_after_utc),
        )


class _Control(edge_pb2_grpc.EdgeControlServiceServicer):
    def __init__(self, gateway: FakeGateway) -> None:
        self.gateway = gateway

    async def Connect(self, request_iterator: Any, context: Any) -> Any:
        gw = self.gateway
        peer = _peer_certificate(context)
        site = site_id_of_certificate(peer)
        first = await context.read()
        connection = ControlConnection(site, peer.serial_number, first.hello)
        async with gw.connected:
            gw.connections.append(connection)
            gw.connected.notify_all()
        if not gw.send_welcome:
            await asyncio.Event().wait()  # until the agent gives up and cancels
        if gw.first_frame is not None:
            await context.write(gw.first_frame)
        await context.write(
            edge_pb2.ConnectResponse(
                welcome=edge_pb2.Welcome(
                    site_id=gw.welcome_site_id or site,
                    heartbeat_interval_seconds=gw.heartbeat_interval,
                )
            )
        )

        async def pump() -> None:
            while True:
                command = await gw.commands.get()
                await context.write(edge_pb2.ConnectResponse(command=command))

        pumping = asyncio.ensure_future(pump())
        try:
            while True:
                frame = await context.read()
                if frame is grpc.aio.EOF:  # type: ignore[attr-defined]
                    return
                kind = frame.WhichOneof("frame")
                if kind == "heartbeat":
                    connection.heartbeats.append(frame.heartbeat)
                elif kind == "command_result":
                    gw.results.put_nowait(frame.command_result)
        finally:
            pumping.cancel()


def site_config_command(
    command_id: str, site_id: str, generation: int = 1, name: str = "Store 42"
) -> edge_pb2.Command:
    """A Command carrying a SiteConfig, as the cloud would send it."""
    return edge_pb2.Command(
        command_id=command_id,
        issued_at=_timestamp(dt.datetime.now(UTC)),
        apply_site_config=store_site_pb2.SiteConfig(
            site_id=site_id,
            sales_channel_id="web-eu",
            name=name,
            timezone="Europe/Amsterdam",
            generation=generation,
            bindings=[
                store_site_pb2.ReplicationBinding(
                    stream="catalog",
                    direction=store_site_pb2.REPLICATION_DIRECTION_DOWN,
                    scope="channel/web-eu",
                )
            ],
        ),
    )
