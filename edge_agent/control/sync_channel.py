"""Control stream room: the agent's EdgeSyncService calls and what their failures mean.

`SyncChannel` (the adapter behind `edge_agent.replication`'s `SyncCalls` port) rides on the
control stream's channel in the agent (one connection to the gateway's control port);
standalone, it dials that port itself with the site's certificate and redials after a failure
or a renewal. `sync_failure` is
the one place that maps a failed sync call to an agent error: the codes in
`shared.grpc_status.TRANSIENT` become `CloudUnreachable` (retryable), every other code
`SyncRefused` (retrying the same call cannot help); RESOURCE_EXHAUSTED on a push is
`BatchTooLarge` (split the batch and push the halves, never the same batch again). Disk
reads of the identity run off the loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, cast

import grpc

from ameide_core_proto.process.commerce.v1 import sync_pb2, sync_pb2_grpc
from edge_agent.errors import AgentError, BatchTooLarge, CloudUnreachable
from edge_agent.health_signals import PULL, PUSH, HealthSignals
from edge_agent.identity.current import load_identity
from edge_agent.replication.waiting import wait_any
from edge_agent.transport import Keepalive, tls_channel
from shared.grpc_status import TRANSIENT


class SyncRefused(AgentError):
    """The gateway refused a sync call for a reason retrying cannot fix (not bound, bad page)."""

    reason = "SyncRefused"


def sync_failure(exc: grpc.aio.AioRpcError, what: str, *, push: bool = False) -> AgentError:
    """The agent error of a failed sync call, classified once (`push`: a PushRecords call,
    whose RESOURCE_EXHAUSTED means the batch was larger than the gateway accepts)."""
    text = f"{what} failed: {exc.code().name}: {exc.details() or 'no details'}"
    if push and exc.code() == grpc.StatusCode.RESOURCE_EXHAUSTED:
        return BatchTooLarge(f"{text}; splitting the batch and pushing the halves")
    if exc.code() in TRANSIENT:
        return CloudUnreachable(f"{text}; retrying with backoff")
    return SyncRefused(text)


class SyncChannel:
    """Where sync calls go: the control stream's own channel once `attach` gave it one (one
    connection per agent), else (standalone tools and tests) an mTLS channel of its own."""

    def __init__(
        self,
        data_dir: Path,
        keepalive: Keepalive | None = None,
        *,
        signals: HealthSignals | None = None,
    ) -> None:
        self._data_dir = data_dir
        self._signals = signals
        self._keepalive = keepalive or Keepalive()
        self._channel: grpc.aio.Channel | None = None
        self._stub: Any = None
        self._serial = ""
        self._attached = False
        self._shared: grpc.aio.Channel | None = None
        self._shared_stub: Any = None
        self._up = asyncio.Event()

    def attach(self, channel: grpc.aio.Channel | None) -> None:
        """The control stream's current channel (None while it is down); from the first call
        on, sync calls never dial a connection of their own."""
        self._attached = True
        self._shared = channel
        self._shared_stub = None if channel is None else _sync_stub(channel)
        if channel is None:
            self._up.clear()
        else:
            self._up.set()

    def channel(self) -> grpc.aio.Channel:
        """The control stream's channel, for other calls on the same connection (bundle
        downloads); `CloudUnreachable` while it is down."""
        if self._shared is None:
            raise CloudUnreachable("the control stream is not connected")
        return self._shared

    async def wait_usable(self, stopping: asyncio.Event) -> None:
        """Return at once standalone; attached, once the control stream has a channel (or
        `stopping`): replication does not hammer a gateway the control client cannot reach."""
        if self._attached and not self._up.is_set():
            await wait_any(stopping, self._up, None)

    async def stub(self) -> Any:
        """The EdgeSyncService stub; `CloudUnreachable` while an attached control stream is
        down (retryable: the control client is dialling)."""
        if self._attached:
            if self._shared_stub is None:
                raise CloudUnreachable(
                    "the control stream is not connected; replication waits for it"
                )
            return self._shared_stub
        identity = await asyncio.to_thread(load_identity, self._data_dir)
        serial = identity.certificate.serial_hex
        if self._channel is None or serial != self._serial:
            await self.reset()
            record = identity.record
            self._channel = tls_channel(
                record.cloud_host,
                record.control_port,
                identity.ca_pem,
                key_pem=identity.key_pem,
                certificate_pem=identity.certificate_pem,
                keepalive=self._keepalive,
            )
            self._stub = _sync_stub(self._channel)
            self._serial = serial
        return self._stub

    async def pull_changes(
        self, request: sync_pb2.PullChangesRequest, timeout: float
    ) -> sync_pb2.PullChangesResponse:
        """PullChanges; the classified `AgentError` if it fails."""
        stub = await self.stub()
        try:
            response: sync_pb2.PullChangesResponse = await stub.PullChanges(
                request, timeout=timeout
            )
        except grpc.aio.AioRpcError as exc:
            await self.reset()
            failure = sync_failure(exc, "PullChanges")
            if self._signals is not None:
                self._signals.error(PULL, str(failure))
            raise failure from exc
        except asyncio.CancelledError:
            raise _closed_under("PullChanges") from None
        return response

    async def push_records(
        self, request: sync_pb2.PushRecordsRequest, timeout: float
    ) -> sync_pb2.PushRecordsResponse:
        """PushRecords; the classified `AgentError` if it fails."""
        stub = await self.stub()
        try:
            response: sync_pb2.PushRecordsResponse = await stub.PushRecords(
                request, timeout=timeout
            )
        except grpc.aio.AioRpcError as exc:
            await self.reset()
            failure = sync_failure(exc, f"PushRecords of batch {request.batch_id}", push=True)
            if self._signals is not None:
                self._signals.error(PUSH, str(failure))
            raise failure from exc
        except asyncio.CancelledError:
            raise _closed_under(f"PushRecords of batch {request.batch_id}") from None
        return response

    async def reset(self) -> None:
        """Drop an own channel after a failure: the next call dials again. An attached
        channel belongs to the control client, which redials it."""
        channel, self._channel, self._stub = self._channel, None, None
        if channel is not None:
            with contextlib.suppress(Exception):
                await channel.close(None)

    async def close(self) -> None:
        await self.reset()


def _closed_under(what: str) -> BaseException:
    """What a call cancelled under us means. grpc.aio cancels the calls of a channel that is
    closed (the control stream went down and took its channel along): that is the cloud being
    unreachable, retryable. Only a cancel of this task itself (a stop) stays a cancel."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        return asyncio.CancelledError()
    return CloudUnreachable(f"{what} was cut off: the connection to the gateway closed")


def _sync_stub(channel: grpc.aio.Channel) -> Any:
    return cast(Any, sync_pb2_grpc).EdgeSyncServiceStub(channel)
