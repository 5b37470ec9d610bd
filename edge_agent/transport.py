"""gRPC channels to the cloud gateway and the mapping of gRPC failures to agent errors.

The one module that builds `grpc.aio` channels; callers get our errors, never `AioRpcError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

import grpc

from ameide_core_proto.process.commerce.v1 import edge_pb2_grpc
from edge_agent.errors import CloudUnreachable

logger = logging.getLogger(__name__)

_OPTIONS: list[tuple[str, int]] = [("grpc.max_receive_message_length", 16 * 1024 * 1024)]


@dataclass(frozen=True)
class Keepalive:
    """HTTP/2 keepalive of a long-lived channel: a ping every `time_seconds`, dead without an
    answer within `timeout_seconds`. The gateway must allow pings this often (its
    `gateway_min_agent_ping_interval_seconds`), or it answers GOAWAY too_many_pings."""

    time_seconds: float = 20.0
    timeout_seconds: float = 10.0

    def options(self) -> list[tuple[str, int]]:
        return [
            ("grpc.keepalive_time_ms", int(self.time_seconds * 1000)),
            ("grpc.keepalive_timeout_ms", int(self.timeout_seconds * 1000)),
            # Recent gRPC cores time an unanswered ping out by this one (default 1 min),
            # not by keepalive_timeout_ms alone: set both.
            ("grpc.http2.ping_timeout_ms", int(self.timeout_seconds * 1000)),
            # Ping even between calls, and keep pinging a quiet stream (0 = no cap).
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.max_pings_without_data", 0),
        ]


def target(host: str, port: int) -> str:
    """`host:port`, with IPv6 hosts in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def plaintext_channel(host: str, port: int) -> grpc.aio.Channel:
    """Discovery only: it serves public data, which the agent checks against its pin."""
    return grpc.aio.insecure_channel(target(host, port), options=_OPTIONS)


def tls_channel(
    host: str,
    port: int,
    ca_pem: bytes,
    *,
    key_pem: bytes | None = None,
    certificate_pem: bytes | None = None,
    keepalive: Keepalive | None = None,
) -> grpc.aio.Channel:
    """TLS rooted at the pinned CA only; with key and certificate, mutual TLS.

    `keepalive` is for channels that hold a stream open (the control stream): a peer that
    stops answering is then noticed by the transport even when no frame is due.
    """
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca_pem, private_key=key_pem, certificate_chain=certificate_pem
    )
    options = _OPTIONS + (keepalive.options() if keepalive else [])
    return grpc.aio.secure_channel(target(host, port), credentials, options=options)


def unreachable(exc: grpc.aio.AioRpcError, what: str, where: str) -> CloudUnreachable:
    """A `CloudUnreachable` that says what failed, where, and the gateway's words."""
    return CloudUnreachable(
        f"{what} at {where} failed: {exc.code().name}: {exc.details() or 'no details'}; "
        "check the address, that the cloud gateway is running and that this box can reach it"
    )


# The generated stubs carry no annotations; these give callers one typed place to get them.
_stubs = cast(Any, edge_pb2_grpc)


def discovery_stub(channel: grpc.aio.Channel) -> Any:
    return _stubs.EdgeDiscoveryServiceStub(channel)


def enrollment_stub(channel: grpc.aio.Channel) -> Any:
    return _stubs.EdgeEnrollmentServiceStub(channel)


def control_stub(channel: grpc.aio.Channel) -> Any:
    return _stubs.EdgeControlServiceStub(channel)
