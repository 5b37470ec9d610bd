"""Offline policies set by operations per sales channel or per site, and their delivery to the
stores inside the site configuration they already receive.

Service room: validates the names, keeps the override through its port, then queues an
`apply_site_config` command (a new generation built by `SiteConfigs`, with every override in
force in `offline_policies`) for every site it concerns that was sent a configuration; the
agent applies the channel's overrides, then the site's.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import (
    edge_pb2,
    options_pb2,
    realtime_pb2,
)
from cloud.adapters.store.records import SiteRecord
from cloud.ports import ChannelsPort, CommandsPort, SiteCalendarsPort, SitesPort
from cloud.services.site_configs import SiteConfigs
from shared.errors import InvalidInput, NotFound
from shared.realtime import DEFAULT_POLICIES, kind_name, policy_name

__all__ = ["PoliciesPort", "RealtimePolicyService"]

logger = logging.getLogger(__name__)


class PoliciesPort(Protocol):
    def set(
        self, scope: str, scope_id: str, override: realtime_pb2.OfflinePolicyOverride, now: datetime
    ) -> None: ...

    def remove(self, scope: str, scope_id: str, kind: int) -> bool: ...

    def listed(self) -> list[tuple[str, str, realtime_pb2.OfflinePolicyOverride]]: ...

    def overrides_for(
        self, channel_id: str, site_id: str
    ) -> list[realtime_pb2.OfflinePolicyOverride]: ...


def _kind(name: str) -> int:
    for kind in DEFAULT_POLICIES:
        if kind_name(kind) == name:
            return kind
    known = ", ".join(kind_name(k) for k in sorted(DEFAULT_POLICIES))
    raise InvalidInput(f"--kind {name!r} is not an operation kind; use one of {known}")


def _policy(name: str) -> int:
    for value in options_pb2.OfflinePolicy.values():
        if value and policy_name(value) == name:
            return int(value)
    raise InvalidInput(
        f"--policy {name!r}: use refuse, allow-within-limits or queue-and-compensate"
    )


def _configured(site: SiteRecord) -> bool:
    """A site that has been sent a configuration: ready, or provisioning past BuildSiteConfig
    (a change now must reach it, as its provisioning config was built before the change)."""
    return site.status == "ready" or (
        site.status == "provisioning" and bool(site.config_generation)
    )


class RealtimePolicyService:
    """What `commerce-cloud realtime policy` does."""

    def __init__(
        self,
        policies: PoliciesPort,
        sites: SitesPort,
        channels: ChannelsPort,
        commands: CommandsPort,
        calendars: SiteCalendarsPort | None = None,
    ) -> None:
        self._policies = policies
        self._sites = sites
        self._channels = channels
        self._commands = commands
        self._configs = SiteConfigs(sites, channels, policies, calendars)

    def set(
        self,
        scope: str,
        scope_id: str,
        kind: str,
        policy: str,
        per_subject: int = 0,
        per_store_per_day: int = 0,
    ) -> list[str]:
        """Keep the override and send it to the sites it concerns; their ids."""
        override = realtime_pb2.OfflinePolicyOverride(
            kind=_kind(kind),  # type: ignore[arg-type]
            policy=_policy(policy),  # type: ignore[arg-type]
            limits=options_pb2.OfflineLimits(
                per_subject=per_subject, per_store_per_day=per_store_per_day
            ),
        )
        if override.policy == options_pb2.OFFLINE_POLICY_ALLOW_WITHIN_LIMITS and not (
            per_subject > 0 and per_store_per_day > 0
        ):
            raise InvalidInput(
                "allow-within-limits needs --per-subject and --per-day, both positive "
                "(minor units, or points for loyalty)"
            )
        if per_subject < 0 or per_store_per_day < 0:
            raise InvalidInput("--per-subject and --per-day cannot be negative")
        sites = self._sites_of(scope, scope_id)
        self._policies.set(scope, scope_id, override, datetime.now(UTC))
        return self._push(sites)

    def remove(self, scope: str, scope_id: str, kind: str) -> list[str]:
        sites = self._sites_of(scope, scope_id)
        if not self._policies.remove(scope, scope_id, _kind(kind)):
            raise NotFound(f"no {kind} override on {scope} {scope_id}")
        return self._push(sites)

    def listed(self) -> list[tuple[str, str, realtime_pb2.OfflinePolicyOverride]]:
        return self._policies.listed()

    def _sites_of(self, scope: str, scope_id: str) -> list[SiteRecord]:
        if scope == "site":
            site = self._sites.get(scope_id)
            if site is None:
                raise NotFound(f"site {scope_id!r} does not exist; see `commerce-cloud sites list`")
            return [site] if _configured(site) else []
        if scope == "channel":
            if self._channels.get(scope_id) is None:
                raise NotFound(
                    f"sales channel {scope_id!r} does not exist; see `commerce-cloud channels list`"
                )
            return [
                s
                for status in ("ready", "provisioning")
                for s in self._sites.list(status)
                if s.sales_channel_id == scope_id and _configured(s)
            ]
        raise InvalidInput(f"scope {scope!r}: use --channel or --site")

    def _push(self, sites: list[SiteRecord]) -> list[str]:
        for site in sites:
            config = self._configs.build(site.site_id)
            command = edge_pb2.Command(
                command_id=f"site-config/{site.site_id}/{config.generation}",
                apply_site_config=config,
            )
            self._commands.enqueue(
                command.command_id,
                site.site_id,
                "apply_site_config",
                command.SerializeToString(deterministic=True),
                b"",
            )
            logger.info(
                "offline policies sent to %s in config generation %d",
                site.site_id,
                config.generation,
            )
        return [s.site_id for s in sites]
