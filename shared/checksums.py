"""Checksums of replicated tables, computed the same way by the cloud and the store.

Shared room, pure: hashes bytes, touches nothing. A table's checksum is its row count and
the sum, modulo 2**256, of SHA-256 over each live row (`key`, NUL, the record serialized
deterministically). A sum does not depend on row order, so SQLite and PostgreSQL may return
rows in their own collation order, and one row's change updates it without a rescan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

_MODULUS = 1 << 256


def row_hash(key: str, record: bytes) -> int:
    """The contribution of one live row (its key and its deterministic serialization)."""
    return int.from_bytes(hashlib.sha256(key.encode() + b"\0" + record).digest(), "big")


@dataclass(frozen=True)
class TableDigest:
    """Row count and order-independent digest of one table (one stream's live rows)."""

    rows: int = 0
    total: int = 0

    def add(self, key: str, record: bytes) -> TableDigest:
        return TableDigest(self.rows + 1, (self.total + row_hash(key, record)) % _MODULUS)

    def remove(self, key: str, record: bytes) -> TableDigest:
        return TableDigest(self.rows - 1, (self.total - row_hash(key, record)) % _MODULUS)

    @property
    def hex(self) -> str:
        return f"{self.total:064x}"

    @classmethod
    def of(cls, rows: Iterable[tuple[str, bytes]]) -> TableDigest:
        count = 0
        total = 0
        for key, record in rows:
            count += 1
            total += row_hash(key, record)
        return cls(count, total % _MODULUS)
