"""Errors the cloud store raises, grafted onto the shared tree (shared/errors.py).

    CommerceError
    ├── StoreError                 the store failed or refused a write
    │   ├── StoreUnavailable       the database cannot be reached or stays locked
    │   ├── SiteRevoked            the site is revoked; nothing more may happen to it
    │   └── CertificateConflict    a serial is already stored for another certificate
    ├── InvalidInput
    │   ├── ChannelConflict        channel id exists with other values
    │   ├── SiteConflict           site id exists with other values (`.fields` names them)
    │   └── CommandConflict        command id exists for another site or kind
    ├── IdentityError
    │   └── TokenRejected          bootstrap token refused (`.reason` is a TokenRejection)
    └── NotFound
        ├── UnknownChannel
        └── UnknownSite

Adapter room: plain exception classes, no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from enum import StrEnum

from shared.errors import CommerceError, IdentityError, InvalidInput, NotFound

logger = logging.getLogger(__name__)


class StoreError(CommerceError):
    """The cloud store failed or refused a write."""


class StoreUnavailable(StoreError):
    """The database could not be reached, or stayed locked past the busy timeout."""


class SiteRevoked(StoreError):
    """The site is revoked; it takes no new certificates, commands or status changes."""

    def __init__(self, site_id: str) -> None:
        super().__init__(
            f"site {site_id} is revoked; provision it again under a new site id "
            "to bring the store back"
        )
        self.site_id = site_id


class CertificateConflict(StoreError):
    """A certificate serial is already stored with other contents."""


class ChannelConflict(InvalidInput):
    """A sales channel id already exists with other values."""


class SiteConflict(InvalidInput):
    """A site id already exists with other values."""

    def __init__(self, message: str, fields: Sequence[str]) -> None:
        super().__init__(message)
        self.fields = tuple(fields)


class CommandConflict(InvalidInput):
    """A command id is already queued for another site or kind."""


class UnknownChannel(NotFound):
    """The named sales channel does not exist."""


class UnknownSite(NotFound):
    """The named site does not exist."""

    def __init__(self, site_id: str) -> None:
        super().__init__(
            f"site {site_id!r} does not exist; list sites with `commerce-cloud sites list` "
            "or provision it with `commerce-cloud sites provision`"
        )
        self.site_id = site_id


class TokenRejection(StrEnum):
    """Why a bootstrap token was refused."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED_BY_OTHER_KEY = "used_by_other_key"
    WRONG_SITE = "wrong_site"


class TokenRejected(IdentityError):
    """A bootstrap token cannot enroll this key; `.reason` says why."""

    def __init__(self, reason: TokenRejection, message: str) -> None:
        super().__init__(message)
        self.reason = reason
