"""Input rules of the cloud: what a provisioning request and a sales channel must look like.

Pure room: no I/O imports, deterministic, safe inside the workflow sandbox (`ZoneInfo(name)`
is allowed there). Workflows, activities and the services share these checks, so a request
is judged by the same rules wherever it arrives. Raises `InvalidInput` naming the field.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.errors import InvalidInput
from shared.naming import validate_channel_id, validate_site_id

__all__ = ["MAX_NAME_LENGTH", "validate_channel", "validate_provision_request"]

MAX_NAME_LENGTH = 200


def validate_provision_request(
    site_id: str, sales_channel_id: str, name: str, timezone: str
) -> None:
    """Check the fields of a provisioning request; raise `InvalidInput` naming the field."""
    validate_site_id(site_id)
    if not sales_channel_id.strip():
        raise InvalidInput("sales_channel_id is empty: every store site declares its sales channel")
    _check_name(name)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            f"timezone {timezone!r} is not an IANA time zone (e.g. 'Europe/Amsterdam')"
        ) from exc


def validate_channel(channel_id: str, name: str) -> None:
    """Check a new sales channel: its id follows the id rules, its name (if any) fits."""
    validate_channel_id(channel_id)
    if name:
        _check_name(name)


def _check_name(name: str) -> None:
    if not name.strip() or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"name must be 1 to {MAX_NAME_LENGTH} characters")
