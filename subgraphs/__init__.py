"""Example federation subgraphs, built with strawberry's federation support.

Five subgraphs (users, products, reviews, inventory, orders) that together exercise the
Apollo Federation 2 features the router supports; each runs alone with
``python -m subgraphs.<name> [--host H] [--port P]`` and commits the SDL it serves in
``subgraphs/<name>/schema.graphql`` (rewrite them with ``python -m subgraphs.export``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from strawberry.federation import Schema

__all__ = ["FEDERATION_VERSION", "SUBGRAPHS", "load_schema", "schema_path"]

# The federation spec every subgraph links: the oldest that has every directive they use
# (@interfaceObject arrived in 2.3), which keeps the composed supergraph on join v0.3.
FEDERATION_VERSION = "2.3"

# name → default port; the router listens on 4000.
SUBGRAPHS: dict[str, int] = {
    "users": 4001,
    "products": 4002,
    "reviews": 4003,
    "inventory": 4004,
    "orders": 4005,
}


def load_schema(name: str) -> Schema:
    """The strawberry schema of subgraph `name` (imports its module on first use)."""
    if name not in SUBGRAPHS:
        raise KeyError(f"unknown subgraph {name!r}; known: {', '.join(SUBGRAPHS)}")
    schema: Schema = importlib.import_module(f"subgraphs.{name}.schema").schema
    return schema


def schema_path(name: str) -> Path:
    """Where subgraph `name`'s committed SDL lives."""
    return Path(__file__).parent / name / "schema.graphql"
