"""Builders of test values for the cloud store tests."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from cloud.adapters.store import NewCertificate

NOW = datetime(2025, 11, 24, 12, 0, tzinfo=UTC)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_certificate(
    site_id: str = "store-0042", public_key: str = "key-a", not_before: datetime = NOW
) -> NewCertificate:
    return NewCertificate(
        serial=secrets.token_hex(16),
        site_id=site_id,
        pem=f"-----BEGIN CERTIFICATE-----\n{secrets.token_hex(8)}\n-----END CERTIFICATE-----\n",
        public_key_sha256=hashlib.sha256(public_key.encode()).hexdigest(),
        not_before=not_before,
        not_after=not_before + timedelta(days=30),
    )
