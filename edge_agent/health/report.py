"""The facts store staff and `status` see: identity, cloud endpoint, connection, config,
and replication (per stream: applied seq, rows; the outbox depth).

`build_report` is pure; `gather_status` reads the identity files and the projection read-only
(blocking: for the `status` CLI, never for an event loop); writes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.identity.certificates import CertificateFacts, load_certificate
from edge_agent.identity.current import SiteIdentity
from edge_agent.identity.files import EnrollmentRecord, IdentityPaths, load_record
from edge_agent.installer import ReleaseLayout, installed_bundles
from edge_agent.outbox import RefusedRecord, read_outbox_pending, read_outbox_refused
from edge_agent.projection import (
    ConnectionState,
    StreamState,
    read_connection_state,
    read_start_rebuild,
    read_stream_states,
)
from edge_agent.realtime.journal import read_journal
from edge_agent.realtime.status import RealtimeStatus, build_realtime_status
from shared.errors import CommerceError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamSummary:
    """Where one downsync stream stands in the local projection."""

    stream: str
    applied_seq: int
    head_seq: int
    rows: int
    checksum: str
    snapshot_in_progress: bool
    applied_at: str | None

    @classmethod
    def of(cls, state: StreamState) -> StreamSummary:
        return cls(
            stream=state.stream,
            applied_seq=state.applied_seq,
            head_seq=state.head_seq,
            rows=state.rows,
            checksum=state.digest.hex,
            snapshot_in_progress=state.snapshot_through_seq is not None,
            applied_at=state.applied_at,
        )


@dataclass(frozen=True)
class StatusReport:
    """One snapshot of the agent, shaped for people (tables, HTML) and scripts (JSON)."""

    enrolled: bool
    site_id: str | None
    certificate_serial: str | None
    certificate_not_after: str | None
    certificate_days_left: float | None
    cloud_endpoint: str | None
    enrolled_at: str | None
    connection_state: str
    connection_since: str | None
    last_contact_at: str | None
    last_error: str | None
    config_generation: int
    problem: str | None
    streams: tuple[StreamSummary, ...] = ()
    # Records recorded at the registers and not yet acknowledged by the cloud; None: no outbox.
    outbox_pending: int | None = None
    # Real-time operations: who decides now per kind, offline exposure, open compensations.
    realtime: RealtimeStatus | None = None
    # The release bundle the agent runs ("base": the Debian package's build), the last one
    # that passed its health gate, and what the last install did.
    current_bundle: str = "base"
    last_known_good: str = ""
    last_install: str = ""
    # Records never to be sent (too large to push), each "<stream>/<id>: why"; oldest 20.
    outbox_refused: tuple[str, ...] = ()
    # The last start that found the projection file missing or damaged and rebuilt it.
    projection_rebuilt: str = ""

    @property
    def healthy(self) -> bool:
        return self.enrolled and self.problem is None and self.connection_state == "connected"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["healthy"] = self.healthy
        return data


@dataclass(frozen=True)
class IdentitySummary:
    """What the report says about the site identity: the record and the certificate held."""

    record: EnrollmentRecord
    certificate: CertificateFacts

    @classmethod
    def of(cls, identity: SiteIdentity) -> IdentitySummary:
        return cls(identity.record, identity.certificate)


def build_report(
    identity: IdentitySummary | None,
    connection: ConnectionState | None,
    *,
    problem: str | None = None,
    now: datetime | None = None,
    streams: list[StreamState] | None = None,
    outbox_pending: int | None = None,
    realtime: RealtimeStatus | None = None,
    installed: edge_pb2.InstalledBundles | None = None,
    outbox_refused: list[RefusedRecord] | None = None,
    projection_rebuilt: str = "",
) -> StatusReport:
    """The report for what is known; `problem` names what stops the agent from working."""
    now = now or datetime.now(UTC)
    days_left: float | None = None
    if identity is not None:
        days_left = round(identity.certificate.days_left(now), 1)
        if days_left <= 0:
            problem = problem or "certificate expired: the agent cannot reach the cloud; re-enroll"
    elif problem is None:
        problem = "not enrolled: run `commerce-edge enroll`"
    state = connection or ConnectionState("never-connected", None, None, None, 0)
    return StatusReport(
        enrolled=identity is not None,
        site_id=identity.record.site_id if identity else None,
        certificate_serial=identity.certificate.serial_hex if identity else None,
        certificate_not_after=identity.certificate.not_after.isoformat() if identity else None,
        certificate_days_left=days_left,
        cloud_endpoint=identity.record.control_target() if identity else None,
        enrolled_at=identity.record.enrolled_at if identity else None,
        connection_state=state.state,
        connection_since=state.since,
        last_contact_at=state.last_contact_at,
        last_error=state.last_error,
        config_generation=state.config_generation,
        problem=problem,
        streams=tuple(StreamSummary.of(s) for s in streams or ()),
        outbox_pending=outbox_pending,
        realtime=realtime,
        **_release_fields(installed),
        outbox_refused=tuple(r.reason for r in outbox_refused or ()),
        projection_rebuilt=projection_rebuilt,
    )


def _release_fields(installed: edge_pb2.InstalledBundles | None) -> dict[str, str]:
    if installed is None:
        return {}
    last = ""
    if installed.HasField("last_install"):
        report = installed.last_install
        outcome = edge_pb2.BundleInstallOutcome.Name(report.outcome)
        outcome = outcome.removeprefix("BUNDLE_INSTALL_OUTCOME_").lower().replace("_", " ")
        last = f"{report.bundle_id}: {outcome}"
        if report.failed_step:
            last += f" at {report.failed_step}: {report.message}"
    return {
        "current_bundle": installed.current_bundle or "base",
        "last_known_good": installed.last_known_good,
        "last_install": last,
    }


def gather_status(data_dir: Path, now: datetime | None = None) -> StatusReport:
    """Read what is on disk now; never raises for a half-set-up box, it says so instead."""
    paths = IdentityPaths.under(data_dir)
    problem: str | None = None
    identity: IdentitySummary | None = None
    try:
        record = load_record(paths)
        if record is not None:
            facts = CertificateFacts.of(
                load_certificate(paths.certificate.read_bytes(), str(paths.certificate))
            )
            identity = IdentitySummary(record, facts)
    except (CommerceError, OSError) as exc:
        problem = str(exc)

    connection: ConnectionState | None = None
    streams: list[StreamState] = []
    outbox_pending: int | None = None
    realtime: RealtimeStatus | None = None
    outbox_refused: list[RefusedRecord] = []
    try:
        connection = read_connection_state(data_dir)
        streams = read_stream_states(data_dir)
        outbox_pending = read_outbox_pending(data_dir)
        journal = read_journal(data_dir, (now or datetime.now(UTC)).date().isoformat())
        if journal is not None:
            connected = connection is not None and connection.state == "connected"
            realtime = build_realtime_status(journal[0], journal[1], connected)
        outbox_refused = read_outbox_refused(data_dir)
    except CommerceError as exc:  # a locked or damaged file: say so
        logger.warning("could not read the local state database: %s", exc)
        problem = problem or f"local state database unreadable: {exc}"
    installed: edge_pb2.InstalledBundles | None = None
    try:
        installed = installed_bundles(ReleaseLayout(data_dir))
    except (OSError, ValueError) as exc:
        problem = problem or f"release records unreadable: {exc}"
    return build_report(
        identity,
        connection,
        problem=problem,
        now=now,
        streams=streams,
        outbox_pending=outbox_pending,
        realtime=realtime,
        installed=installed,
        outbox_refused=outbox_refused,
        projection_rebuilt=_rebuild_note(data_dir),
    )


def _rebuild_note(data_dir: Path) -> str:
    rebuilt = read_start_rebuild(data_dir)
    return rebuilt.describe() if rebuilt is not None else ""
