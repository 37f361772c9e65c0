"""The entity cache's keys: an entry is found by its entity's `@key` values, whatever
else the representation carries, and a private id is the request's claim or header,
hashed."""

from __future__ import annotations

import pytest

from planner.supergraph.load import load_supergraph
from router.cache.entity_cache import EntityCache
from router.cache.entity_keys import EntityKeys
from router.config import parse_config
from router.plugins.context import RequestContext
from tests.server.server_harness import REPO


@pytest.fixture(scope="module")
def cache() -> EntityCache:
    config = parse_config(
        "preview_entity_cache:\n  enabled: true\n  subgraph:\n"
        "    all: { ttl: 1m, private_id: sub }\n"
        "    subgraphs: { users: { private_id_header: x-user } }\n"
    )
    supergraph = load_supergraph((REPO / "supergraph.graphql").read_text("utf-8"))
    return EntityCache(config.preview_entity_cache, supergraph)


def test_entity_is_known_by_the_key_its_representation_matches(
    cache: EntityCache,
) -> None:
    keys: EntityKeys = cache.keys
    by_upc = keys.key_hash({"upc": "UPC-1"})
    # inventory's representation carries @requires fields besides the key.
    with_requires = {"__typename": "Product", "upc": "UPC-1", "price": 5, "weight": 2}
    assert keys.entity_hash("inventory", "Product", with_requires) == by_upc
    # products has two keys: each representation matches one.
    assert (
        keys.entity_hash(
            "products", "Product", {"__typename": "Product", "upc": "UPC-1"}
        )
        == by_upc
    )
    by_sku = {"__typename": "Product", "sku": "S", "package": "P"}
    assert keys.entity_hash("products", "Product", by_sku) == keys.key_hash(
        {"package": "P", "sku": "S"}
    )


def test_private_id_is_the_claim_or_header_hashed(cache: EntityCache) -> None:
    alice = RequestContext("POST", "/", {"x-user": "alice"}, jwt_claims={"sub": "a"})
    scope = cache.scope(alice)
    products, users = cache.settings("products"), cache.settings("users")
    assert products is not None and users is not None
    from_claim = scope.private_id("products", products)
    from_header = scope.private_id("users", users)
    assert from_claim is not None and from_header is not None
    assert len(from_claim) == 32 and from_claim != from_header
    assert (
        cache.scope(RequestContext("POST", "/", {})).private_id("products", products)
        is None
    )
    bob = RequestContext("POST", "/", {}, jwt_claims={"sub": "b"})
    assert cache.scope(bob).private_id("products", products) != from_claim
