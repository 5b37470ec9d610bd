"""Test support: build downsync pages the way the cloud sends them (real protobuf, real zlib)."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from ameide_core_proto.process.commerce.v1 import records_pb2, sync_pb2


def item(sku: str, *barcodes: str, description: str = "") -> records_pb2.CatalogItem:
    return records_pb2.CatalogItem(
        sku=sku,
        barcodes=list(barcodes),
        description=description or f"item {sku}",
        department="grocery",
        tax_class="standard",
        active=True,
    )


def price(
    price_id: str,
    sku: str,
    minor_units: int,
    *,
    channel: str = "web-eu",
    from_seconds: int = 1_700_000_000,
    until_seconds: int | None = None,
) -> records_pb2.Price:
    p = records_pb2.Price(
        price_id=price_id,
        sku=sku,
        sales_channel_id=channel,
        unit_price=records_pb2.Money(currency="EUR", minor_units=minor_units),
    )
    p.effective_from.FromSeconds(from_seconds)
    if until_seconds is not None:
        p.effective_until.FromSeconds(until_seconds)
    return p


_FIELD = {
    records_pb2.CatalogItem: ("catalog", "catalog_item"),
    records_pb2.Price: ("prices", "price"),
    records_pb2.Promotion: ("promotions", "promotion"),
    records_pb2.Customer: ("customers", "customer"),
    records_pb2.StoreConfiguration: ("store-config", "store_configuration"),
}

Entry = records_pb2.CatalogItem | records_pb2.Price | records_pb2.Promotion | records_pb2.Customer
KEY = {
    "catalog": "sku",
    "prices": "price_id",
    "promotions": "promotion_id",
    "customers": "customer_id",
    "store-config": "site_id",
}


def changes(
    records: Sequence[object | tuple[str, str]], first_seq: int
) -> list[records_pb2.Change]:
    """One change per record (a `(stream, key)` tuple is a delete), seqs from `first_seq`."""
    out = []
    for offset, record in enumerate(records):
        seq = first_seq + offset
        if isinstance(record, tuple):
            stream, key = record
            out.append(records_pb2.Change(stream=stream, seq=seq, key=key, deleted=True))
            continue
        stream, field = _FIELD[type(record)]
        change = records_pb2.Change(stream=stream, seq=seq, key=getattr(record, KEY[stream]))
        getattr(change, field).CopyFrom(record)  # type: ignore[attr-defined]
        out.append(change)
    return out


def page(
    stream: str,
    after_seq: int,
    entries: Sequence[records_pb2.Change],
    *,
    compress: bool = True,
    snapshot: bool = False,
    snapshot_complete: bool = False,
    through_seq: int | None = None,
) -> sync_pb2.ChangePage:
    payload = records_pb2.ChangeList(changes=entries).SerializeToString()
    through = (
        through_seq if through_seq is not None else (entries[-1].seq if entries else after_seq)
    )
    return sync_pb2.ChangePage(
        stream=stream,
        after_seq=after_seq,
        through_seq=through,
        head_seq=through,
        change_count=len(entries),
        encoding=sync_pb2.PAGE_ENCODING_ZLIB if compress else sync_pb2.PAGE_ENCODING_PLAIN,
        payload=zlib.compress(payload, 1) if compress else payload,
        snapshot=snapshot,
        snapshot_complete=snapshot_complete,
    )
