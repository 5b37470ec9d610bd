"""gRPC channels to the cloud gateway and the mapping of gRPC failures to agent errors.

The one module that builds `grpc.aio` channels; callers get our errors, never `AioRpcError`.
"""

from __future__ import annotations

import logging
from typing import Any, cast

import grpc

from ameide_core_proto.process.commerce.v1 import edge_pb2_grpc
from edge_agent.errors import CloudUnreachable

logger = logging.getLogger(__name__)

_OPTIONS = [("grpc.max_receive_message_length", 16 * 1024 * 1024)]


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
) -> grpc.aio.Channel:
    """TLS rooted at the pinned CA only; with key and certificate, mutual TLS."""
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca_pem, private_key=key_pem, certificate_chain=certificate_pem
    )
    return grpc.aio.secure_channel(target(host, port), credentials, options=_OPTIONS)


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
