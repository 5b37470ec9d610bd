"""Store sites as ops see them: show, list, revoke (with its fact, atomically), tokens.

Service room: works through the store ports and the enrollment issuer it is given;
synchronous (call from a thread in async code).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from ameide_core_proto.process.commerce.v1 import facts_pb2, store_site_pb2
from cloud.adapters.store.records import NewFact, SiteRecord, SiteRelease
from cloud.ports import (
    SiteCalendarsPort,
    SiteHealthPort,
    SiteReleasesPort,
    SitesPort,
    TokensPort,
)
from cloud.services.enrollment import Enrollment, EnrollmentIssuer
from cloud.site_health import SiteHealthReport
from shared.errors import NotFound
from shared.naming import validate_site_id
from shared.timestamps import to_timestamp

__all__ = ["SiteService", "revocation_fact"]


def revocation_fact(site_id: str, reason: str, at: datetime) -> NewFact:
    """The StoreSiteRevoked fact of a revocation at `at` (one per site: revoked ids stay so)."""
    fact = facts_pb2.ProcessFact(
        fact_id=f"site/{site_id}/revoked",
        type="StoreSiteRevoked",
        subject=f"site/{site_id}",
        occurred_at=to_timestamp(at),
        store_site_revoked=facts_pb2.StoreSiteRevoked(site_id=site_id, reason=reason),
    )
    return NewFact(
        fact_id=fact.fact_id,
        fact_type=fact.type,
        subject=fact.subject,
        occurred_at=at,
        workflow_id="",
        run_id="",
        payload=fact.SerializeToString(deterministic=True),
    )


class SiteService:
    """Reads and revokes sites; reveals the enrollment line of a site's usable token."""

    def __init__(
        self,
        sites: SitesPort,
        tokens: TokensPort,
        enrollments: EnrollmentIssuer,
        *,
        releases: SiteReleasesPort | None = None,
        calendars: SiteCalendarsPort | None = None,
        health: SiteHealthPort | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._sites = sites
        self._tokens = tokens
        self._enrollments = enrollments
        self._releases = releases
        self._calendars = calendars
        self._health = health
        self._clock = clock

    def get(self, site_id: str) -> SiteRecord:
        """The site, or `NotFound` saying how to list the existing ones."""
        validate_site_id(site_id)
        record = self._sites.get(site_id)
        if record is None:
            raise NotFound(f"site {site_id} does not exist; see `commerce-cloud sites list`")
        return record

    def list(self, status: str | None = None) -> list[SiteRecord]:
        return self._sites.list(status)

    def release(self, site_id: str) -> SiteRelease | None:
        """What the site's agent last said it runs (None: it never reported a release)."""
        return None if self._releases is None else self._releases.get(site_id)

    def health(self, site_id: str) -> SiteHealthReport | None:
        """The health the site's agent last reported (None: it never reported health)."""
        return None if self._health is None else self._health.get(site_id)

    def trading_calendar(self, site_id: str) -> store_site_pb2.TradingCalendar | None:
        """The site's trading calendar (None: it has none)."""
        stored = None if self._calendars is None else self._calendars.get(site_id)
        return None if stored is None else stored.calendar

    def releases(self) -> dict[str, SiteRelease]:
        """The reported release state of every site that reported one, by site id."""
        return {} if self._releases is None else self._releases.all()

    def revoke(self, site_id: str, reason: str, actor: str) -> SiteRecord:
        """Revoke a site: its certificates stop working at the gateway at once.

        The revocation, its audit row and its StoreSiteRevoked fact commit together.
        """
        self.get(site_id)
        at = self._clock()
        return self._sites.revoke(
            site_id, reason, actor, fact=revocation_fact(site_id, reason, at), at=at
        )

    def enrollment(self, site_id: str, token_id: str, expires_at: datetime) -> Enrollment:
        """The enrollment line of a token the provisioning workflow issued."""
        return self._enrollments.enrollment(site_id, token_id, expires_at)

    def current_enrollment(self, site_id: str) -> Enrollment:
        """The enrollment line for the site's newest usable token."""
        self.get(site_id)
        token = self._tokens.latest_usable_for_site(site_id, self._clock())
        if token is None:
            raise NotFound(
                f"site {site_id} has no usable bootstrap token (used, expired or revoked); "
                "run `commerce-cloud sites provision` again to issue one"
            )
        return self._enrollments.enrollment(site_id, token.token_id, token.expires_at)
