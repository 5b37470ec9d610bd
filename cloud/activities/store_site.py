"""Activities of ProvisionStoreSite: validation, site rows, bootstrap tokens, readiness.

Activity room: talks to the cloud store and the token minter it is given; raises
`ApplicationError` with a `type` for every business failure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from cloud.activities.facts import append_fact
from cloud.activities.messages import (
    ExpireProvisioning,
    IssueBootstrapToken,
    IssuedBootstrapToken,
    PreparedStoreSite,
    PrepareStoreSite,
    RecordedFact,
    RecordStoreSiteReady,
    UpdateSiteConditions,
)
from cloud.adapters.store.errors import SiteConflict, UnknownChannel
from cloud.adapters.tokens import token_hash
from cloud.compat import CompatibilityPolicy
from cloud.ports import StorePort, TokenSource
from cloud.validation import validate_provision_request
from shared.errors import InvalidInput

logger = logging.getLogger(__name__)


def _fail(kind: str, message: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


class StoreSiteActivities:
    """Side effects of store-site provisioning."""

    def __init__(
        self,
        store: StorePort,
        tokens: TokenSource,
        compatibility: CompatibilityPolicy,
        *,
        token_ttl: timedelta,
        enrollment_timeout: timedelta,
        command_timeout: timedelta,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._tokens = tokens
        self._compat = compatibility
        self._token_ttl = token_ttl
        self._enrollment_timeout = enrollment_timeout
        self._command_timeout = command_timeout
        self._clock = clock

    @activity.defn(name="PrepareStoreSite")
    async def prepare_store_site(self, req: PrepareStoreSite) -> PreparedStoreSite:
        """Validate the request and compatibility, then create the site (or find it)."""
        return await asyncio.to_thread(self._prepare, req)

    def _prepare(self, req: PrepareStoreSite) -> PreparedStoreSite:
        try:
            validate_provision_request(req.site_id, req.sales_channel_id, req.name, req.timezone)
            self._compat.check_agent(req.agent_version)
        except InvalidInput as exc:
            raise _fail("InvalidSiteRequest", str(exc)) from exc
        channel = self._store.channels.get(req.sales_channel_id)
        if channel is None:
            raise _fail(
                "UnknownSalesChannel",
                f"sales channel {req.sales_channel_id!r} does not exist; create it with "
                "`commerce-cloud channels create` or pick one from `commerce-cloud channels list`",
            )
        try:
            site = self._store.sites.create_or_get(
                req.site_id, req.sales_channel_id, req.name, req.timezone, req.agent_version
            )
        except SiteConflict as exc:
            raise _fail("SiteConflict", str(exc)) from exc
        except UnknownChannel as exc:
            raise _fail("UnknownSalesChannel", str(exc)) from exc
        if site.status == "revoked":
            raise _fail(
                "SiteRevoked",
                f"site {req.site_id} was revoked; a revoked site id is not reused, "
                "provision the store under a new site id",
            )
        prepared = PreparedStoreSite(
            site_id=site.site_id,
            channel_streams=list(channel.streams),
            enrollment_timeout_seconds=self._enrollment_timeout.total_seconds(),
            command_timeout_seconds=self._command_timeout.total_seconds(),
        )
        if site.status == "ready" and site.certificate_serial:
            return PreparedStoreSite(
                **{
                    **asdict(prepared),
                    "already_ready": True,
                    "certificate_serial": site.certificate_serial,
                    "config_generation": site.config_generation or 0,
                    "ready_at": site.updated_at,
                }
            )
        self._store.audit.record(
            "workflow:" + req.workflow_id, "site.provisioning", f"site/{req.site_id}", {}
        )
        return prepared

    @activity.defn(name="IssueBootstrapToken")
    async def issue_bootstrap_token(self, req: IssueBootstrapToken) -> IssuedBootstrapToken:
        """Store the hash of a new one-time token (idempotent by token id)."""
        return await asyncio.to_thread(self._issue_token, req)

    def _issue_token(self, req: IssueBootstrapToken) -> IssuedBootstrapToken:
        existing = self._store.tokens.get(req.token_id)
        if existing is None:
            now = self._clock()
            self._store.tokens.revoke_unused_for_site(req.site_id, now)
            plaintext = self._tokens.token(req.site_id, req.token_id)
            existing = self._store.tokens.issue(
                req.token_id,
                req.site_id,
                token_hash(plaintext),
                req.workflow_id,
                now + self._token_ttl,
            )
            self._store.audit.record(
                "workflow:" + req.workflow_id,
                "token.issued",
                f"site/{req.site_id}",
                {"token_id": req.token_id, "expires_at": existing.expires_at.isoformat()},
            )
        return IssuedBootstrapToken(token_id=existing.token_id, expires_at=existing.expires_at)

    @activity.defn(name="UpdateSiteConditions")
    async def update_site_conditions(self, req: UpdateSiteConditions) -> None:
        """Persist the site's status and conditions for `sites show`."""
        conditions = [asdict(c) for c in req.conditions]
        await asyncio.to_thread(
            self._store.sites.set_conditions, req.site_id, req.status, _jsonable(conditions)
        )

    @activity.defn(name="ExpireProvisioning")
    async def expire_provisioning(self, req: ExpireProvisioning) -> None:
        """The agent never enrolled: revoke the token and mark the site timed out."""

        def run() -> None:
            now = self._clock()
            revoked = self._store.tokens.revoke_unused_for_site(req.site_id, now)
            self._store.sites.set_conditions(
                req.site_id, "timed_out", _jsonable([asdict(c) for c in req.conditions])
            )
            self._store.audit.record(
                "workflow",
                "site.provisioning_timed_out",
                f"site/{req.site_id}",
                {"tokens_revoked": revoked},
            )

        await asyncio.to_thread(run)

    @activity.defn(name="RecordStoreSiteReady")
    async def record_store_site_ready(self, req: RecordStoreSiteReady) -> RecordedFact:
        """Append the StoreSiteReady fact (once) and mark the site ready."""

        def run() -> RecordedFact:
            recorded = append_fact(self._store.facts, req.fact)
            self._store.sites.mark_ready(
                req.site_id,
                req.certificate_serial,
                req.config_generation,
                _jsonable([asdict(c) for c in req.conditions]),
            )
            if req.trading_calendar:
                self._keep_provisioned_calendar(req)
            return recorded

        return await asyncio.to_thread(run)

    def _keep_provisioned_calendar(self, req: RecordStoreSiteReady) -> None:
        """Store the calendar the site was provisioned with, unless ops changed it since."""
        calendars = self._store.site_calendars
        site = self._store.sites.get(req.site_id)
        if site is None or calendars.get(req.site_id) is not None:
            return
        calendar = store_site_pb2.TradingCalendar.FromString(req.trading_calendar)
        with contextlib.suppress(InvalidInput):  # a calendar change came first: it stays
            calendars.set(
                req.site_id,
                calendar,
                site.timezone,
                req.config_generation,
                "provisioning",
                self._clock(),
            )


def _jsonable(conditions: list[dict[str, object]]) -> list[dict[str, object]]:
    return [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in c.items()}
        for c in conditions
    ]
