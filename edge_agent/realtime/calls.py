"""Realtime room: the agent's RealtimeService calls over mTLS, and what their failures mean.

`RealtimeChannel` rides on the control stream's connection once `attach` gave it one (one
connection per store); standalone (tools, tests) it dials the control port with the site's
certificate. `realtime_failure` is the one place that classifies a failed call: the codes in
`shared.grpc_status.TRANSIENT` (deadline passed, connection lost) become `CloudDidNotAnswer`,
with `in_doubt` set because the cloud may have applied the operation; INVALID_ARGUMENT becomes
`InvalidInput` (the POS sent something the cloud refuses: retrying cannot help); any other
code `CloudDidNotAnswer` without doubt (the cloud refused the call itself, nothing applied).
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any, cast

import grpc

from ameide_core_proto.process.commerce.v1 import realtime_pb2, realtime_pb2_grpc
from edge_agent.errors import CloudUnreachable
from edge_agent.identity.current import load_identity
from edge_agent.transport import Keepalive, tls_channel
from shared.errors import InvalidInput
from shared.grpc_status import TRANSIENT


class CloudDidNotAnswer(CloudUnreachable):
    """No decision from the cloud; `in_doubt` when it may have applied the operation."""

    reason = "CloudDidNotAnswer"

    def __init__(self, message: str, *, in_doubt: bool) -> None:
        super().__init__(message)
        self.in_doubt = in_doubt


def realtime_failure(exc: grpc.aio.AioRpcError, what: str) -> Exception:
    """The error of a failed realtime call, classified once."""
    text = f"{what}: {exc.code().name}: {exc.details() or 'no details'}"
    if exc.code() == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidInput(exc.details() or text)
    return CloudDidNotAnswer(text, in_doubt=exc.code() in TRANSIENT)


class RealtimeChannel:
    """RealtimeService calls on the control stream's channel (or an own one, standalone)."""

    def __init__(self, data_dir: Path, keepalive: Keepalive | None = None) -> None:
        self._data_dir = data_dir
        self._keepalive = keepalive or Keepalive()
        self._attached = False
        self._stub: Any = None
        self._own: grpc.aio.Channel | None = None
        self.connected = asyncio.Event()
        """Set while there is a channel to the cloud (attached mode)."""

    def attach(self, channel: Any) -> None:
        """The control stream's current channel (a `grpc.aio.Channel`), None while it is down."""
        self._attached = True
        self._stub = None if channel is None else _stub(channel)
        if channel is None:
            self.connected.clear()
        else:
            self.connected.set()

    async def _current(self) -> Any:
        if self._attached:
            if self._stub is None:
                raise CloudDidNotAnswer("the store is not connected to the cloud", in_doubt=False)
            return self._stub
        if self._own is None:
            identity = await asyncio.to_thread(load_identity, self._data_dir)
            record = identity.record
            self._own = tls_channel(
                record.cloud_host,
                record.control_port,
                identity.ca_pem,
                key_pem=identity.key_pem,
                certificate_pem=identity.certificate_pem,
                keepalive=self._keepalive,
            )
            self._stub = _stub(self._own)
            self.connected.set()
        return self._stub

    async def decide(
        self, op: realtime_pb2.RealtimeOperation, deadline_seconds: float
    ) -> realtime_pb2.RealtimeDecision:
        stub = await self._current()
        try:
            response: realtime_pb2.DecideResponse = await stub.Decide(
                realtime_pb2.DecideRequest(operation=op), timeout=deadline_seconds
            )
        except grpc.aio.AioRpcError as exc:
            raise realtime_failure(exc, f"Decide {op.operation_id}") from exc
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            raise CloudDidNotAnswer(
                f"Decide {op.operation_id} was cut off: the connection closed", in_doubt=True
            ) from None
        return response.decision

    async def reconcile(
        self,
        op: realtime_pb2.RealtimeOperation,
        store_decision: realtime_pb2.RealtimeDecision,
        timeout: float,
    ) -> realtime_pb2.ReconcileResponse:
        stub = await self._current()
        try:
            response: realtime_pb2.ReconcileResponse = await stub.Reconcile(
                realtime_pb2.ReconcileRequest(operation=op, store_decision=store_decision),
                timeout=timeout,
            )
        except grpc.aio.AioRpcError as exc:
            raise realtime_failure(exc, f"Reconcile {op.operation_id}") from exc
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise
            raise CloudDidNotAnswer(
                f"Reconcile {op.operation_id} was cut off", in_doubt=True
            ) from None
        return response

    async def close(self) -> None:
        own, self._own = self._own, None
        if own is not None:
            with contextlib.suppress(Exception):
                await own.close(None)


def _stub(channel: grpc.aio.Channel) -> Any:
    return cast(Any, realtime_pb2_grpc).RealtimeServiceStub(channel)
