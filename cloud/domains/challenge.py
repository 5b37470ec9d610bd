"""The TXT challenge of a claim: where it lives and the value bound to tenant and claim.

Domain room: pure (hmac/hashlib). The cloud secret comes from the caller.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

CHALLENGE_LABEL = "_ameide-challenge"
VALUE_PREFIX = "ameide-verify="


def challenge_name(hostname: str) -> str:
    """The TXT record name that proves control of `hostname`."""
    return f"{CHALLENGE_LABEL}.{hostname}"


def challenge_value(secret: bytes, tenant_id: str, claim_id: str, hostname: str) -> str:
    """The TXT value for this tenant's claim: an HMAC a different tenant or claim cannot reuse."""
    if len(secret) < 16:
        raise ValueError("the challenge secret must be at least 16 bytes")
    message = "\n".join((tenant_id, claim_id, hostname)).encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:20]
    return VALUE_PREFIX + base64.b32encode(digest).decode().lower().rstrip("=")
