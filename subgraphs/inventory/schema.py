"""The inventory subgraph: stock and shipping for products.

- `Product.shippingEstimate` is `@requires(fields: "price weight")`: the router fetches
  `price` and `weight` from products and passes them in the representation, where they
  are `@external` here; the estimate is computed from those values alone.
- `Product.stockCount` is `@override(from: "products")`: inventory now owns it, though
  products still declares the field.
- `Product.restockDate` is slow on purpose (`SUBGRAPHS_SLOW_FIELD_MS`, default 400 ms):
  it stands for a call to a supplier's system, the field a client `@defer`s.
- This subgraph has no root fields of its own: it is reached only through `_entities`.
"""

from __future__ import annotations

import asyncio
from typing import Any

import strawberry
from graphql import GraphQLError

from subgraphs import FEDERATION_VERSION
from subgraphs.inventory.data import (
    SLOW_FIELD_MS,
    restock_date,
    shipping_estimate,
    stock_count,
)

__all__ = ["Product", "schema"]


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    # None when the representation did not carry the field (no @requires path).
    price: int | None = strawberry.federation.field(
        external=True, graphql_type=int, default=None
    )
    weight: int | None = strawberry.federation.field(
        external=True, graphql_type=int, default=None
    )
    stock_count: int = strawberry.federation.field(override="products")

    @strawberry.field
    def in_stock(self) -> bool:
        return self.stock_count > 0

    @strawberry.federation.field(
        requires=["price weight"],
        description="Shipping cost in cents, from the product's price and weight.",
    )
    def shipping_estimate(self) -> int | None:
        if self.price is None or self.weight is None:
            raise GraphQLError(
                "shippingEstimate needs price and weight in the representation"
            )
        return shipping_estimate(self.price, self.weight)

    @strawberry.field(
        description="When more units are expected (ISO date) for a sold-out product. "
        "Slow: asks the supplier's system."
    )
    async def restock_date(self) -> str | None:
        if SLOW_FIELD_MS:
            await asyncio.sleep(SLOW_FIELD_MS / 1000)
        return restock_date(self.upc)

    @classmethod
    def resolve_reference(
        cls,
        upc: str,
        price: int | None = None,
        weight: int | None = None,
        **_other: Any,
    ) -> Product | None:
        count = stock_count(upc)
        if count is None:
            return None
        return cls(upc=upc, price=price, weight=weight, stock_count=count)


schema = strawberry.federation.Schema(
    types=[Product], federation_version=FEDERATION_VERSION
)
