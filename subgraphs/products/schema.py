"""The products subgraph: the catalogue, owner of `Product` and of the `ProductItem` entity interface.

- `Product` has two keys, `upc` and the compound `sku package`; `_entities` resolves either.
- `ProductItem @key(fields: "id")` is an entity interface implemented by `Book` and
  `Furniture`; reviews extends it as an `@interfaceObject`, so representations arrive here
  with `__typename: "ProductItem"` and the interface's own `resolve_reference` picks the
  concrete type.
- `Product.name` is tagged `@tag(name: "public")`; `Product.costPrice` is `@inaccessible`.
- `Product.stockCount` has been taken over by inventory (`@override(from: "products")`).
"""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from subgraphs import FEDERATION_VERSION
from subgraphs.products.data import (
    PRODUCTS,
    TOP_PRODUCTS,
    ItemRecord,
    ProductRecord,
    find_item,
    find_product,
    find_product_by_sku,
    search,
)

__all__ = ["Book", "Furniture", "Product", "ProductItem", "Query", "schema"]

# The value products still answers for `stockCount` after inventory took the field over
# with @override: a router that wrongly asks products for it gets this impossible count.
OVERRIDDEN_STOCK_COUNT = -1


@strawberry.federation.interface(keys=["id"])
class ProductItem:
    """What a product is, beyond its listing: a book or a piece of furniture."""

    id: strawberry.ID
    title: str
    product_index: strawberry.Private[int]

    @strawberry.field(description="The product this item is sold as.")
    def product(self) -> Product:
        return Product.from_record(PRODUCTS[self.product_index])

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ProductItem | None:
        record = find_item(id)
        return None if record is None else item_from_record(record.item)


@strawberry.federation.type(keys=["id"])
class Book(ProductItem):
    author: str
    pages: int

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ProductItem | None:
        item = ProductItem.resolve_reference(id)
        return item if isinstance(item, Book) else None


@strawberry.federation.type(keys=["id"])
class Furniture(ProductItem):
    material: str
    color: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ProductItem | None:
        item = ProductItem.resolve_reference(id)
        return item if isinstance(item, Furniture) else None


def item_from_record(item: ItemRecord) -> Book | Furniture:
    if item.kind == "book":
        return Book(
            id=strawberry.ID(item.id),
            title=item.title,
            product_index=item.product_index,
            author=item.author,
            pages=item.pages,
        )
    return Furniture(
        id=strawberry.ID(item.id),
        title=item.title,
        product_index=item.product_index,
        material=item.material,
        color=item.color,
    )


@strawberry.federation.type(keys=["upc", "sku package"])
class Product:
    upc: str
    sku: str
    package: str
    name: str = strawberry.federation.field(tags=["public"])
    price: int = strawberry.field(description="Price in cents.")
    weight: int = strawberry.field(description="Shipping weight in grams.")
    stock_count: int
    cost_price: int = strawberry.federation.field(inaccessible=True)
    index: strawberry.Private[int]

    @strawberry.field
    def item(self) -> ProductItem:
        return item_from_record(PRODUCTS[self.index].item)

    @classmethod
    def from_record(cls, record: ProductRecord) -> Product:
        return cls(
            upc=record.upc,
            sku=record.sku,
            package=record.package,
            name=record.name,
            price=record.price,
            weight=record.weight,
            stock_count=OVERRIDDEN_STOCK_COUNT,
            cost_price=record.cost_price,
            index=record.index,
        )

    @classmethod
    def resolve_reference(
        cls,
        upc: str | None = None,
        sku: str | None = None,
        package: str | None = None,
        **_other: Any,
    ) -> Product | None:
        """Resolves a representation by either key: `upc`, or `sku` with `package`."""
        if upc is not None:
            record = find_product(upc)
        elif sku is not None and package is not None:
            record = find_product_by_sku(sku, package)
        else:
            record = None
        return None if record is None else cls.from_record(record)


SearchResult = Annotated[
    Book | Furniture | Product,
    strawberry.union("SearchResult", description="A catalogue search hit."),
]


@strawberry.type
class Query:
    @strawberry.field(description="The `first` best-selling products.")
    def top_products(self, first: int = 5) -> list[Product]:
        return [Product.from_record(r) for r in TOP_PRODUCTS[: max(first, 0)]]

    @strawberry.field
    def product(self, upc: str) -> Product | None:
        return Product.resolve_reference(upc=upc)

    @strawberry.field(
        description=(
            "Products whose UPC or SKU contains `text`, then books and furniture whose "
            "title, author or material does (case-insensitive), at most `first` hits."
        )
    )
    def search(self, text: str, first: int = 20) -> list[SearchResult]:
        return [
            Product.from_record(hit)
            if isinstance(hit, ProductRecord)
            else item_from_record(hit)
            for hit in search(text)[: max(first, 0)]
        ]

    @strawberry.field
    def item(self, id: strawberry.ID) -> ProductItem | None:
        return ProductItem.resolve_reference(id)

    @strawberry.field(
        description="The items of the first `first` products, in UPC order."
    )
    def product_items(self, first: int = 5) -> list[ProductItem]:
        return [item_from_record(p.item) for p in PRODUCTS[: max(first, 0)]]


schema = strawberry.federation.Schema(
    query=Query, types=[Book, Furniture, Product], federation_version=FEDERATION_VERSION
)
