"""Builds the real-time side: the ledger the gateway decides with (embedded providers, or an
external gift card provider), and the ops service (cases, signals to compensation workflows).

Composition room: the one place that builds the real-time adapters.
"""

from __future__ import annotations

from cloud.adapters.giftcard_http import HttpGiftCardProvider
from cloud.adapters.store import CloudStore
from cloud.adapters.store.realtime import RealtimeLedger
from cloud.adapters.temporal_realtime import TemporalCompensations
from cloud.composition.assembly import OpsServices
from cloud.config import CloudConfig
from cloud.services.realtime import CompensationSignals, RealtimeOpsService
from cloud.services.realtime_policies import RealtimePolicyService


def realtime_ops(ops: OpsServices, actor: str) -> RealtimeOpsService:
    async def signals() -> CompensationSignals:
        return TemporalCompensations(await ops.temporal())

    return RealtimeOpsService(ops.store.realtime_cases, signals, actor=actor)


def realtime_ledger(config: CloudConfig, store: CloudStore) -> RealtimeLedger:
    """The ledger the gateway decides with: embedded providers, the gift card family over
    HTTP when `gift_card_provider_url` is set."""
    if not config.gift_card_provider_url:
        return store.realtime
    provider = HttpGiftCardProvider(
        config.gift_card_provider_url,
        token=config.gift_card_provider_token,
        timeout_seconds=config.gift_card_provider_timeout_seconds,
    )
    return store.realtime.with_providers({"gift_card": provider})


def realtime_policies(ops: OpsServices) -> RealtimePolicyService:
    store = ops.store
    return RealtimePolicyService(
        store.realtime_policies, store.sites, store.channels, store.commands, store.site_calendars
    )
