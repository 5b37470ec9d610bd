"""Realtime room: the agent's RealtimeService calls over mTLS, and what their failures mean.

`RealtimeChannel` rides on the control stream's connection once `attach` gave it one (one
connection per store); standalone (tools, tests) it dials the control port with the site's
certificate. Decisions asked for together go to the cloud in one DecideMany call (one
answer per operation; an older cloud without it gets a Decide per operation).
`realtime_failure` / `failure_of` is the one place that classifies a failed call or a failed
operation of a DecideMany: the codes in
`shared.grpc_status.TRANSIENT` (deadline passed, connection lost) become `CloudDidNotAnswer`,
with `in_doubt` set because the cloud may have applied the operation; INVALID_ARGUMENT becomes
`InvalidInput` (the POS sent something the cloud refuses: retrying cannot help); any other
code `CloudDidNotAnswer` without doubt (the cloud refused the call itself, nothing applied).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
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


_CODES = {code.value[0]: code for code in grpc.StatusCode}

# Decisions sent together in one DecideMany call, and how many such calls may be open at once.
MAX_BATCH = 256
MAX_IN_FLIGHT = 2


def realtime_failure(exc: grpc.aio.AioRpcError, what: str) -> Exception:
    """The error of a failed realtime call."""
    return failure_of(exc.code(), exc.details() or "", what)


def failure_of(code: grpc.StatusCode, details: str, what: str) -> Exception:
    """The error of a realtime call or of one operation of a DecideMany, classified once."""
    text = f"{what}: {code.name}: {details or 'no details'}"
    if code == grpc.StatusCode.INVALID_ARGUMENT:
        return InvalidInput(details or text)
    return CloudDidNotAnswer(text, in_doubt=code in TRANSIENT)


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
        self._waiting: list[
            tuple[realtime_pb2.RealtimeOperation, asyncio.Future[realtime_pb2.RealtimeDecision]]
        ] = []
        self._senders: set[asyncio.Task[None]] = set()
        self._many = True  # False once the cloud answered DecideMany with UNIMPLEMENTED

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
        """The cloud's decision on `op` within `deadline_seconds`. Decisions asked for while
        a DecideMany call is open go together in the next one (at most `MAX_IN_FLIGHT`
        calls open); a cloud without DecideMany gets one Decide call per operation."""
        stub = await self._current()
        if not self._many:
            return await self._decide_one(stub, op, deadline_seconds)
        future: asyncio.Future[realtime_pb2.RealtimeDecision] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiting.append((op, future))
        if len(self._senders) < MAX_IN_FLIGHT:
            sender = asyncio.create_task(self._send(deadline_seconds))
            self._senders.add(sender)
            sender.add_done_callback(self._senders.discard)
        try:
            return await asyncio.wait_for(asyncio.shield(future), deadline_seconds)
        except TimeoutError:
            raise CloudDidNotAnswer(
                f"Decide {op.operation_id}: no answer within {deadline_seconds:g} s",
                in_doubt=True,
            ) from None
        finally:
            future.cancel()  # no-op once answered; a late answer is dropped

    async def _send(self, deadline_seconds: float) -> None:
        """Send what waits, as DecideMany calls, until nothing waits."""
        while self._waiting:
            batch = [item for item in self._waiting[:MAX_BATCH] if not item[1].done()]
            del self._waiting[:MAX_BATCH]
            if batch:
                await self._send_batch(batch, deadline_seconds)

    async def _send_batch(
        self,
        batch: list[
            tuple[realtime_pb2.RealtimeOperation, asyncio.Future[realtime_pb2.RealtimeDecision]]
        ],
        deadline_seconds: float,
    ) -> None:
        def fail(error: Callable[[realtime_pb2.RealtimeOperation], Exception]) -> None:
            for op, future in batch:
                if not future.done():
                    future.set_exception(error(op))

        try:
            stub = await self._current()
            response: realtime_pb2.DecideManyResponse = await stub.DecideMany(
                realtime_pb2.DecideManyRequest(operations=[op for op, _ in batch]),
                timeout=deadline_seconds,
            )
        except CloudDidNotAnswer as exc:  # not connected: nothing was sent
            refused = exc
            fail(lambda op: CloudDidNotAnswer(str(refused), in_doubt=refused.in_doubt))
            return
        except grpc.aio.AioRpcError as exc:
            failed = exc
            if exc.code() == grpc.StatusCode.UNIMPLEMENTED:
                # An older cloud: nothing was decided; each goes as its own Decide.
                self._many = False
                await asyncio.gather(*(self._one_for(item, deadline_seconds) for item in batch))
                return
            fail(lambda op: realtime_failure(failed, f"Decide {op.operation_id}"))
            return
        except asyncio.CancelledError:
            fail(
                lambda op: CloudDidNotAnswer(
                    f"Decide {op.operation_id} was cut off: the connection closed", in_doubt=True
                )
            )
            raise
        if len(response.answers) != len(batch):
            fail(
                lambda op: CloudDidNotAnswer(
                    f"Decide {op.operation_id}: the cloud answered {len(response.answers)} of "
                    f"{len(batch)} operations",
                    in_doubt=True,
                )
            )
            return
        for (op, future), answer in zip(batch, response.answers, strict=True):
            if future.done():
                continue
            if answer.code == 0:
                future.set_result(answer.decision)
            else:
                code = _CODES.get(answer.code, grpc.StatusCode.UNKNOWN)
                future.set_exception(failure_of(code, answer.message, f"Decide {op.operation_id}"))

    async def _one_for(
        self,
        item: tuple[realtime_pb2.RealtimeOperation, asyncio.Future[realtime_pb2.RealtimeDecision]],
        deadline_seconds: float,
    ) -> None:
        op, future = item
        try:
            decision = await self._decide_one(await self._current(), op, deadline_seconds)
        except Exception as exc:  # handed to the caller waiting on it
            if not future.done():
                future.set_exception(exc)
            return
        if not future.done():
            future.set_result(decision)

    async def _decide_one(
        self, stub: Any, op: realtime_pb2.RealtimeOperation, deadline_seconds: float
    ) -> realtime_pb2.RealtimeDecision:
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
