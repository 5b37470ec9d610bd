"""The custom search attributes of commerce workflows: one definition for the typed keys the
services set and the registration the embedded dev server (or an operator) performs.

Temporal room: pure declarations over `temporalio.common`; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from temporalio.common import SearchAttributeKey

__all__ = ["SALES_CHANNEL_ID", "SEARCH_ATTRIBUTES", "SITE_ID"]

SITE_ID = SearchAttributeKey.for_keyword("SiteId")
"""The store site a workflow is about."""
SALES_CHANNEL_ID = SearchAttributeKey.for_keyword("SalesChannelId")
"""The sales channel of that site."""

SEARCH_ATTRIBUTES: Mapping[str, str] = MappingProxyType(
    {key.name: "Keyword" for key in (SITE_ID, SALES_CHANNEL_ID)}
)
"""Name -> Temporal index type, as `temporal operator search-attribute create` takes them."""
