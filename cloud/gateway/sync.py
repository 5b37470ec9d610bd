"""EdgeSyncService on the mTLS control port: agents pull their bound streams and push records.

Gateway room: authenticates the site from its client certificate, decides from the site's
replication bindings (`cloud.workflows.bindings`) what it may read, and talks to the change
log, ingest and sync-report ports only (every store call runs in a thread, never on the
event loop); what agents report (applied seqs, outbox depth, pushes, health signals) is
recorded best-effort:
a failed report write is logged and never fails the pull or push. The
one place that maps the store's errors on this service to status codes: bad input is
INVALID_ARGUMENT and another site's data PERMISSION_DENIED (retrying cannot help); an
unavailable store is UNAVAILABLE and a lost write race ABORTED (both in
`shared.grpc_status.TRANSIENT`: retry).
"""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc

from ameide_core_proto.process.commerce.v1 import store_site_pb2, sync_pb2
from cloud.adapters.store.errors import StoreError, StoreUnavailable
from cloud.gateway.codec import MalformedFrame, refuse_malformed, service_handler
from cloud.gateway.peer import SiteAuthenticator
from cloud.gateway.snapshot_token import SnapshotResume, decode_token, encode_token
from cloud.gateway.sync_reports import ReportThrottle
from cloud.ports import StorePort
from cloud.site_health import health_from_proto
from cloud.workflows.bindings import derive_replication_bindings
from shared.errors import InvalidInput
from shared.grpc_status import IDENTITY_REFUSED

logger = logging.getLogger(__name__)

DEFAULT_MAX_CHANGES = 5_000
MAX_CHANGES = 10_000
PAGE_BYTE_BUDGET = 3 * 1024 * 1024
"""Encoded bytes in one PullChanges response: under the gateway's 4 MiB send limit."""


@dataclass(frozen=True)
class SiteBindings:
    """What one site may read (down stream -> scopes) and write (up streams)."""

    site_id: str
    down: dict[str, list[str]]
    up: frozenset[str]


def site_bindings(store: StorePort, site_id: str) -> SiteBindings:
    """The site's bindings as its channel's streams derive them; blocking (store reads)."""
    site = store.sites.get(site_id)
    if site is None:
        raise InvalidInput(f"site {site_id!r} is not provisioned")
    channel = store.channels.get(site.sales_channel_id)
    streams = list(channel.streams) if channel is not None else []
    down: dict[str, list[str]] = {}
    up: set[str] = set()
    for binding in derive_replication_bindings(site_id, site.sales_channel_id, streams):
        if binding.direction == store_site_pb2.REPLICATION_DIRECTION_DOWN:
            down.setdefault(binding.stream, []).append(binding.scope)
        else:
            up.add(binding.stream)
    return SiteBindings(site_id, down, frozenset(up))


