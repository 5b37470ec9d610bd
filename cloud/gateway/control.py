"""The mTLS control surface: certificate renewal and the per-site control stream.

Gateway room: authenticates every call by the site in the client certificate, delivers
queued commands, records results and completes the waiting activities.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.activities.command_outcomes import SUCCEEDED, is_final, message_of, outcome_of
from cloud.adapters.pki import CertificateAuthority, CsrRejected, parse_site_csr
from cloud.gateway.codec import MalformedFrame, refuse_malformed, service_handler
from cloud.gateway.enrollment import certificate_record
from cloud.gateway.peer import SiteAuthenticator, SitePeer
from cloud.gateway.ports import WorkflowNotifier
from cloud.gateway.sessions import Session, SessionRegistry
from cloud.ports import StorePort
from shared.errors import CommerceError
from shared.grpc_status import IDENTITY_REFUSED
from shared.timestamps import to_timestamp

logger = logging.getLogger(__name__)

HELLO_TIMEOUT = 10.0


class ControlServicer:
    """Implements EdgeControlService with decoders that turn garbage into clear errors."""

    def __init__(
        self,
        store: StorePort,
        ca: CertificateAuthority,
        sessions: SessionRegistry,
        notifier: WorkflowNotifier,
        *,
        auth: SiteAuthenticator,
        lifetime: timedelta,
        heartbeat_interval: int,
    ) -> None:
        self._store = store
        self._ca = ca
        self._sessions = sessions
        self._notifier = notifier
        self._auth = auth
        self._lifetime = lifetime
        self._heartbeat_interval = heartbeat_interval

    def handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        """The generic handler to add to a grpc.aio server."""
        return service_handler(
            edge_pb2.DESCRIPTOR.services_by_name["EdgeControlService"],
            {"RenewCertificate": self.renew_certificate, "Connect": self.connect},
        )

    async def renew_certificate(
        self,
        request: edge_pb2.RenewCertificateRequest | MalformedFrame,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> edge_pb2.RenewCertificateResponse:
        await refuse_malformed(context, request)
        assert isinstance(request, edge_pb2.RenewCertificateRequest)
        peer = await self._auth.site(context)
        try:
            csr = parse_site_csr(request.csr_pem)
        except CsrRejected as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        if csr.site_id != peer.site_id:
            logger.warning("site %s asked for a certificate of site %s", peer.site_id, csr.site_id)
            await context.abort(
                IDENTITY_REFUSED,
                f"site {peer.site_id} may not request a certificate for site {csr.site_id}",
            )
        now = datetime.now(UTC)
        issued = self._ca.sign_site_certificate(csr, self._lifetime, now)
        await asyncio.to_thread(
            self._store.certificates.add_renewal,
            certificate_record(issued, peer.site_id),
        )
        logger.info("renewed certificate of site %s: %s", peer.site_id, issued.serial)
        return edge_pb2.RenewCertificateResponse(
            certificate_pem=issued.pem, not_after=to_timestamp(issued.not_after)
        )

    async def connect(
        self,
        requests: AsyncIterator[edge_pb2.ConnectRequest | MalformedFrame],
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[edge_pb2.ConnectResponse]:
        peer = await self._auth.site(context)
        iterator = aiter(requests)
        try:
            first = await asyncio.wait_for(anext(iterator), HELLO_TIMEOUT)
        except (TimeoutError, StopAsyncIteration):
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "the first frame must be hello, sent at once"
            )
        await refuse_malformed(context, first)
        assert isinstance(first, edge_pb2.ConnectRequest)
        if first.WhichOneof("frame") != "hello":
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first frame must be hello")
        yield edge_pb2.ConnectResponse(
            welcome=edge_pb2.Welcome(
                site_id=peer.site_id, heartbeat_interval_seconds=self._heartbeat_interval
            )
        )
        session = await self._sessions.open(peer.site_id, peer.serial)
        logger.info("site %s connected (agent %s)", peer.site_id, first.hello.agent_version)
        if first.hello.HasField("installed_bundles"):
            await self._record_release(peer.site_id, first.hello.installed_bundles)
        reader = asyncio.create_task(self._read(iterator, peer, session, context))
        try:
            while True:
                frame = await session.outbox.get()
                if frame is None or session.closed_reason is not None:
                    break
                yield frame
            if session.closed_reason is not None:
                await context.abort(grpc.StatusCode.UNAVAILABLE, session.closed_reason)
            done, _ = await asyncio.wait({reader}, timeout=1.0)
            error = reader.exception() if reader in done else None
            if isinstance(error, _Refusal):
                await context.abort(error.code, error.message)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
            self._sessions.close(session)
            logger.info("site %s disconnected", peer.site_id)

    async def _read(
        self,
        iterator: AsyncIterator[edge_pb2.ConnectRequest | MalformedFrame],
        peer: SitePeer,
        session: Session,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> None:
        try:
            async for frame in iterator:
                if isinstance(frame, MalformedFrame):
                    raise _Refusal(
                        grpc.StatusCode.INVALID_ARGUMENT,
                        f"malformed frame ({frame.error}); upgrade the commerce-edge package",
                    )
                self._sessions.seen(peer.site_id)
                kind = frame.WhichOneof("frame")
                if kind == "heartbeat":
                    session.offer(
                        edge_pb2.ConnectResponse(
                            heartbeat=edge_pb2.Heartbeat(
                                sequence=frame.heartbeat.sequence,
                                sent_at=to_timestamp(datetime.now(UTC)),
                            )
                        )
                    )
                elif kind == "command_result":
                    await self._finish_command(peer, frame.command_result)
                else:
                    raise _Refusal(
                        grpc.StatusCode.INVALID_ARGUMENT,
                        f"unexpected frame {kind or 'with no content'} after hello",
                    )
        finally:
            with contextlib.suppress(asyncio.QueueFull):
                session.outbox.put_nowait(None)

    async def _record_release(self, site_id: str, installed: edge_pb2.InstalledBundles) -> None:
        """Keep what the agent says it runs; a store hiccup costs the view, not the stream."""
        if not installed.current_bundle:
            return
        try:
            await asyncio.to_thread(
                self._store.site_releases.record, site_id, installed, datetime.now(UTC)
            )
        except CommerceError as exc:
            logger.warning("release state of site %s not recorded: %s", site_id, exc)

    async def _finish_command(self, peer: SitePeer, result: edge_pb2.CommandResult) -> None:
        if result.WhichOneof("detail") == "bundle_install" and result.bundle_install.current_bundle:
            report = result.bundle_install
            await self._record_release(
                peer.site_id,
                edge_pb2.InstalledBundles(
                    current_bundle=report.current_bundle,
                    last_known_good=report.last_known_good,
                    last_install=report,
                ),
            )
        record = await asyncio.to_thread(
            functools.partial(
                self._store.commands.complete,
                result.command_id,
                peer.site_id,
                outcome_of(result) == SUCCEEDED,
                result.SerializeToString(deterministic=True),
                message_of(result),
                datetime.now(UTC),
                final=is_final(result),
            )
        )
        if record is None:
            logger.warning(
                "site %s reported command %r that is not addressed to it",
                peer.site_id,
                result.command_id,
            )
            raise _Refusal(
                IDENTITY_REFUSED,
                f"command {result.command_id!r} is not addressed to site {peer.site_id}",
            )
        if result.WhichOneof("detail") == "site_config_applied":
            try:
                await asyncio.to_thread(
                    self._store.site_calendars.config_applied,
                    peer.site_id,
                    result.site_config_applied.generation,
                )
            except CommerceError as exc:  # the command's result is stored; only the view lags
                logger.warning("applied generation of site %s not recorded: %s", peer.site_id, exc)
        if record.task_token:
            await self._notifier.command_finished(record.task_token, result)


class _Refusal(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
