"""The inventory subgraph's data: stock counts per product, and the shipping rule.

Stock is drawn once at import from a seeded `random.Random`; the shipping estimate is a
pure function of the price and weight the router passes in the representation.
"""

from __future__ import annotations

import os
import random

from subgraphs._world import NUM_PRODUCTS, product_index

__all__ = [
    "FREE_SHIPPING_FROM",
    "SLOW_FIELD_MS",
    "restock_date",
    "shipping_estimate",
    "stock_count",
]

# Orders priced at this many cents or more ship free.
FREE_SHIPPING_FROM = 100_000


def _generate() -> tuple[int, ...]:
    rng = random.Random(4004)
    # About one product in five is sold out.
    return tuple(
        0 if rng.random() < 0.2 else rng.randrange(1, 250) for _ in range(NUM_PRODUCTS)
    )


_STOCK = _generate()


def stock_count(upc: str) -> int | None:
    """Units in the warehouse, or None for an unknown UPC."""
    index = product_index(upc)
    return None if index is None else _STOCK[index]


# How long `restockDate` takes (the supplier system it stands for is slow), so the
# router's @defer has something to defer in the demo. `SUBGRAPHS_SLOW_FIELD_MS`
# overrides it; the tests set 0.
SLOW_FIELD_MS = int(os.environ.get("SUBGRAPHS_SLOW_FIELD_MS", "400"))


def restock_date(upc: str) -> str | None:
    """When more units are expected (ISO date), for a sold-out product; None otherwise
    and for an unknown UPC."""
    index = product_index(upc)
    if index is None or _STOCK[index]:
        return None
    return f"2027-{1 + index % 12:02d}-{1 + index % 28:02d}"


def shipping_estimate(price: int, weight: int) -> int:
    """Shipping in cents: free from FREE_SHIPPING_FROM, else 2.99 plus 1 cent per 10 g."""
    if price >= FREE_SHIPPING_FROM:
        return 0
    return 299 + weight // 10
