"""Table checksums: order-independent, incremental, and sensitive to every byte."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared.checksums import TableDigest

rows = st.dictionaries(st.text(min_size=1, max_size=8), st.binary(max_size=16), max_size=20)


@given(rows, st.randoms())
def test_digest_ignores_row_order(table: dict[str, bytes], rnd: object) -> None:
    items = list(table.items())
    shuffled = items[:]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    assert TableDigest.of(items) == TableDigest.of(shuffled)


@given(rows, st.text(min_size=1, max_size=8), st.binary(max_size=16))
def test_adding_then_removing_a_row_is_incremental(
    table: dict[str, bytes], key: str, record: bytes
) -> None:
    table.pop(key, None)
    base = TableDigest.of(table.items())
    grown = base.add(key, record)
    assert grown == TableDigest.of([*table.items(), (key, record)])
    assert grown.remove(key, record) == base


def test_a_changed_record_or_key_changes_the_digest() -> None:
    base = TableDigest.of([("sku-1", b"a"), ("sku-2", b"b")])
    assert TableDigest.of([("sku-1", b"a"), ("sku-2", b"c")]).hex != base.hex
    assert TableDigest.of([("sku-1", b"a"), ("sku-3", b"b")]).hex != base.hex
    assert base.rows == 2 and len(base.hex) == 64
