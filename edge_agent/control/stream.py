"""The control stream client: dial out over mTLS, hello/welcome, heartbeats, commands, reconnect.

Talks to the gateway's EdgeControlService.Connect; records connection state in the projection.
No wait on the gateway is unbounded: the Welcome, every frame written and the silence between
frames read each have a deadline from the moment the stream opens, and HTTP/2 keepalive
(see `edge_agent.transport.Keepalive`) notices a dead peer below the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import timestamp_pb2
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_random_exponential

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.control.commands import (
    CommandDispatcher,
    CompensationNotices,
    InstallHandler,
    ReplicationHandlers,
)
from edge_agent.errors import AgentError
from edge_agent.health_signals import CONTROL, HealthSignals
from edge_agent.identity.current import load_identity
from edge_agent.projection import Projection
from edge_agent.transport import Keepalive, control_stub, tls_channel
from shared.grpc_status import IDENTITY_REJECTED
from shared.timestamps import to_timestamp

logger = logging.getLogger(__name__)

_EOF: Any = grpc.aio.EOF  # type: ignore[attr-defined]  # missing from grpc-stubs

DEFAULT_HEARTBEAT_SECONDS = 30
# Silence of this many heartbeat intervals means a dead link (when no bound is configured);
# the agent also heartbeats at least this often within a configured bound.
SILENCE_INTERVALS = 3
# A polite half-close on stop gets this long; a gateway that does not take it is cancelled.
CLOSE_SECONDS = 5.0

# Connection states written to the projection.
CONNECTING = "connecting"
CONNECTED = "connected"
DISCONNECTED = "disconnected"
REJECTED = "rejected"
STOPPED = "stopped"


class StreamFailure(AgentError):
    """The control stream could not be opened or broke; `was_connected` after a Welcome."""

    def __init__(self, message: str, *, was_connected: bool = False) -> None:
        super().__init__(message)
        self.was_connected = was_connected


class IdentityRejected(StreamFailure):
    """The gateway refused this site's certificate (revoked, expired, unknown)."""


class _Reconnect(Exception):
    """Internal: end the session and dial again at once (e.g. after a renewal)."""


def _timestamp() -> timestamp_pb2.Timestamp:
    return to_timestamp(datetime.now(UTC))


