"""Signed version bundles: manifest format, Ed25519 publisher keys, safe archives (shared room).

Used by the cloud (`commerce-cloud bundles`, publishing, rollouts) and the agent (the
installer). Imports only the standard library, `cryptography` and the shared error tree;
touches only the files it is asked to read or write.

    build_bundle(spec, [key], out)            -> Manifest       (signed, reproducible archive)
    open_bundle(path, trusted, limits)        -> VerifiedBundle (signature + every hash checked)
    VerifiedBundle.extract(dest)              -> dest           (whole or not at all)
"""

from __future__ import annotations

from shared.bundles._archive import (
    ArchiveLimits,
    BundleSpec,
    StepSource,
    VerifiedBundle,
    build_bundle,
    build_manifest,
    open_bundle,
)
from shared.bundles._errors import (
    ArchiveCorrupt,
    ArchiveTooLarge,
    BundleError,
    BundleIOError,
    ManifestInvalid,
    PayloadHashMismatch,
    SignatureInvalid,
    UnsafeArchiveEntry,
    UntrustedPublisher,
)
from shared.bundles._keys import (
    KeyFileInvalid,
    TrustedKeys,
    generate_key_pair,
    key_id,
    load_public_key_pem,
    load_signing_key,
    public_key_pem,
)
from shared.bundles._manifest import (
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    PAYLOAD_DIR,
    SIGNATURE_NAME,
    STEP_KINDS,
    Manifest,
    PayloadFile,
    Step,
    manifest_from_json,
    parse_manifest,
    validate_bundle_id,
    validate_version,
)
from shared.bundles._signing import sign_manifest, signer_key_ids, verify_manifest

__all__ = [
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "PAYLOAD_DIR",
    "SIGNATURE_NAME",
    "STEP_KINDS",
    "ArchiveCorrupt",
    "ArchiveLimits",
    "ArchiveTooLarge",
    "BundleError",
    "BundleIOError",
    "BundleSpec",
    "KeyFileInvalid",
    "Manifest",
    "ManifestInvalid",
    "PayloadFile",
    "PayloadHashMismatch",
    "SignatureInvalid",
    "Step",
    "StepSource",
    "TrustedKeys",
    "UnsafeArchiveEntry",
    "UntrustedPublisher",
    "VerifiedBundle",
    "build_bundle",
    "build_manifest",
    "generate_key_pair",
    "key_id",
    "load_public_key_pem",
    "load_signing_key",
    "manifest_from_json",
    "open_bundle",
    "parse_manifest",
    "public_key_pem",
    "sign_manifest",
    "signer_key_ids",
    "validate_bundle_id",
    "validate_version",
    "verify_manifest",
]
