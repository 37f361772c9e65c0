"""The shared world: the ids and facts every example subgraph agrees on.

Federated subgraphs meet only through keys, so each one must derive the same keys for the
same things: which users and products exist, how an item id maps to its product, and the
few values two subgraphs both serve (a user's username, which reviews keeps a copy of for
``@provides``; a user's address, which users and orders both resolve as ``@shareable``).
Everything here is arithmetic on an index, so every process computes the same answers.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = [
    "NUM_PRODUCTS",
    "NUM_USERS",
    "PACKAGES",
    "AddressRecord",
    "address_of",
    "item_id",
    "item_kind",
    "package",
    "product_index",
    "product_index_by_sku",
    "product_index_of_item",
    "sku",
    "upc",
    "user_id",
    "user_index",
    "username_of",
]

NUM_USERS = 500
NUM_PRODUCTS = 400

# Every SKU is sold in these four packages, so ("SKU-001", "box") names one product:
# the compound key `@key(fields: "sku package")`.
PACKAGES = ("single", "pair", "box", "crate")

_FIRST_NAMES = (
    "ada", "alan", "barbara", "claude", "donald", "edsger", "frances", "grace",
    "hedy", "ivan", "jean", "ken", "leslie", "margaret", "niklaus", "ole",
    "radia", "shafi", "tim", "vint",
)  # fmt: skip
_STREETS = (
    "Main St", "Oak Ave", "Maple Rd", "Cedar Ln", "Elm St", "Pine Ct", "Lake Dr",
    "Hill Rd", "River Way", "Park Pl",
)  # fmt: skip
_CITIES = (
    ("Lisbon", "PT"), ("Oslo", "NO"), ("Lyon", "FR"), ("Leeds", "GB"),
    ("Graz", "AT"), ("Turin", "IT"), ("Ghent", "BE"), ("Malmo", "SE"),
)  # fmt: skip


class AddressRecord(NamedTuple):
    street: str
    city: str
    postal_code: str
    country: str


def user_id(index: int) -> str:
    """The id of user ``index`` (0-based); ids run "1".."NUM_USERS"."""
    return str(index + 1)


def user_index(id_: str) -> int | None:
    """The 0-based index of a user id, or None when no such user exists."""
    if not id_.isdigit():
        return None
    index = int(id_) - 1
    return index if 0 <= index < NUM_USERS else None


def username_of(index: int) -> str:
    """The username of user ``index``: users owns it, reviews keeps a copy."""
    return f"{_FIRST_NAMES[index % len(_FIRST_NAMES)]}{index + 1}"


def address_of(index: int) -> AddressRecord:
    """The address of user ``index``: users and orders both resolve ``User.address``."""
    city, country = _CITIES[(index * 3) % len(_CITIES)]
    return AddressRecord(
        street=f"{(index * 37) % 200 + 1} {_STREETS[(index * 7) % len(_STREETS)]}",
        city=city,
        postal_code=f"{(index * 7919) % 90000 + 10000}",
        country=country,
    )


def upc(index: int) -> str:
    """The UPC of product ``index`` (0-based): "UPC-0001".."UPC-0400"."""
    return f"UPC-{index + 1:04d}"


def product_index(upc_: str) -> int | None:
    """The 0-based index of a UPC, or None when no such product exists."""
    digits = upc_.removeprefix("UPC-")
    if digits == upc_ or not digits.isdigit():
        return None
    index = int(digits) - 1
    return index if 0 <= index < NUM_PRODUCTS else None


def sku(index: int) -> str:
    return f"SKU-{index // len(PACKAGES) + 1:03d}"


def package(index: int) -> str:
    return PACKAGES[index % len(PACKAGES)]


def product_index_by_sku(sku_: str, package_: str) -> int | None:
    """The 0-based index of the product with this (sku, package) key, or None."""
    digits = sku_.removeprefix("SKU-")
    if digits == sku_ or not digits.isdigit() or package_ not in PACKAGES:
        return None
    index = (int(digits) - 1) * len(PACKAGES) + PACKAGES.index(package_)
    return index if 0 <= index < NUM_PRODUCTS else None


def item_kind(index: int) -> str:
    """Three products in five are books, the rest furniture."""
    return "book" if index % 5 < 3 else "furniture"


def item_id(index: int) -> str:
    """The ``ProductItem`` id of product ``index``: "book-1", "furniture-4"..."""
    return f"{item_kind(index)}-{index + 1}"


def product_index_of_item(id_: str) -> int | None:
    """The product index behind a ``ProductItem`` id, or None when it names nothing."""
    kind, _, number = id_.partition("-")
    if not number.isdigit():
        return None
    index = int(number) - 1
    if not 0 <= index < NUM_PRODUCTS or item_kind(index) != kind:
        return None
    return index
