"""`preview_entity_cache` in Redis: two router processes share the entries, and an
invalidation sent to either empties them for both.

Each test gets a key namespace of its own (`redis_prefix`, tests/conftest.py: skipped
without Redis, failed under CI).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from cache_harness import REDIS_URL, Router, start_router
from entity_harness import (
    SubgraphProxy,
    entity_cache_config,
    invalidate,
    invalidation_url,
)

STOCK = "query Stock($n: Int!) { topProducts(first: $n) { upc name inStock } }"


@pytest.fixture
def proxies(example_urls: dict[str, str]) -> Iterator[dict[str, SubgraphProxy]]:
    made = {name: SubgraphProxy(url) for name, url in example_urls.items()}
    yield made
    for proxy in made.values():
        proxy.stop()


def redis_config(namespace: str) -> str:
    return (
        "      redis:\n"
        f"        urls: [{REDIS_URL}]\n"
        f"        namespace: {namespace}\n"
        "        required_to_start: true\n"
    )


def answer(router: Router, n: int) -> object:
    body = router.post({"query": STOCK, "variables": {"n": n}}).json()
    assert "errors" not in body, body
    return body["data"]


def test_two_routers_share_entities_and_invalidations_through_redis(
    proxies: dict[str, SubgraphProxy], redis_prefix: str, tmp_path: Path
) -> None:
    namespace = redis_prefix.rstrip(":")
    config = entity_cache_config(redis=redis_config(namespace))
    urls = {name: proxy.url for name, proxy in proxies.items()}
    routers: list[Router] = []
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        routers.append(start_router(tmp_path / name, urls, config))
    try:
        first, second = routers
        inventory, products = proxies["inventory"], proxies["products"]
        cold = answer(first, 4)
        assert inventory.representations() == [4]
        assert answer(second, 4) == cold
        assert inventory.representations() == [4]  # the second router read Redis
        assert len(products.requests) == 1

        client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
        try:
            keys = list(client.scan_iter(match=f"{namespace}:entity:*"))
            assert len(keys) == 5  # four Product entities and one root fetch
            assert all(0 < client.pttl(key) <= 60_000 for key in keys)
        finally:
            client.close()

        by_type = {"kind": "type", "subgraph": "inventory", "type": "Product"}
        assert invalidate(invalidation_url(second), [by_type]).json() == {"count": 4}
        assert answer(first, 4) == cold
        assert inventory.representations() == [4, 4]
        assert len(products.requests) == 1
    finally:
        for router in routers:
            router.stop()
