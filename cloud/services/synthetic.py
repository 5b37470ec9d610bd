"""Deterministic synthetic data for demos and benchmarks: catalog items with prices on one
sales channel, plus a few promotions and customers.

Service room: pure generation from its arguments (a seeded `random.Random`); no I/O.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from ameide_core_proto.process.commerce.v1 import records_pb2

__all__ = ["synthetic_changes", "synthetic_counts"]

_ADJECTIVES = ("Classic", "Organic", "Fresh", "Crispy", "Smooth", "Bold", "Light", "Rich")
_NOUNS = ("Coffee", "Bread", "Apples", "Cheese", "Pasta", "Tea", "Juice", "Yoghurt", "Soap")
_DEPARTMENTS = ("grocery", "bakery", "produce", "dairy", "household", "beverages")
_TAX_CLASSES = ("standard", "reduced")
_FIRST = ("Ada", "Bram", "Chloe", "Daan", "Emma", "Finn", "Greta", "Hugo")
_LAST = ("de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer")
_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


def synthetic_counts(items: int) -> tuple[int, int]:
    """How many promotions and customers go with `items` catalog items."""
    return min(50, items // 1000 + 1), min(10_000, items // 100 + 1)


def _ean13(number: int) -> str:
    digits = f"20{number:010d}"[-12:]
    odd = sum(int(d) for d in digits[0::2])
    even = sum(int(d) for d in digits[1::2])
    return digits + str((10 - (odd + 3 * even) % 10) % 10)


def synthetic_changes(items: int, channel_id: str) -> Iterator[records_pb2.Change]:
    """Catalog items and their prices (interleaved), then promotions, then customers.

    The same arguments always give the same changes: ids derive from the item number and
    every other value from a generator seeded by the arguments."""
    rng = random.Random(f"{channel_id}:{items}")
    scope = f"channel/{channel_id}"
    for n in range(1, items + 1):
        sku = f"SKU-{n:07d}"
        yield records_pb2.Change(
            stream="catalog",
            key=sku,
            scope=scope,
            catalog_item=records_pb2.CatalogItem(
                sku=sku,
                barcodes=[_ean13(n)],
                description=f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {n}",
                department=rng.choice(_DEPARTMENTS),
                tax_class=rng.choice(_TAX_CLASSES),
                active=True,
            ),
        )
        price = records_pb2.Price(
            price_id=f"{channel_id}-{sku}",
            sku=sku,
            sales_channel_id=channel_id,
            unit_price=records_pb2.Money(currency="EUR", minor_units=rng.randrange(49, 9999)),
        )
        price.effective_from.FromDatetime(_EPOCH)
        yield records_pb2.Change(stream="prices", key=price.price_id, scope=scope, price=price)
    promotions, customers = synthetic_counts(items)
    for n in range(1, promotions + 1):
        promotion = records_pb2.Promotion(
            promotion_id=f"{channel_id}-promo-{n:03d}",
            sales_channel_id=channel_id,
            description=f"{rng.randrange(5, 40)}% off selected items",
            skus=[f"SKU-{rng.randrange(1, items + 1):07d}" for _ in range(3)] if items else [],
            percent_off_basis_points=rng.randrange(5, 40) * 100,
        )
        promotion.starts_at.FromDatetime(_EPOCH)
        promotion.ends_at.FromDatetime(_EPOCH + timedelta(days=rng.randrange(7, 365)))
        yield records_pb2.Change(
            stream="promotions", key=promotion.promotion_id, scope=scope, promotion=promotion
        )
    for n in range(1, customers + 1):
        customer_id = f"{channel_id}-cust-{n:06d}"
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        yield records_pb2.Change(
            stream="customers",
            key=customer_id,
            scope=scope,
            customer=records_pb2.Customer(
                customer_id=customer_id,
                sales_channel_id=channel_id,
                name=name,
                email=f"customer{n}@example.com",
                loyalty_number=f"L{n:09d}",
            ),
        )
