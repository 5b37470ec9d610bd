"""The one place the cloud builds a store's SiteConfig.

Service room: reads the site, its sales channel and the offline-policy overrides in force
through its ports, and takes a new configuration generation for the site, so every config the
cloud sends (provisioning, policy changes, anything later) carries everything in force and a
newer one always wins on the agent.
"""

from __future__ import annotations

from typing import Protocol

from ameide_core_proto.process.commerce.v1 import realtime_pb2, store_site_pb2
from cloud.ports import ChannelsPort, SiteCalendarsPort, SitesPort
from cloud.workflows.bindings import derive_replication_bindings
from shared.errors import NotFound

__all__ = ["OverridesPort", "SiteConfigs"]


class OverridesPort(Protocol):
    def overrides_for(
        self, channel_id: str, site_id: str
    ) -> list[realtime_pb2.OfflinePolicyOverride]: ...


class SiteConfigs:
    """Builds a site's configuration at a new generation."""

    def __init__(
        self,
        sites: SitesPort,
        channels: ChannelsPort,
        overrides: OverridesPort,
        calendars: SiteCalendarsPort | None = None,
    ) -> None:
        self._sites = sites
        self._channels = channels
        self._overrides = overrides
        self._calendars = calendars

    def build(self, site_id: str) -> store_site_pb2.SiteConfig:
        """The site's configuration with the channel's, then the site's, overrides in force.

        Raises `NotFound` for a site that does not exist; the site adapter's `SiteRevoked`
        for a revoked one."""
        if self._sites.get(site_id) is None:
            raise NotFound(f"site {site_id!r} does not exist; see `commerce-cloud sites list`")
        return self.build_at(site_id, self._sites.next_config_generation(site_id))

    def build_at(self, site_id: str, generation: int) -> store_site_pb2.SiteConfig:
        """The site's configuration as in force now, under a generation the caller took.

        For a change that stores its own part under that generation first (the trading
        calendar), so the config sent carries it and everything else in force."""
        site = self._sites.get(site_id)
        if site is None:
            raise NotFound(f"site {site_id!r} does not exist; see `commerce-cloud sites list`")
        channel = self._channels.get(site.sales_channel_id)
        streams = list(channel.streams) if channel is not None else []
        overrides = self._overrides.overrides_for(site.sales_channel_id, site.site_id)
        config = store_site_pb2.SiteConfig(
            site_id=site.site_id,
            sales_channel_id=site.sales_channel_id,
            name=site.name,
            timezone=site.timezone,
            bindings=derive_replication_bindings(site.site_id, site.sales_channel_id, streams),
            generation=generation,
            offline_policies=overrides,
        )
        calendar = None if self._calendars is None else self._calendars.get(site_id)
        if calendar is not None:
            config.trading_calendar.CopyFrom(calendar.calendar)
        return config
