"""The custom search attributes of commerce workflows: one definition for the typed keys the
services set and the registration the embedded dev server (or an operator) performs.

Temporal room: pure declarations over `temporalio.common`; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from temporalio.common import SearchAttributeKey

__all__ = ["BUNDLE_ID", "ROLLOUT_RING", "SALES_CHANNEL_ID", "SEARCH_ATTRIBUTES", "SITE_ID"]

SITE_ID = SearchAttributeKey.for_keyword("SiteId")
"""The store site a workflow is about."""
SALES_CHANNEL_ID = SearchAttributeKey.for_keyword("SalesChannelId")
"""The sales channel of that site."""
BUNDLE_ID = SearchAttributeKey.for_keyword("BundleId")
"""The version bundle a rollout installs."""
ROLLOUT_RING = SearchAttributeKey.for_keyword("RolloutRing")
"""The ring of sites a rollout goes through."""

SEARCH_ATTRIBUTES: Mapping[str, str] = MappingProxyType(
    {key.name: "Keyword" for key in (SITE_ID, SALES_CHANNEL_ID, BUNDLE_ID, ROLLOUT_RING)}
)
"""Name -> Temporal index type, as `temporal operator search-attribute create` takes them."""