class ControlClient:
    """Keeps one control stream to the cloud open until told to stop."""

    def __init__(
        self,
        *,
        data_dir: Path,
        projection: Projection,
        agent_version: str,
        reconnect_initial_seconds: float = 0.5,
        reconnect_max_seconds: float = 30.0,
        welcome_timeout_seconds: float = 15.0,
        silence_timeout_seconds: float | None = None,
        keepalive: Keepalive | None = None,
        replication: ReplicationHandlers | None = None,
        compensations: CompensationNotices | None = None,
        on_changes: Callable[[edge_pb2.ChangesAvailable], None] | None = None,
        on_channel: Callable[[grpc.aio.Channel | None], None] | None = None,
        installer: InstallHandler | None = None,
        installed: Callable[[], edge_pb2.InstalledBundles] | None = None,
        signals: HealthSignals | None = None,
    ) -> None:
        self._signals = signals
        self._installer = installer
        self._installed = installed
        self._data_dir = data_dir
        self._on_channel = on_channel
        self._replication = replication
        self._compensations = compensations
        self._on_changes = on_changes
        self._projection = projection
        self._agent_version = agent_version
        self._initial = reconnect_initial_seconds
        self._max = reconnect_max_seconds
        self._welcome_timeout = welcome_timeout_seconds
        self._silence_timeout = silence_timeout_seconds
        self._keepalive = keepalive or Keepalive()
        self._fast_wait = wait_random_exponential(multiplier=self._initial, max=self._max)
        self._reconnect = asyncio.Event()
        self.connected = asyncio.Event()
        """Set while a stream is up (after Welcome); tests and the daemon may wait on it."""

    def request_reconnect(self) -> None:
        """Close the current stream and dial again (a renewed certificate takes effect)."""
        self._reconnect.set()

    # --- supervised loop ----------------------------------------------------------------------

    async def run(self, stopping: asyncio.Event) -> None:
        """Dial, serve, and redial with jittered exponential backoff until `stopping` is set."""
        try:
            while not stopping.is_set():
                retrying = AsyncRetrying(
                    retry=retry_if_exception(
                        lambda e: isinstance(e, StreamFailure) and not e.was_connected
                    ),
                    wait=self._wait,
                    sleep=lambda seconds: self._sleep(seconds, stopping),
                    stop=lambda _state: stopping.is_set(),
                    before_sleep=self._before_sleep,
                    reraise=True,
                )
                try:
                    async for attempt in retrying:
                        with attempt:
                            await self._session(stopping)
                except StreamFailure as exc:
                    if stopping.is_set():
                        break
                    # It was up and broke: dial again soon, with a fresh backoff.
                    self._record_failure(exc)
                    await self._sleep(random.uniform(0, self._initial), stopping)
        finally:
            self.connected.clear()
            self._projection.set_state(STOPPED)

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, IdentityRejected):
            return random.uniform(self._max / 2, self._max)
        return float(self._fast_wait(state))

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, StreamFailure):
            self._record_failure(exc)
        seconds = state.next_action.sleep if state.next_action else 0.0
        logger.info("dialling the control stream again in %.1f s", seconds)

    def _record_failure(self, exc: StreamFailure) -> None:
        if self._signals is not None:
            self._signals.error(CONTROL, str(exc))
        if isinstance(exc, IdentityRejected):
            logger.error(
                "THE CLOUD REJECTED THIS SITE'S CERTIFICATE: %s. The store is cut off from the "
                "cloud until this is fixed; if the site was revoked, re-enroll with a new "
                "bootstrap token. Retrying slowly.",
                exc,
            )
            self._projection.set_state(REJECTED, error=str(exc))
        else:
            logger.warning("control stream down: %s", exc)
            self._projection.set_state(DISCONNECTED, error=str(exc))

    @staticmethod
    async def _sleep(seconds: float, stopping: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=seconds)

    # --- one session --------------------------------------------------------------------------

    async def _session(self, stopping: asyncio.Event) -> None:
        if stopping.is_set():
            return
        self._reconnect.clear()  # before reading: a renewal after this point redials
        identity = load_identity(self._data_dir)  # a renewed certificate is read here
        record = identity.record
        where = record.control_target()
        self._projection.set_state(CONNECTING, error=self._projection.connection_state().last_error)
        channel = tls_channel(
            record.cloud_host,
            record.control_port,
            identity.ca_pem,
            key_pem=identity.key_pem,
            certificate_pem=identity.certificate_pem,
            keepalive=self._keepalive,
        )
        session = _Session(
            channel=channel,
            projection=self._projection,
            dispatcher=CommandDispatcher(
                self._projection,
                identity.site_id,
                self._replication,
                compensations=self._compensations,
                installer=self._installer,
                signals=self._signals,
            ),
            installed=self._installed,
            site_id=identity.site_id,
            agent_version=self._agent_version,
            welcome_timeout=self._welcome_timeout,
            silence_timeout=self._silence_timeout,
            on_connected=self.connected.set,
            on_changes=self._on_changes,
        )
        if self._on_channel is not None:
            self._on_channel(channel)  # replication calls share this connection
        try:
            async with channel:
                await session.serve(stopping, self._reconnect)
        except grpc.aio.AioRpcError as exc:
            message = f"{exc.code().name} from {where}: {exc.details() or 'no details'}"
            if exc.code() in IDENTITY_REJECTED:
                raise IdentityRejected(message, was_connected=session.welcomed) from exc
            raise StreamFailure(message, was_connected=session.welcomed) from exc
        except (grpc.RpcError, asyncio.InvalidStateError) as exc:  # a call that ended under us
            raise StreamFailure(
                f"control stream to {where} ended: {exc!r}", was_connected=session.welcomed
            ) from exc
        except _Reconnect:
            logger.info("reconnecting the control stream to use the renewed certificate")
        finally:
            if self._on_channel is not None:
                self._on_channel(None)
            self.connected.clear()


