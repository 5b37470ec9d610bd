"""DependencyProbes for real: Temporal's frontend (system info, namespace, search attributes,
pollers per task queue with build ids, counting only pollers that polled within a freshness
bound), the cloud store (one query) and the edge gateway (GetTrustBundle on its discovery port).

Operator adapter room: network calls to Temporal, the store and the gateway; blocking
database drivers run in a thread so the event loop never waits on them. Never raises: every
failure becomes a Check that says what was expected and what was seen.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import grpc
import sqlalchemy
from sqlalchemy.engine import make_url
from temporalio.api.enums.v1 import TaskQueueKind, TaskQueueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import (
    DescribeNamespaceRequest,
    DescribeTaskQueueRequest,
    GetSystemInfoRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, TLSConfig

from ameide_core_proto.process.commerce.v1 import edge_pb2, edge_pb2_grpc
from cloud.operator.conditions import Check, Pollers, TemporalReport
from cloud.operator.ports import TemporalTarget

logger = logging.getLogger(__name__)


class LiveProbes:
    """Probes with a per-call timeout; Temporal clients are kept per target and dropped on
    failure so a restarted frontend is dialled afresh."""

    def __init__(
        self,
        timeout: float = 5.0,
        poller_freshness: float = 90.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`poller_freshness`: a poller whose last poll is older than this many seconds does
        not count (Temporal lists a stopped worker's pollers for minutes). Keep it above the
        frontend's long-poll expiry (one minute by default), which is how often an idle
        worker polls again."""
        self._timeout = timeout
        self._freshness = poller_freshness
        self._clock = clock
        self._clients: dict[TemporalTarget, Client] = {}

    async def _client(self, target: TemporalTarget) -> Client:
        client = self._clients.get(target)
        if client is None:
            tls: TLSConfig | bool = False
            if target.tls_ca or target.tls_cert or target.api_key:
                tls = TLSConfig(
                    server_root_ca_cert=target.tls_ca,
                    client_cert=target.tls_cert,
                    client_private_key=target.tls_key,
                )
            client = await asyncio.wait_for(
                Client.connect(
                    target.address,
                    namespace=target.namespace,
                    tls=tls,
                    api_key=target.api_key,
                ),
                self._timeout,
            )
            self._clients[target] = client
        return client

    async def temporal(self, target: TemporalTarget, task_queues: Sequence[str]) -> TemporalReport:
        timeout = timedelta(seconds=self._timeout)
        try:
            client = await self._client(target)
            info = await client.workflow_service.get_system_info(
                GetSystemInfoRequest(), timeout=timeout
            )
        except (RuntimeError, RPCError, TimeoutError, OSError) as exc:
            self._clients.pop(target, None)
            return TemporalReport(
                reachable=Check(
                    False,
                    "FrontendUnreachable",
                    f"expected the Temporal frontend at {target.address} to answer; "
                    f"{_describe(exc)}",
                )
            )
        reachable = Check(
            True,
            "FrontendAnswered",
            f"frontend {target.address} answered (server {info.server_version or 'unknown'})",
        )
        try:
            await client.workflow_service.describe_namespace(
                DescribeNamespaceRequest(namespace=target.namespace), timeout=timeout
            )
        except RPCError as exc:
            return TemporalReport(
                reachable=reachable,
                namespace=Check(
                    False,
                    "NamespaceNotFound" if exc.status.name == "NOT_FOUND" else "NamespaceError",
                    f"expected namespace {target.namespace!r}; {_describe(exc)}",
                ),
            )
        namespace = Check(True, "NamespaceRegistered", f"namespace {target.namespace!r} exists")
        registered: frozenset[str] | None
        try:
            listed = await client.operator_service.list_search_attributes(
                ListSearchAttributesRequest(namespace=target.namespace), timeout=timeout
            )
            registered = frozenset(listed.custom_attributes)
        except RPCError as exc:
            logger.warning("search attributes of %s: %s", target.namespace, exc)
            registered = frozenset()
        try:
            pollers = {q: await self._pollers(client, target, q, timeout) for q in task_queues}
        except RPCError as exc:
            logger.warning("describing task queues: %s", exc)
            return TemporalReport(reachable, namespace, registered, None)
        return TemporalReport(reachable, namespace, registered, pollers)

    async def _pollers(
        self, client: Client, target: TemporalTarget, queue: str, timeout: timedelta
    ) -> Pollers:
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=target.namespace,
                task_queue=TaskQueue(name=queue, kind=TaskQueueKind.TASK_QUEUE_KIND_NORMAL),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            ),
            timeout=timeout,
        )
        now = self._clock()
        fresh = []
        ages = []
        for poller in described.pollers:
            age = (
                (now - poller.last_access_time.ToDatetime(UTC)).total_seconds()
                if poller.HasField("last_access_time")
                else 0.0
            )
            ages.append(age)
            if age <= self._freshness:
                fresh.append(poller)
        build_ids = sorted(
            {
                p.deployment_options.build_id or p.worker_version_capabilities.build_id
                for p in fresh
            }
            - {""}
        )
        stale_ages = [a for a in ages if a > self._freshness]
        return Pollers(
            len(fresh),
            tuple(build_ids),
            stale=len(stale_ages),
            stale_seconds=min(stale_ages) if stale_ages else None,
            freshness_seconds=self._freshness,
        )

    async def store(self, url: str) -> Check:
        try:
            shown = make_url(url).render_as_string(hide_password=True)
        except (sqlalchemy.exc.ArgumentError, ValueError) as exc:
            return Check(False, "InvalidStoreURL", f"expected an SQLAlchemy URL; {exc}")
        try:
            await asyncio.wait_for(asyncio.to_thread(_query_store, url), self._timeout + 1)
        except Exception as exc:  # any driver error means the store does not serve
            return Check(
                False, "StoreUnreachable", f"expected {shown} to answer SELECT 1; {_describe(exc)}"
            )
        return Check(True, "StoreAnswered", f"{shown} answered SELECT 1")

    async def gateway(self, address: str) -> Check:
        try:
            async with grpc.aio.insecure_channel(address) as channel:
                stub: Any = cast(Any, edge_pb2_grpc).EdgeDiscoveryServiceStub(channel)
                await stub.GetTrustBundle(edge_pb2.GetTrustBundleRequest(), timeout=self._timeout)
        except grpc.aio.AioRpcError as exc:
            return Check(
                False,
                "GatewayNotAnswering",
                f"expected the gateway's discovery port {address} to serve its trust bundle; "
                f"{exc.code().name}: {exc.details()}",
            )
        return Check(True, "GatewayAnswered", f"gateway {address} served its trust bundle")


def _query_store(url: str) -> None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # Read-only: a probe must never create the store file.
        with sqlite3.connect(f"file:{parsed.database}?mode=ro", uri=True, timeout=5) as db:
            db.execute("SELECT 1").fetchone()
        return
    engine = sqlalchemy.create_engine(
        url, connect_args={"connect_timeout": 5}, poolclass=sqlalchemy.pool.NullPool
    )
    try:
        with engine.connect() as connection:
            connection.execute(sqlalchemy.text("SELECT 1"))
    finally:
        engine.dispose()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return "no answer within the probe timeout"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return f"saw {type(exc).__name__}: {text[:300]}"
