"""The benchmark subgraphs' resolver behaviour, as the public benchmark's README states it.

Shared by the fast server (`bench.gateway.subgraphs`) and the straightforward
graphql-core implementation it is checked against (`bench.gateway.reference`). Objects
are dicts carrying their `__typename`; a field without a resolver reads the dict.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

INPUTS = Path(__file__).resolve().parent / "inputs"
SUBGRAPHS = ("accounts", "inventory", "products", "reviews")

_DATA = json.loads((INPUTS / "data.json").read_text())


def _typed(typename: str, row: dict[str, Any]) -> dict[str, Any]:
    return {"__typename": typename, **row}


USERS = [_typed("User", row) for row in _DATA["users"]]
PRODUCTS = [_typed("Product", row) for row in _DATA["products"]]
INVENTORY = [_typed("Product", row) for row in _DATA["inventory"]]
REVIEWS = [
    {
        "__typename": "Review",
        "id": r["id"],
        "body": r["body"],
        "upc": r["product"]["upc"],
    }
    for r in _DATA["reviews"]
]

Resolver = Callable[[dict[str, Any], dict[str, Any]], Any]
EntityResolver = Callable[[dict[str, Any]], Any]


def _find(rows: list[dict[str, Any]], key: str, value: Any) -> dict[str, Any] | None:
    return next((row for row in rows if row[key] == value), None)


# (type, field) -> resolver(parent, args); fields not listed read parent[field].
FIELD_RESOLVERS: dict[str, dict[tuple[str, str], Resolver]] = {
    "accounts": {
        ("Query", "me"): lambda _p, _a: USERS[0],
        ("Query", "user"): lambda _p, a: _find(USERS, "id", a.get("id")),
        ("Query", "users"): lambda _p, _a: USERS,
    },
    "products": {
        ("Query", "topProducts"): lambda _p, a: PRODUCTS[: a.get("first", 5)],
    },
    "inventory": {
        # price and weight are not taken from the representation: always null.
        ("Product", "shippingEstimate"): lambda _p, _a: None,
    },
    "reviews": {
        ("Review", "product"): lambda p, _a: {"__typename": "Product", "upc": p["upc"]},
        ("Review", "author"): lambda _p, _a: {
            "__typename": "User",
            "id": "1",
            "username": "urigo",
        },
        ("User", "reviews"): lambda _p, _a: REVIEWS[:2],
        ("Product", "reviews"): lambda p, _a: [
            r for r in REVIEWS if r["upc"] == p["upc"]
        ],
    },
}

# (subgraph, __typename) -> representation -> entity (or None).
ENTITY_RESOLVERS: dict[str, dict[str, EntityResolver]] = {
    "accounts": {"User": lambda rep: _find(USERS, "id", rep.get("id"))},
    "products": {"Product": lambda rep: _find(PRODUCTS, "upc", rep.get("upc"))},
    "inventory": {"Product": lambda rep: _find(INVENTORY, "upc", rep.get("upc"))},
    "reviews": {
        "Review": lambda rep: _find(REVIEWS, "id", rep.get("id")),
        "User": lambda rep: {
            "__typename": "User",
            "id": rep.get("id"),
            "username": "user",
        },
        "Product": lambda rep: {"__typename": "Product", "upc": rep.get("upc")},
    },
}


def resolve_entity(subgraph: str, representation: Any) -> Any:
    if not isinstance(representation, dict):
        return None
    resolver = ENTITY_RESOLVERS[subgraph].get(str(representation.get("__typename")))
    return None if resolver is None else resolver(representation)