class _Session:
    """One open Connect stream: its writes are serialised; commands are handled in order."""

    def __init__(
        self,
        *,
        channel: grpc.aio.Channel,
        projection: Projection,
        dispatcher: CommandDispatcher,
        site_id: str,
        agent_version: str,
        welcome_timeout: float,
        silence_timeout: float | None,
        on_connected: Callable[[], None],
        on_changes: Callable[[edge_pb2.ChangesAvailable], None] | None = None,
        installed: Callable[[], edge_pb2.InstalledBundles] | None = None,
    ) -> None:
        self._installed = installed
        self._stub = control_stub(channel)
        self._on_changes = on_changes
        self._projection = projection
        self._dispatcher = dispatcher
        self._site_id = site_id
        self._agent_version = agent_version
        self._welcome_timeout = welcome_timeout
        self._configured_silence = silence_timeout
        # Until the Welcome sets the real bound, the Welcome deadline is the bound.
        self._silence_limit = welcome_timeout
        self._on_connected = on_connected
        self._write_lock = asyncio.Lock()
        self._interval = DEFAULT_HEARTBEAT_SECONDS
        self.welcomed = False

    async def serve(self, stopping: asyncio.Event, reconnect: asyncio.Event) -> None:
        call: Any = self._stub.Connect()
        try:
            await self._welcome(call)
            heartbeats = asyncio.ensure_future(self._heartbeats(call, self._heartbeat_period()))
            try:
                await self._read_loop(call, stopping, reconnect, heartbeats)
            finally:
                heartbeats.cancel()
                await asyncio.gather(heartbeats, return_exceptions=True)
        finally:
            call.cancel()

    def _heartbeat_period(self) -> float:
        """The gateway's interval, shortened so a configured silence bound always sees
        several heartbeat echoes from a live gateway."""
        if self._configured_silence is None:
            return float(self._interval)
        return min(float(self._interval), self._configured_silence / SILENCE_INTERVALS)

    async def _write(self, call: Any, request: edge_pb2.ConnectRequest) -> None:
        """Write one frame; a gateway that takes none within the silence bound is dead."""
        async with self._write_lock:
            try:
                await asyncio.wait_for(call.write(request), timeout=self._silence_limit)
            except TimeoutError as exc:
                raise StreamFailure(
                    f"the gateway took no frame for {self._silence_limit:.0f} s",
                    was_connected=self.welcomed,
                ) from exc

    async def _welcome(self, call: Any) -> None:
        generation = self._projection.connection_state().config_generation
        hello = edge_pb2.ConnectRequest(
            hello=edge_pb2.AgentHello(
                agent_version=self._agent_version,
                config_generation=generation,
                installed_bundles=self._installed() if self._installed else None,
            )
        )
        try:
            # One deadline from the moment the stream opens: connect, hello and Welcome.
            async with asyncio.timeout(self._welcome_timeout):
                await self._write(call, hello)
                first = await call.read()
        except TimeoutError as exc:
            raise StreamFailure(
                f"the gateway sent no Welcome within {self._welcome_timeout:.0f} s"
            ) from exc
        if first is _EOF:
            raise StreamFailure("the gateway closed the stream before sending Welcome")
        if first.WhichOneof("frame") != "welcome":
            raise StreamFailure(
                f"the gateway's first frame was {first.WhichOneof('frame')!r}, not a Welcome"
            )
        welcome = first.welcome
        if welcome.site_id != self._site_id:
            raise StreamFailure(
                f"the gateway welcomed site {welcome.site_id!r} but this agent is "
                f"{self._site_id!r}; report this to cloud operations"
            )
        self._interval = welcome.heartbeat_interval_seconds or DEFAULT_HEARTBEAT_SECONDS
        self._silence_limit = self._configured_silence or SILENCE_INTERVALS * float(self._interval)
        self.welcomed = True
        self._projection.set_state(CONNECTED)
        self._projection.touch_contact()
        self._on_connected()
        logger.info(
            "control stream up as site %s (heartbeat every %.1f s, silence bound %.1f s)",
            self._site_id,
            self._heartbeat_period(),
            self._silence_limit,
        )

    async def _heartbeats(self, call: Any, interval: float) -> None:
        sequence = 0
        while True:
            await asyncio.sleep(interval)
            sequence += 1
            await self._write(
                call,
                edge_pb2.ConnectRequest(
                    heartbeat=edge_pb2.Heartbeat(sequence=sequence, sent_at=_timestamp())
                ),
            )

    async def _read_loop(
        self,
        call: Any,
        stopping: asyncio.Event,
        reconnect: asyncio.Event,
        heartbeats: asyncio.Future[None],
    ) -> None:
        stop_wait = asyncio.ensure_future(stopping.wait())
        reconnect_wait = asyncio.ensure_future(reconnect.wait())
        # From the Welcome on, silence longer than the bound means a dead or frozen gateway:
        # a live one echoes every heartbeat.
        silence_limit = self._silence_limit
        try:
            while True:
                read = asyncio.ensure_future(call.read())
                done, _ = await asyncio.wait(
                    {read, stop_wait, reconnect_wait, heartbeats},
                    timeout=silence_limit,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if read not in done:
                    if stop_wait in done or reconnect_wait in done:
                        # The pending read stays: cancelling it would cancel the whole call
                        # and could drop a command result the gateway has not read yet.
                        await self._close(call, read)
                        if stop_wait in done:
                            return
                        raise _Reconnect
                    read.cancel()
                    await asyncio.gather(read, return_exceptions=True)
                    if heartbeats in done:
                        heartbeats.result()  # raises the write failure
                        raise StreamFailure("heartbeat sender stopped", was_connected=True)
                    raise StreamFailure(
                        f"no frame from the gateway for {silence_limit:.0f} s", was_connected=True
                    )
                frame = read.result()
                if frame is _EOF:
                    raise StreamFailure("the gateway closed the stream", was_connected=True)
                self._projection.touch_contact()
                kind = frame.WhichOneof("frame")
                if kind == "heartbeat":
                    pass  # its arrival is the point: the link is alive
                elif kind == "command":
                    # Handled to the end, result written, before stop is looked at again.
                    logger.info(
                        "command %s (%s) received",
                        frame.command.command_id,
                        frame.command.WhichOneof("action"),
                    )
                    result = await self._dispatcher.handle(frame.command)
                    if result is not None:  # None: answered after the agent restarts
                        await self._write(call, edge_pb2.ConnectRequest(command_result=result))
                elif kind == "changes_available":
                    # Only a wake-up for the sync client: the read loop never waits on a pull.
                    if self._on_changes is not None:
                        self._on_changes(frame.changes_available)
                else:
                    logger.warning("ignoring unexpected %r frame from the gateway", kind)
        finally:
            for waiter in (stop_wait, reconnect_wait):
                waiter.cancel()
            await asyncio.gather(stop_wait, reconnect_wait, return_exceptions=True)

    async def _close(self, call: Any, pending_read: asyncio.Future[Any]) -> None:
        """Half-close, then read (bounded) until the gateway ends the stream.

        The gateway ends it once it has read, and recorded, every frame this side sent; a
        `call.cancel()` before that could drop a command result still in flight. A gateway
        that does not end it in time is left to the cancel that follows.
        """
        limit = min(self._silence_limit, CLOSE_SECONDS)
        try:
            async with asyncio.timeout(limit):
                async with self._write_lock:
                    await call.done_writing()
                frame = await pending_read
                while frame is not _EOF:
                    # Heartbeats or commands sent as we stopped: the cloud redelivers those.
                    frame = await call.read()
        except (grpc.aio.AioRpcError, TimeoutError, asyncio.InvalidStateError):
            pass
        finally:
            if not pending_read.done():
                pending_read.cancel()
                await asyncio.gather(pending_read, return_exceptions=True)
