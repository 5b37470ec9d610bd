"""Builders of changes for the change log and ingest tests."""

from __future__ import annotations

from ameide_core_proto.process.commerce.v1 import records_pb2, sync_pb2

CHANNEL = "channel/retail-eu"


def item(sku: str, description: str = "thing", scope: str = CHANNEL) -> records_pb2.Change:
    return records_pb2.Change(
        stream="catalog",
        key=sku,
        scope=scope,
        catalog_item=records_pb2.CatalogItem(
            sku=sku, description=description, barcodes=[f"87{sku[-6:]:0>6}"], active=True
        ),
    )


def price(price_id: str, sku: str, minor: int, scope: str = CHANNEL) -> records_pb2.Change:
    return records_pb2.Change(
        stream="prices",
        key=price_id,
        scope=scope,
        price=records_pb2.Price(
            price_id=price_id,
            sku=sku,
            sales_channel_id=scope.split("/", 1)[1],
            unit_price=records_pb2.Money(currency="EUR", minor_units=minor),
        ),
    )


def deletion(stream: str, key: str, scope: str = CHANNEL) -> records_pb2.Change:
    return records_pb2.Change(stream=stream, key=key, scope=scope, deleted=True)


def receipt(
    site: str, register: str = "r1", day: str = "2026-11-25", number: str = "1"
) -> records_pb2.ReceiptRef:
    return records_pb2.ReceiptRef(
        site_id=site, register_id=register, business_day=day, receipt_number=number
    )


def sale(
    key: str, site: str = "store-0042", register: str = "r1", total: int = 1000
) -> sync_pb2.UpstreamRecord:
    return sync_pb2.UpstreamRecord(
        idempotency_key=key,
        sales_transaction=records_pb2.SalesTransaction(
            transaction_id=key,
            receipt=receipt(site, register, number=key),
            total=records_pb2.Money(currency="EUR", minor_units=total),
        ),
    )


def sales_return(
    key: str, site: str = "store-0042", register: str = "r1", total: int = -400
) -> sync_pb2.UpstreamRecord:
    return sync_pb2.UpstreamRecord(
        idempotency_key=key,
        sales_return=records_pb2.SalesReturn(
            return_id=key,
            receipt=receipt(site, register, number=key),
            total=records_pb2.Money(currency="EUR", minor_units=total),
        ),
    )


def adjustment(key: str, site: str = "store-0042") -> sync_pb2.UpstreamRecord:
    return sync_pb2.UpstreamRecord(
        idempotency_key=key,
        inventory_adjustment=records_pb2.InventoryAdjustment(
            adjustment_id=key, site_id=site, sku="sku-1", quantity_delta=-2, reason="damage"
        ),
    )
