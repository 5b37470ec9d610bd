"""The error tree shared by the cloud and the edge agent.

    CommerceError                 every error we raise on purpose
    ├── InvalidInput              the caller sent something malformed (say what and how to fix)
    │   └── InvalidSiteId
    ├── ConfigError               a configuration key is missing or wrong (names the key)
    ├── IdentityError             certificates, keys, tokens and fingerprints
    │   ├── TrustError            the cloud's CA does not match the pinned fingerprint
    │   └── EnrollmentRefused     the cloud refused the bootstrap token or CSR
    └── NotFound                  a named object does not exist

Messages say what was wrong and what to do about it; callers print them as they are.
"""

from __future__ import annotations


class CommerceError(Exception):
    """Base of every error this project raises on purpose."""


class InvalidInput(CommerceError):
    """The caller sent something malformed."""


class InvalidSiteId(InvalidInput):
    """A site id does not follow the site id rules."""


class ConfigError(CommerceError):
    """A configuration key is missing or has a wrong value."""


class IdentityError(CommerceError):
    """Something is wrong with a key, certificate, token or fingerprint."""


class TrustError(IdentityError):
    """The cloud presented a CA that does not match the pinned fingerprint."""


class EnrollmentRefused(IdentityError):
    """The cloud refused an enrollment."""


class NotFound(CommerceError):
    """A named object does not exist."""
