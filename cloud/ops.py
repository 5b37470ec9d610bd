"""Operations behind the ops CLI: channels, site provisioning, revocation, tokens, facts.

Service room: combines the cloud store, the token minter and the Temporal client; the CLI
only parses flags and prints what these return.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp
from temporalio.client import Client, WorkflowHandle
from temporalio.common import (
    SearchAttributeKey,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from ameide_core_proto.process.commerce.v1 import facts_pb2, store_site_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    PROVISION_STORE_SITE,
    ProvisionStoreSiteHandle,
    StoreSiteWorkflowServiceClient,
)
from cloud.activities.store_site import validate_provision_request
from cloud.adapters.pki import FileCertificateAuthority
from cloud.adapters.store import ChannelRecord, CloudStore, SiteRecord
from cloud.adapters.tokens import TokenMinter
from cloud.compat import MinimumAgentVersion
from cloud.config import CloudConfig
from shared.errors import InvalidInput, NotFound
from shared.identity import validate_site_id

logger = logging.getLogger(__name__)

SITE_ID_KEY = SearchAttributeKey.for_keyword("SiteId")
CHANNEL_ID_KEY = SearchAttributeKey.for_keyword("SalesChannelId")
Step = store_site_pb2.ProvisionStep


@dataclass(frozen=True)
class Enrollment:
    """What an installer needs to enroll a store server."""

    site_id: str
    token: str
    expires_at: datetime
    ca_fingerprint: str
    cloud_address: str

    @property
    def arguments(self) -> list[str]:
        """`commerce-edge` arguments that enroll the store server."""
        return [
            "enroll",
            "--cloud",
            self.cloud_address,
            "--token",
            self.token,
            "--ca-fingerprint",
            self.ca_fingerprint,
        ]

    @property
    def command(self) -> str:
        """The command line an installer runs on the store server."""
        return " ".join(["commerce-edge", *self.arguments])


class Ops:
    """One ops session against the cloud store (and Temporal when a call needs it)."""

    def __init__(self, config: CloudConfig, store: CloudStore) -> None:
        self.config = config
        self.store = store
        self._minter: TokenMinter | None = None

    @property
    def minter(self) -> TokenMinter:
        if self._minter is None:
            self._minter = TokenMinter.open_or_create(self.config.pki_dir)
        return self._minter

    def cloud_address(self) -> str:
        host = (
            self.config.gateway_public_names[0] if self.config.gateway_public_names else "localhost"
        )
        return f"{host}:{self.config.discovery_port}"

    # Channels

    def create_channel(self, channel_id: str, name: str, streams: Sequence[str]) -> ChannelRecord:
        try:
            validate_site_id(channel_id)
        except InvalidInput as exc:
            raise InvalidInput(str(exc).replace("site id", "sales channel id")) from exc
        record = self.store.channels.create(channel_id, name or channel_id, list(streams))
        self.store.audit.record("ops", "channel.created", f"channel/{channel_id}", {"name": name})
        return record

    # Sites

    def site(self, site_id: str) -> SiteRecord:
        validate_site_id(site_id)
        record = self.store.sites.get(site_id)
        if record is None:
            raise NotFound(f"site {site_id} does not exist; see `commerce-cloud sites list`")
        return record

    def revoke_site(self, site_id: str, reason: str, actor: str) -> SiteRecord:
        """Revoke a site: its certificates stop working at the gateway at once."""
        self.site(site_id)
        record = self.store.sites.revoke(site_id, reason, actor)
        now = datetime.now(UTC)
        occurred = Timestamp()
        occurred.FromDatetime(now)
        fact = facts_pb2.ProcessFact(
            fact_id=f"site/{site_id}/revoked",
            type="StoreSiteRevoked",
            subject=f"site/{site_id}",
            occurred_at=occurred,
            store_site_revoked=facts_pb2.StoreSiteRevoked(site_id=site_id, reason=reason),
        )
        self.store.facts.append(
            fact.fact_id, fact.type, fact.subject, now, "", "", fact.SerializeToString()
        )
        return record

    def enrollment(self, site_id: str, token_id: str, expires_at: datetime) -> Enrollment:
        ca = FileCertificateAuthority.open_or_create(self.config.pki_dir)
        return Enrollment(
            site_id=site_id,
            token=self.minter.token(site_id, token_id),
            expires_at=expires_at,
            ca_fingerprint=ca.ca_fingerprint(),
            cloud_address=self.cloud_address(),
        )

    def current_enrollment(self, site_id: str) -> Enrollment:
        """The enrollment line for the site's newest usable token."""
        self.site(site_id)
        token = self.store.tokens.latest_usable_for_site(site_id, datetime.now(UTC))
        if token is None:
            raise NotFound(
                f"site {site_id} has no usable bootstrap token (used, expired or revoked); "
                "run `commerce-cloud sites provision` again to issue one"
            )
        return self.enrollment(site_id, token.token_id, token.expires_at)

    # Provisioning

    def check_request(self, request: store_site_pb2.ProvisionStoreSiteInput) -> None:
        """Refuse bad input before anything starts, with the same rules the workflow applies."""
        validate_provision_request(
            request.site_id, request.sales_channel_id, request.name, request.timezone
        )
        MinimumAgentVersion(self.config.min_agent_version).check_agent(request.agent_version)
        if self.store.channels.get(request.sales_channel_id) is None:
            raise NotFound(
                f"sales channel {request.sales_channel_id!r} does not exist; create it with "
                "`commerce-cloud channels create` first"
            )

    async def start_provisioning(
        self, client: Client, request: store_site_pb2.ProvisionStoreSiteInput
    ) -> ProvisionStoreSiteHandle:
        """Start ProvisionStoreSite, or attach to the run already going for this site."""
        await asyncio.to_thread(self.check_request, request)
        sites = StoreSiteWorkflowServiceClient(client)
        handle = await sites.start_provision_store_site(
            request,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            memo={"input": json_format.MessageToDict(request, preserving_proto_field_name=True)},
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(SITE_ID_KEY, request.site_id),
                    SearchAttributePair(CHANNEL_ID_KEY, request.sales_channel_id),
                ]
            ),
        )
        # The memo holds the input a run started with; reading it needs no workflow task.
        described = await handle.raw.describe()
        started_with = store_site_pb2.ProvisionStoreSiteInput()
        json_format.ParseDict(await described.memo_value("input", default={}), started_with)
        if started_with != request:
            raise InvalidInput(
                f"site {request.site_id} is already being provisioned with other inputs "
                f"(channel {started_with.sales_channel_id}, name {started_with.name!r}, "
                f"timezone {started_with.timezone}, agent {started_with.agent_version}); "
                "wait for it to finish or use the same values"
            )
        return handle

    async def wait_for_step(
        self,
        handle: ProvisionStoreSiteHandle,
        done: Callable[[store_site_pb2.ProvisionStoreSiteStatus], bool],
        on_status: Callable[[store_site_pb2.ProvisionStoreSiteStatus], None] | None = None,
        interval: float = 0.2,
        max_interval: float = 2.0,
    ) -> store_site_pb2.ProvisionStoreSiteStatus:
        """Poll the status query until `done` says so (or the workflow ends), backing off."""
        result_task: asyncio.Task[object] = asyncio.create_task(handle.result())
        try:
            while True:
                status = await handle.get_provision_status()
                if on_status is not None:
                    on_status(status)
                if done(status) or result_task.done():
                    return status
                await asyncio.wait({result_task}, timeout=interval)
                interval = min(interval * 1.5, max_interval)
        finally:
            if not result_task.done():
                result_task.cancel()
            elif not result_task.cancelled():
                # The caller reads the outcome from handle.result(); mark this one seen.
                result_task.exception()


def provision_handle(client: Client, site_id: str) -> WorkflowHandle[object, object]:
    """The raw handle of a site's provisioning workflow (for the Web UI link and describe)."""
    return client.get_workflow_handle(PROVISION_STORE_SITE.id_template.format(site_id=site_id))
