"""The products subgraph's data: NUM_PRODUCTS products, each with one book or furniture item.

Generated once at import from a seeded `random.Random`, so every process holds the same
catalogue.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from subgraphs._world import (
    NUM_PRODUCTS,
    item_id,
    item_kind,
    package,
    product_index,
    product_index_by_sku,
    product_index_of_item,
    sku,
    upc,
)

__all__ = [
    "PRODUCTS",
    "TOP_PRODUCTS",
    "ItemRecord",
    "ProductRecord",
    "find_item",
    "find_product",
    "find_product_by_sku",
    "search",
]

_ADJECTIVES = (
    "Silent", "Crimson", "Hidden", "Golden", "Distant", "Broken", "Quiet", "Endless",
    "Winter", "Paper", "Iron", "Glass",
)  # fmt: skip
_NOUNS = (
    "Harbor", "Garden", "Engine", "Lantern", "Orchard", "Compiler", "Bridge", "River",
    "Archive", "Tower", "Atlas",
)  # fmt: skip
_AUTHORS = (
    "Ursula Vance", "Tomas Erling", "Mira Okafor", "Jonas Pell", "Ines Duarte",
    "Kenji Mori", "Leah Strand", "Omar Haddad", "Sofia Brandt",
)  # fmt: skip
_MATERIALS = ("Oak", "Walnut", "Birch", "Steel", "Rattan", "Teak", "Bamboo")
_PIECES = ("Chair", "Table", "Bookcase", "Desk", "Stool", "Bench", "Wardrobe")
_COLORS = ("natural", "black", "white", "green", "grey")

# How many units a package holds; prices and weights scale with it.
_UNITS = {"single": 1, "pair": 2, "box": 6, "crate": 24}


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """What a product is: a book (author, pages) or furniture (material, color)."""

    id: str
    kind: str
    product_index: int
    title: str
    author: str = ""
    pages: int = 0
    material: str = ""
    color: str = ""


@dataclass(frozen=True, slots=True)
class ProductRecord:
    index: int
    upc: str
    sku: str
    package: str
    name: str
    price: int  # cents
    weight: int  # grams
    cost_price: int  # cents, @inaccessible
    popularity: int
    item: ItemRecord


def _generate() -> tuple[ProductRecord, ...]:
    rng = random.Random(4002)
    products = []
    for index in range(NUM_PRODUCTS):
        units = _UNITS[package(index)]
        if item_kind(index) == "book":
            item = ItemRecord(
                id=item_id(index),
                kind="book",
                product_index=index,
                title=f"The {rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)}",
                author=rng.choice(_AUTHORS),
                pages=rng.randrange(120, 900),
            )
            unit_price, unit_weight = rng.randrange(499, 4999), rng.randrange(150, 1200)
        else:
            material = rng.choice(_MATERIALS)
            item = ItemRecord(
                id=item_id(index),
                kind="furniture",
                product_index=index,
                title=f"{material} {rng.choice(_PIECES)}",
                material=material,
                color=rng.choice(_COLORS),
            )
            unit_price = rng.randrange(4999, 149999)
            unit_weight = rng.randrange(2000, 60000)
        price = unit_price * units
        products.append(
            ProductRecord(
                index=index,
                upc=upc(index),
                sku=sku(index),
                package=package(index),
                name=f"{item.title} ({package(index)})",
                price=price,
                weight=unit_weight * units,
                cost_price=price * 60 // 100,
                popularity=rng.randrange(1_000_000),
                item=item,
            )
        )
    return tuple(products)


PRODUCTS = _generate()

# Best sellers first; ties (there are none with this seed, but still) by UPC.
TOP_PRODUCTS = tuple(sorted(PRODUCTS, key=lambda p: (-p.popularity, p.upc)))


def find_product(upc_: str) -> ProductRecord | None:
    index = product_index(upc_)
    return None if index is None else PRODUCTS[index]


def find_product_by_sku(sku_: str, package_: str) -> ProductRecord | None:
    index = product_index_by_sku(sku_, package_)
    return None if index is None else PRODUCTS[index]


def find_item(id_: str) -> ProductRecord | None:
    """The product whose item has this id."""
    index = product_index_of_item(id_)
    return None if index is None else PRODUCTS[index]


def search(text: str) -> list[ProductRecord | ItemRecord]:
    """Products whose UPC or SKU contains `text`, then items whose words do, in order."""
    needle = text.casefold()
    if not needle:
        return []
    by_code: list[ProductRecord | ItemRecord] = [
        p for p in PRODUCTS if needle in p.upc.casefold() or needle in p.sku.casefold()
    ]
    by_words: list[ProductRecord | ItemRecord] = [
        p.item
        for p in PRODUCTS
        if any(
            needle in word.casefold()
            for word in (p.item.title, p.item.author, p.item.material)
        )
    ]
    return by_code + by_words
