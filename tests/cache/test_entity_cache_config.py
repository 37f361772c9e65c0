"""`preview_entity_cache` in router.yaml: `all` merged under each subgraph, and the
mistakes refused at load naming their dotted key; `Cache-Control` as read from
subgraphs and as computed for the client."""

from __future__ import annotations

import pytest

from router.cache.cache_control import (
    CacheControl,
    ClientCacheControl,
    parse_cache_control,
)
from router.config import ConfigError, parse_config


def test_subgraph_settings_take_all_field_by_field() -> None:
    config = parse_config(
        "preview_entity_cache:\n"
        "  enabled: true\n"
        "  subgraph:\n"
        "    all: { ttl: 60s, private_id: sub, types: { User: { ttl: 5s } } }\n"
        "    subgraphs:\n"
        "      products: { ttl: 2m, types: { Product: { ttl: 10s } } }\n"
        "      users: { enabled: false }\n"
    ).preview_entity_cache
    products = config.for_subgraph("products")
    assert (products.enabled, products.ttl, products.private_id) == (True, 120, "sub")
    assert products.type_ttls == {"User": 5, "Product": 10}
    assert config.for_subgraph("reviews").ttl == 60
    assert config.for_subgraph("users").enabled is False


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("  enabled: true\n", "preview_entity_cache.subgraph.all.ttl: required"),
        (
            "  enabled: true\n  subgraph:\n    all: { ttl: 0s }\n",
            "preview_entity_cache.subgraph.all.ttl: must be longer than 0s",
        ),
        (
            "  enabled: true\n  subgraph:\n    all:\n      ttl: 1s\n"
            "      invalidation: { enabled: true, shared_key: k }\n",
            "preview_entity_cache.subgraph.all.invalidation: enabled without "
            "preview_entity_cache.invalidation.listen",
        ),
        (
            "  enabled: true\n  invalidation: { listen: 127.0.0.1:0 }\n"
            "  subgraph:\n    all:\n      ttl: 1s\n"
            "      invalidation: { enabled: true }\n",
            "preview_entity_cache.subgraph.all.invalidation.shared_key: must not be "
            "empty",
        ),
        (
            "  enabled: true\n  invalidation: { listen: 127.0.0.1:4000, path: /graphql }"
            "\n  subgraph:\n    all: { ttl: 1s }\n",
            "preview_entity_cache.invalidation.path: must differ from supergraph.path",
        ),
        (
            "  invalidation: { listen: nowhere }\n",
            "preview_entity_cache.invalidation.listen: 'nowhere': expected host:port",
        ),
        (
            "  subgraph:\n    subgraphs:\n      products: { tll: 1s }\n",
            "preview_entity_cache.subgraph.subgraphs.products.tll: unknown key",
        ),
    ],
)
def test_bad_entity_cache_config_names_the_key(section: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config("preview_entity_cache:\n" + section)
    assert f"router.yaml: {message}" in str(raised.value)


def test_redis_ttl_is_the_fallback_ttl_as_in_apollo_router() -> None:
    config = parse_config(
        "preview_entity_cache:\n  enabled: true\n  subgraph:\n    all:\n"
        "      redis: { urls: [redis://127.0.0.1:6379], ttl: 30s }\n"
    ).preview_entity_cache
    assert config.for_subgraph("products").ttl == 30


def test_apollo_1x_metrics_section_loads_and_is_reported_as_not_applied() -> None:
    config = parse_config(
        "preview_entity_cache:\n  enabled: true\n"
        "  metrics: { enabled: true, ttl: 60s, separate_per_type: true }\n"
        "  subgraph:\n    all:\n      ttl: 60s\n"
    )
    assert config.preview_entity_cache.for_subgraph("products").ttl == 60
    assert "preview_entity_cache.metrics" in config.inactive_keys()


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, CacheControl()),
        ({"cache-control": "max-age=60"}, CacheControl(60)),
        ({"cache-control": "public, s-maxage=5, max-age=60"}, CacheControl(5)),
        ({"cache-control": "max-age=60", "age": "50"}, CacheControl(10)),
        ({"cache-control": "private, max-age=60"}, CacheControl(60, private=True)),
        ({"cache-control": "no-store"}, CacheControl(no_store=True)),
        ({"cache-control": "max-age=soon"}, CacheControl(no_store=True)),
    ],
)
def test_subgraph_cache_control_is_read(
    headers: dict[str, str], expected: CacheControl
) -> None:
    assert parse_cache_control(headers) == expected


def test_client_cache_control_is_the_minimum_and_no_store_wins() -> None:
    client = ClientCacheControl()
    assert client.header() is None
    client.add(60)
    client.add(30, private=True)
    assert client.header() == "max-age=30, private"
    client.add(None)  # a part with no freshness
    assert client.header() == "no-store"
