"""Errors of version bundles (shared room: both the cloud and the agent raise and read them).

    CommerceError
    └── BundleError                 retryable: whether doing the same again can help
        ├── ManifestInvalid         the manifest is malformed (InvalidInput too)   never
        ├── SignatureInvalid        a trusted key's signature does not verify      never
        ├── UntrustedPublisher      no signature by a trusted publisher key        never
        ├── PayloadHashMismatch     a payload's bytes are not what was signed      never
        ├── UnsafeArchiveEntry      traversal, absolute path, link, device         never
        ├── ArchiveTooLarge         over a size or entry-count limit               never
        ├── ArchiveCorrupt          not a readable archive, or files missing       never
        └── BundleIOError           reading or writing the disk failed             yes

`retryable` is a class attribute so the one place that maps bundle errors to retries (the
installer on the agent, the publish activity in the cloud) reads it instead of guessing.
"""

from __future__ import annotations

from shared.errors import CommerceError, InvalidInput


class BundleError(CommerceError):
    """A bundle cannot be built, verified or extracted."""

    retryable: bool = False


class ManifestInvalid(BundleError, InvalidInput):
    """The manifest does not follow the bundle manifest format."""


class SignatureInvalid(BundleError):
    """A signature made with a trusted key's id does not verify: the manifest was altered."""


class UntrustedPublisher(BundleError):
    """The manifest carries no signature by any trusted publisher key."""


class PayloadHashMismatch(BundleError):
    """A payload's SHA-256 or size differs from the signed manifest: it was altered."""


class UnsafeArchiveEntry(BundleError):
    """An archive entry would write outside the bundle or is not a plain file or directory."""


class ArchiveTooLarge(BundleError):
    """The archive is over the size limit (compressed, unpacked, or number of entries)."""


class ArchiveCorrupt(BundleError):
    """The file is not a readable bundle archive, or lacks the files the manifest names."""


class BundleIOError(BundleError):
    """The disk could not be read or written; the same step may succeed later."""

    retryable = True
