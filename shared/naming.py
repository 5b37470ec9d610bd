"""Naming rules of ids (site ids, sales channel ids): pure checks, no I/O.

Shared room: imports only the standard library and the shared error tree, so workflow code,
activities, services and the agent can all use it.
"""

from __future__ import annotations

import re

from shared.errors import InvalidInput, InvalidSiteId

_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_RULE = (
    "use 3 to 63 lowercase letters, digits and single '-', "
    "starting and ending with a letter or digit"
)


def _valid(value: object) -> bool:
    return isinstance(value, str) and bool(_ID.fullmatch(value)) and "--" not in value


def validate_site_id(site_id: str) -> str:
    """Return `site_id` when it is valid, else raise `InvalidSiteId` saying why."""
    if not _valid(site_id):
        raise InvalidSiteId(f"invalid site id {repr(site_id)[:80]}: {_RULE} (e.g. 'store-0042')")
    return site_id


def validate_channel_id(channel_id: str) -> str:
    """Return `channel_id` when it is valid, else raise `InvalidInput` saying why."""
    if not _valid(channel_id):
        raise InvalidInput(
            f"invalid sales channel id {repr(channel_id)[:80]}: {_RULE} (e.g. 'web-eu')"
        )
    return channel_id
