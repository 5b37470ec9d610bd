"""The facts store staff and `status` see: identity, cloud endpoint, connection, config.

Reads the identity files and the projection read-only; writes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge_agent.identity.certificates import CertificateFacts, load_certificate
from edge_agent.identity.files import IdentityPaths, load_record
from edge_agent.projection import DatabaseError, Projection
from shared.errors import CommerceError

logger = logging.getLogger(__name__)


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

    @property
    def healthy(self) -> bool:
        return self.enrolled and self.problem is None and self.connection_state == "connected"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["healthy"] = self.healthy
        return data


def gather_status(data_dir: Path, now: datetime | None = None) -> StatusReport:
    """Read what is on disk now; never raises for a half-set-up box, it says so instead."""
    now = now or datetime.now(UTC)
    paths = IdentityPaths.under(data_dir)
    problem: str | None = None
    site_id = serial = not_after = endpoint = enrolled_at = None
    days_left: float | None = None
    enrolled = False
    try:
        record = load_record(paths)
        if record is None:
            problem = "not enrolled: run `commerce-edge enroll`"
        else:
            enrolled = True
            site_id = record.site_id
            endpoint = record.control_target()
            enrolled_at = record.enrolled_at
            facts = CertificateFacts.of(
                load_certificate(paths.certificate.read_bytes(), str(paths.certificate))
            )
            serial = facts.serial_hex
            not_after = facts.not_after.isoformat()
            days_left = round(facts.days_left(now), 1)
            if days_left <= 0:
                problem = "certificate expired: the agent cannot reach the cloud; re-enroll"
    except (CommerceError, OSError) as exc:
        problem = str(exc)

    state, since, contact, error, generation = "never-connected", None, None, None, 0
    try:
        projection = Projection.open_read_only(data_dir)
        if projection is not None:
            try:
                conn = projection.connection_state()
            finally:
                projection.close()
            state, since, contact = conn.state, conn.since, conn.last_contact_at
            error, generation = conn.last_error, conn.config_generation
    except (CommerceError, OSError, DatabaseError) as exc:  # a locked or damaged file: say so
        logger.warning("could not read the local state database: %s", exc)
        problem = problem or f"local state database unreadable: {exc}"

    return StatusReport(
        enrolled=enrolled,
        site_id=site_id,
        certificate_serial=serial,
        certificate_not_after=not_after,
        certificate_days_left=days_left,
        cloud_endpoint=endpoint,
        enrolled_at=enrolled_at,
        connection_state=state,
        connection_since=since,
        last_contact_at=contact,
        last_error=error,
        config_generation=generation,
        problem=problem,
    )
