"""Signing and verifying manifests with Ed25519 (shared room, pure: bytes in, bytes out).

`manifest.sig` is canonical JSON: {"format": 1, "signatures": [{"key_id": ..., "signature":
<base64>}, ...]}. Each signature is over b"commerce-bundle-manifest-v1\\n" + the exact bytes of
`manifest.json`, so a signature made for something else never verifies as a manifest's.
A manifest verifies when some signature is by a trusted key and every signature by a trusted
key verifies; signatures by keys the verifier does not know are ignored (a bundle signed with
the old and the new key verifies on agents that trust either).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.bundles._errors import SignatureInvalid, UntrustedPublisher
from shared.bundles._keys import TrustedKeys, key_id
from shared.bundles._manifest import canonical_json

_CONTEXT = b"commerce-bundle-manifest-v1\n"
SIGNATURE_FORMAT = 1


def sign_manifest(manifest_bytes: bytes, keys: Sequence[Ed25519PrivateKey]) -> bytes:
    """The `manifest.sig` bytes: one signature per key, in the order given."""
    if not keys:
        raise ValueError("at least one signing key is needed")
    signatures = [
        {
            "key_id": key_id(k.public_key()),
            "signature": base64.b64encode(k.sign(_CONTEXT + manifest_bytes)).decode(),
        }
        for k in keys
    ]
    return canonical_json({"format": SIGNATURE_FORMAT, "signatures": signatures})


def signer_key_ids(signature_bytes: bytes) -> list[str]:
    """Key ids named in `manifest.sig` (not verified)."""
    return [s["key_id"] for s in _parse(signature_bytes)]


def _parse(signature_bytes: bytes) -> list[dict[str, str]]:
    try:
        obj = json.loads(signature_bytes.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SignatureInvalid(
            f"manifest.sig is not UTF-8 JSON: {exc}; rebuild the bundle"
        ) from exc
    sigs = obj.get("signatures") if isinstance(obj, dict) else None
    if (
        not isinstance(obj, dict)
        or obj.get("format") != SIGNATURE_FORMAT
        or not isinstance(sigs, list)
        or not sigs
        or not all(
            isinstance(s, dict)
            and isinstance(s.get("key_id"), str)
            and isinstance(s.get("signature"), str)
            for s in sigs
        )
    ):
        raise SignatureInvalid(
            "manifest.sig is not a signature list of format 1 "
            '({"format": 1, "signatures": [{"key_id", "signature"}]}); rebuild the bundle'
        )
    return sigs


def verify_manifest(manifest_bytes: bytes, signature_bytes: bytes, trusted: TrustedKeys) -> str:
    """Return the id of the trusted key that signed `manifest_bytes`, or raise.

    `SignatureInvalid`: a signature by a trusted key does not verify (the manifest or the
    signature was altered). `UntrustedPublisher`: no signature is by a trusted key.
    Neither is retryable.
    """
    sigs = _parse(signature_bytes)
    verified: list[str] = []
    for sig in sigs:
        public = trusted.keys.get(sig["key_id"])
        if public is None:
            continue
        try:
            raw = base64.b64decode(sig["signature"], validate=True)
            public.verify(raw, _CONTEXT + manifest_bytes)
        except (binascii.Error, InvalidSignature) as exc:
            raise SignatureInvalid(
                f"the signature by trusted key {sig['key_id']} does not verify: the manifest "
                "or its signature was altered after signing; do not install it, rebuild and "
                "sign the bundle again"
            ) from exc
        verified.append(sig["key_id"])
    if not verified:
        named = ", ".join(s["key_id"] for s in sigs)
        trusted_ids = ", ".join(trusted) or "none"
        raise UntrustedPublisher(
            f"the manifest is signed by key(s) {named}, none of which is trusted "
            f"(trusted: {trusted_ids}); sign it with a trusted publisher key or add the "
            "publisher's public key to the trusted keys"
        )
    return verified[0]
