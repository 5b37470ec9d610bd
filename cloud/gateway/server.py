"""Lifecycle of the edge gateway: three listeners for agents (discovery, enrollment, control
with replication), the change-publish listener for upstream systems, sessions and pokes.

Gateway room: builds grpc.aio servers with their credentials and limits; holds no policy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import grpc

from cloud.adapters.pki import CertificateAuthority
from cloud.config import CloudConfig
from cloud.gateway.bundles import BundleDownloadServicer
from cloud.gateway.control import ControlServicer
from cloud.gateway.enrollment import DiscoveryServicer, EnrollmentServicer
from cloud.gateway.peer import SiteAuthenticator
from cloud.gateway.pokes import HeadWatcher, WakingChangeLog
from cloud.gateway.ports import WorkflowNotifier
from cloud.gateway.publish import PublishServicer
from cloud.gateway.realtime import Compensations, RealtimeDecisions, RealtimeServicer
from cloud.gateway.sessions import SessionRegistry
from cloud.gateway.sync import SyncServicer
from cloud.ports import StorePort

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class GatewayPorts:
    discovery: int
    enroll: int
    control: int
    publish: int = 0


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def server_options(cfg: CloudConfig) -> list[tuple[str, int]]:
    """Channel arguments of every gateway listener: message limits and the keepalive policy.

    The policy must accept the agents' HTTP/2 pings (every 20 s by default, also on a quiet
    stream), or gRPC answers GOAWAY too_many_pings and the stream breaks in a loop.
    """
    return [
        ("grpc.max_receive_message_length", cfg.max_message_bytes),
        ("grpc.max_send_message_length", 4 * 1024 * 1024),
        # The gateway's own pings find agents that vanished (power cut, NAT dropped the flow).
        ("grpc.keepalive_time_ms", _ms(cfg.gateway_keepalive_time_seconds)),
        ("grpc.keepalive_timeout_ms", _ms(cfg.gateway_keepalive_timeout_seconds)),
        # Recent gRPC cores time an unanswered ping out by this one (default 1 min).
        ("grpc.http2.ping_timeout_ms", _ms(cfg.gateway_keepalive_timeout_seconds)),
        ("grpc.keepalive_permit_without_calls", 1),
        ("grpc.http2.max_pings_without_data", 0),
        # What the gateway tolerates from agents. The name is gRPC core's server-side knob
        # (GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS).
        (
            "grpc.http2.min_ping_interval_without_data_ms",
            _ms(cfg.gateway_min_agent_ping_interval_seconds),
        ),
        ("grpc.http2.max_ping_strikes", 2),
        ("grpc.max_connection_idle_ms", _ms(cfg.gateway_max_connection_idle_seconds)),
    ]


class EdgeGateway:
    """Starts and stops the gateway's listeners; `sessions` exposes live agents."""

    def __init__(
        self,
        config: CloudConfig,
        store: StorePort,
        ca: CertificateAuthority,
        notifier: WorkflowNotifier,
        *,
        realtime: RealtimeDecisions | None = None,
        compensations: Compensations | None = None,
    ) -> None:
        self._config = config
        self._realtime = realtime
        self._compensations = compensations
        self._store = store
        self._ca = ca
        self._notifier = notifier
        self.sessions = SessionRegistry(store)
        self.heads = HeadWatcher(store, self.sessions)
        """Pokes agents when changes land; `heads.wake()` after an append in this process."""
        self._servers: list[grpc.aio.Server] = []
        self.ports = GatewayPorts(config.discovery_port, config.enroll_port, config.control_port)

    def _options(self) -> list[tuple[str, int]]:
        return server_options(self._config)

    def _publish_options(self) -> list[tuple[str, int]]:
        # Upstream publishes carry thousands of changes; agents' frames stay small.
        limit = ("grpc.max_receive_message_length", self._config.publish_max_message_bytes)
        return [limit, *(o for o in self._options() if o[0] != limit[0])]

    async def start(self) -> GatewayPorts:
        cfg = self._config
        cert_pem, key_pem = self._ca.issue_server_certificate(cfg.gateway_public_names)
        pair = [(key_pem.encode(), cert_pem.encode())]
        ca_pem = self._ca.ca_certificate_pem().encode()
        await self.sessions.start()
        await self.heads.start()

        enroll = grpc.aio.server(options=self._options())
        enroll_port = enroll.add_secure_port(
            f"{cfg.gateway_host}:{cfg.enroll_port}", grpc.ssl_server_credentials(pair)
        )
        control = grpc.aio.server(options=self._options())
        # One certificate check for every service on the control port (one revocation bound).
        auth = SiteAuthenticator(self._store, cfg.gateway_certificate_recheck_seconds)
        control_port = control.add_secure_port(
            f"{cfg.gateway_host}:{cfg.control_port}",
            grpc.ssl_server_credentials(pair, root_certificates=ca_pem, require_client_auth=True),
        )
        discovery = grpc.aio.server(options=self._options())
        discovery_port = discovery.add_insecure_port(f"{cfg.gateway_host}:{cfg.discovery_port}")

        discovery.add_generic_rpc_handlers(
            (DiscoveryServicer(self._ca, enroll_port, control_port).handler(),)
        )
        enroll.add_generic_rpc_handlers(
            (
                EnrollmentServicer(
                    self._store, self._ca, self._notifier, cfg.certificate_lifetime
                ).handler(),
            )
        )
        control.add_generic_rpc_handlers(
            (
                ControlServicer(
                    self._store,
                    self._ca,
                    self.sessions,
                    self._notifier,
                    auth=auth,
                    lifetime=cfg.certificate_lifetime,
                    heartbeat_interval=cfg.heartbeat_interval_seconds,
                ).handler(),
                SyncServicer(self._store, auth).handler(),
                BundleDownloadServicer(self._store, auth).handler(),
            )
        )
        if self._realtime is not None:
            realtime = RealtimeServicer(self._store, self._realtime, auth, self._compensations)
            control.add_generic_rpc_handlers((realtime.handler(),))
        publish = grpc.aio.server(options=self._publish_options())
        publish_port = publish.add_insecure_port(f"{cfg.publish_host}:{cfg.publish_port}")
        waking = WakingChangeLog(self._store.changes, self.heads.wake)
        publish.add_generic_rpc_handlers((PublishServicer(waking).handler(),))
        self._servers = [discovery, enroll, control, publish]
        for server in self._servers:
            await server.start()
        self.ports = GatewayPorts(discovery_port, enroll_port, control_port, publish_port)
        logger.info(
            "edge gateway on %s: discovery %d, enroll %d (TLS), control %d (mTLS); "
            "change publish on %s:%d",
            cfg.gateway_host,
            discovery_port,
            enroll_port,
            control_port,
            cfg.publish_host,
            publish_port,
        )
        return self.ports

    async def stop(self, grace: float = 5.0) -> None:
        await self.heads.stop()
        await self.sessions.stop()
        for server in self._servers:
            await server.stop(grace)
        self._servers = []