class _Refused(Exception):
    def __init__(self, code: grpc.StatusCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _encode(payload: bytes, accept: Sequence[int]) -> tuple[int, bytes]:
    if sync_pb2.PAGE_ENCODING_ZLIB in accept:
        return sync_pb2.PAGE_ENCODING_ZLIB, zlib.compress(payload, 1)
    return sync_pb2.PAGE_ENCODING_PLAIN, payload


def read_pages(
    store: StorePort, site_id: str, request: sync_pb2.PullChangesRequest
) -> sync_pb2.PullChangesResponse:
    """The response to a pull; blocking. `_Refused` for what the site may not read.

    A stream whose checkpoint is below its compaction floor, that asks for a snapshot
    (`want_snapshot`, a rebuild) or that carries a snapshot resume token is sent as snapshot
    pages of its live entities, then its tail after the snapshot's seq on later pulls.
    """
    bindings = site_bindings(store, site_id)
    resumes: dict[str, SnapshotResume | None] = {}
    for checkpoint in request.checkpoints:
        if checkpoint.stream not in bindings.down:
            raise _Refused(
                IDENTITY_REFUSED,
                f"site {site_id} is not bound to stream {checkpoint.stream!r} (bound: "
                f"{', '.join(sorted(bindings.down)) or 'none'}); nothing was read",
            )
        if checkpoint.applied_seq < 0:
            raise _Refused(
                grpc.StatusCode.INVALID_ARGUMENT,
                f"checkpoint of stream {checkpoint.stream!r} is {checkpoint.applied_seq}; "
                "start at 0",
            )
        if checkpoint.snapshot_resume_token:
            try:
                resume = decode_token(checkpoint.stream, checkpoint.snapshot_resume_token)
            except InvalidInput as exc:
                raise _Refused(grpc.StatusCode.INVALID_ARGUMENT, str(exc)) from exc
            resumes[checkpoint.stream] = resume
        elif checkpoint.want_snapshot:
            resumes[checkpoint.stream] = None
    for checkpoint in request.checkpoints:
        behind = checkpoint.stream not in resumes and checkpoint.applied_seq < store.changes.floor(
            checkpoint.stream
        )
        if behind:  # behind the compaction floor: a snapshot, then the tail
            resumes[checkpoint.stream] = None
    accept = list(request.accept) or [sync_pb2.PAGE_ENCODING_PLAIN]
    budget = _Budget(min(request.max_changes or DEFAULT_MAX_CHANGES, MAX_CHANGES), PAGE_BYTE_BUDGET)
    response = sync_pb2.PullChangesResponse()
    for checkpoint in request.checkpoints:
        if budget.changes <= 0 or budget.bytes <= 0:
            response.more = True
            break
        scopes = bindings.down[checkpoint.stream]
        if checkpoint.stream in resumes:
            page = _snapshot_page(
                store,
                checkpoint,
                scopes,
                resumes[checkpoint.stream],
                accept,
                budget,
                bool(response.pages),
            )
        else:
            page = _change_page(store, checkpoint, scopes, accept, budget, bool(response.pages))
        if page is None:
            response.more = True  # no room left in this response: the next pull takes it
            break
        if not page.snapshot and not page.change_count and page.through_seq == page.after_seq:
            continue  # nothing new, nothing to move past
        response.pages.append(page)
        budget.changes -= page.change_count
        budget.bytes -= len(page.payload)
        if page.through_seq < page.head_seq or (page.snapshot and not page.snapshot_complete):
            response.more = True
    return response


@dataclass
class _Budget:
    changes: int
    bytes: int


def _change_page(
    store: StorePort,
    checkpoint: sync_pb2.StreamCheckpoint,
    scopes: list[str],
    accept: Sequence[int],
    budget: _Budget,
    others: bool,
) -> sync_pb2.ChangePage | None:
    """The stream's changes after its checkpoint within the budget; None when they do not
    fit beside the pages already in the response (`others`)."""
    stream = checkpoint.stream
    limit = budget.changes
    while True:
        batch = store.changes.read_encoded(stream, scopes, checkpoint.applied_seq, limit)
        encoding, payload = _encode(batch.payload, accept)
        if len(payload) <= budget.bytes or limit == 1:
            break
        if others:
            return None
        limit = max(1, limit // 2)
    return sync_pb2.ChangePage(
        stream=stream,
        after_seq=batch.after_seq,
        through_seq=batch.through_seq,
        head_seq=batch.head_seq,
        change_count=batch.count,
        encoding=encoding,  # type: ignore[arg-type]
        payload=payload,
    )


def _snapshot_page(
    store: StorePort,
    checkpoint: sync_pb2.StreamCheckpoint,
    scopes: list[str],
    resume: SnapshotResume | None,
    accept: Sequence[int],
    budget: _Budget,
    others: bool,
) -> sync_pb2.ChangePage | None:
    """The next page of the stream's snapshot (the first when `resume` is None); None when
    it does not fit beside the pages already in the response (`others`)."""
    stream = checkpoint.stream
    after = resume.after if resume is not None else None
    limit = budget.changes
    while True:
        snap = store.changes.snapshot_encoded(stream, scopes, after, limit)
        encoding, payload = _encode(snap.payload, accept)
        if len(payload) <= budget.bytes or limit == 1:
            break
        if others:
            return None
        limit = max(1, limit // 2)
    if resume is None:  # the first page: the snapshot stands at the head read now
        as_of, after_seq = snap.head_seq, checkpoint.applied_seq
    else:
        as_of = after_seq = resume.as_of_seq
    page = sync_pb2.ChangePage(
        stream=stream,
        after_seq=min(after_seq, as_of),
        through_seq=as_of,
        head_seq=snap.head_seq,
        change_count=snap.count,
        encoding=encoding,  # type: ignore[arg-type]
        payload=payload,
        snapshot=True,
        snapshot_complete=snap.next_after is None,
        snapshot_first=resume is None,
    )
    if snap.next_after is not None:
        page.resume_token = encode_token(SnapshotResume(as_of, snap.next_after))
    return page


class SyncServicer:
    """Implements EdgeSyncService (PullChanges, PushRecords) over the store's ports."""

    def __init__(
        self,
        store: StorePort,
        auth: SiteAuthenticator,
        *,
        throttle: ReportThrottle | None = None,
    ) -> None:
        self._store = store
        self._auth = auth
        self._throttle = throttle or ReportThrottle()

    def _pull_report_due(self, site_id: str, request: sync_pb2.PullChangesRequest) -> bool:
        applied = tuple(sorted((c.stream, c.applied_seq) for c in request.checkpoints))
        outbox = request.outbox_pending if request.HasField("outbox_pending") else None
        health = request.health.SerializeToString(deterministic=True)
        return self._throttle.due(site_id, (applied, outbox, health), time.monotonic())

    def _record_pull(self, site_id: str, request: sync_pb2.PullChangesRequest) -> None:
        """Blocking; best-effort (see the module docstring)."""
        try:
            self._store.sync_reports.record_pull(
                site_id,
                {c.stream: c.applied_seq for c in request.checkpoints if c.applied_seq >= 0},
                request.outbox_pending if request.HasField("outbox_pending") else None,
                datetime.now(UTC),
            )
            if request.HasField("health"):
                self._store.site_health.record(
                    site_id, health_from_proto(request.health, datetime.now(UTC))
                )
        except (StoreError, InvalidInput) as exc:
            self._throttle.forget(site_id)
            logger.warning("could not record the sync report of site %s: %s", site_id, exc)

    def _record_push(self, site_id: str, request: sync_pb2.PushRecordsRequest) -> None:
        """Blocking; best-effort (see the module docstring)."""
        try:
            self._store.sync_reports.record_push(
                site_id,
                request.outbox_pending if request.HasField("outbox_pending") else None,
                datetime.now(UTC),
            )
        except (StoreError, InvalidInput) as exc:
            logger.warning("could not record the push of site %s: %s", site_id, exc)

    def handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        """The generic handler to add to the control server (same port, same mTLS)."""
        return service_handler(
            sync_pb2.DESCRIPTOR.services_by_name["EdgeSyncService"],
            {"PullChanges": self.pull_changes, "PushRecords": self.push_records},
        )

    async def pull_changes(
        self,
        request: sync_pb2.PullChangesRequest | MalformedFrame,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> sync_pb2.PullChangesResponse:
        await refuse_malformed(context, request)
        assert isinstance(request, sync_pb2.PullChangesRequest)
        peer = await self._auth.site(context)
        report = self._pull_report_due(peer.site_id, request)

        def pull() -> sync_pb2.PullChangesResponse:
            try:
                response = read_pages(self._store, peer.site_id, request)
            except BaseException:
                if report:
                    self._throttle.forget(peer.site_id)
                raise
            if report:  # only for a pull the site may make (read_pages refuses others)
                self._record_pull(peer.site_id, request)
            return response

        try:
            return await asyncio.to_thread(pull)
        except _Refused as exc:
            logger.warning("pull of site %s refused: %s", peer.site_id, exc.message)
            await context.abort(exc.code, exc.message)
        except InvalidInput as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except StoreUnavailable as exc:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        except StoreError as exc:
            await context.abort(grpc.StatusCode.ABORTED, str(exc))
        raise AssertionError("unreachable")  # pragma: no cover  (abort raises)

    async def push_records(
        self,
        request: sync_pb2.PushRecordsRequest | MalformedFrame,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> sync_pb2.PushRecordsResponse:
        await refuse_malformed(context, request)
        assert isinstance(request, sync_pb2.PushRecordsRequest)
        peer = await self._auth.site(context)
        foreign = _foreign_record(request.records, peer.site_id)
        if foreign is not None:
            logger.warning("push of site %s refused: %s", peer.site_id, foreign)
            await context.abort(IDENTITY_REFUSED, f"nothing stored from this batch: {foreign}")

        def push() -> tuple[int, int]:
            done = self._store.ingest.ingest(peer.site_id, request.batch_id, list(request.records))
            self._record_push(peer.site_id, request)
            return done.ingested, done.duplicates

        try:
            ingested, duplicates = await asyncio.to_thread(push)
        except InvalidInput as exc:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, f"nothing stored from this batch: {exc}"
            )
        except StoreUnavailable as exc:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        except StoreError as exc:
            await context.abort(grpc.StatusCode.ABORTED, str(exc))
        return sync_pb2.PushRecordsResponse(
            batch_id=request.batch_id, ingested=ingested, duplicates=duplicates
        )


def _foreign_record(records: Sequence[sync_pb2.UpstreamRecord], site_id: str) -> str | None:
    """What is wrong when a record names another site than the pushing one, else None."""
    for index, record in enumerate(records):
        kind = record.WhichOneof("record")
        if kind == "inventory_adjustment":
            owner = record.inventory_adjustment.site_id
        elif kind in ("sales_transaction", "sales_return"):
            owner = getattr(record, kind).receipt.site_id
        else:
            continue  # no record: ingest refuses it as bad input
        if owner != site_id:
            return (
                f"record {index} ({kind}) belongs to site {owner!r}; site {site_id} may push "
                "only its own records"
            )
    return None
