"""The activity that builds a site's configuration for a workflow to send.

Activity room: asks the site-config service (cloud store reads and a new generation) and
returns the SiteConfig; an unknown or revoked site is a non-retryable failure.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from temporalio import activity
from temporalio.exceptions import ApplicationError

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from cloud.adapters.store.errors import SiteRevoked
from cloud.services.site_configs import SiteConfigs
from shared.errors import NotFound

__all__ = ["BuildSiteConfig", "SiteConfigActivities"]


@dataclass(frozen=True)
class BuildSiteConfig:
    site_id: str


class SiteConfigActivities:
    """Side effect of configuring a store: a new generation of its configuration."""

    def __init__(self, configs: SiteConfigs) -> None:
        self._configs = configs

    @activity.defn(name="BuildSiteConfig")
    async def build_site_config(self, req: BuildSiteConfig) -> store_site_pb2.SiteConfig:
        """The site's configuration with every override in force, at a new generation."""
        try:
            return await asyncio.to_thread(self._configs.build, req.site_id)
        except (NotFound, SiteRevoked) as exc:
            raise ApplicationError(
                str(exc), type="SiteConfigUnavailable", non_retryable=True
            ) from exc
