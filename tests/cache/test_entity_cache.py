"""`preview_entity_cache` in memory, end to end: a router in front of the example
subgraphs, each behind a proxy that counts the requests reaching it and sets the
`Cache-Control` it answers with; an uncached router gives the answers to compare with.

Every test starts from an empty cache (the invalidation endpoint empties it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cache_harness import Reply, Router, eventually, start_router
from entity_harness import (
    Respond,
    Signer,
    SubgraphProxy,
    claim,
    entity_cache_config,
    invalidate,
    metric,
)

from tests.server.server_harness import http

STOCK = "query Stock($n: Int!) { topProducts(first: $n) { upc name inStock } }"
REVIEWED = "query Reviewed { latestReviews(first: 3) { id product { upc name } } }"
FIRST_UPC = "UPC-0388"  # topProducts' first


@pytest.fixture(scope="module")
def proxies(example_urls: dict[str, str]) -> Iterator[dict[str, SubgraphProxy]]:
    made = {name: SubgraphProxy(url) for name, url in example_urls.items()}
    yield made
    for proxy in made.values():
        proxy.stop()


@pytest.fixture(scope="module")
def signer() -> Signer:
    return Signer()


@pytest.fixture(scope="module")
def cached(
    proxies: dict[str, SubgraphProxy],
    signer: Signer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Router]:
    folder = tmp_path_factory.mktemp("cached")
    jwks = folder / "jwks.json"
    jwks.write_text(signer.jwks(), "utf-8")
    router = start_router(
        folder,
        {name: proxy.url for name, proxy in proxies.items()},
        entity_cache_config(
            extra="    subgraphs:\n"
            "      reviews: { types: { Product: { ttl: 1s } } }\n"
            "      orders: { private_id: sub }\n",  # the JWT's subject
            listen="127.0.0.1:4000",  # supergraph.listen: the router's own listener
        )
        + "authentication:\n  router:\n    jwt:\n      jwks:\n"
        f"        - url: {jwks.as_uri()}\n",
    )
    yield router
    router.stop()


@pytest.fixture(scope="module")
def plain_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("plain")


@pytest.fixture(scope="module")
def plain(example_urls: dict[str, str], plain_folder: Path) -> Iterator[Router]:
    router = start_router(plain_folder, example_urls, "")
    yield router
    router.stop()


@pytest.fixture
def subgraphs(
    proxies: dict[str, SubgraphProxy], cached: Router
) -> dict[str, SubgraphProxy]:
    """The proxies, counts and headers reset, and the cache emptied."""
    reply = invalidate(
        endpoint(cached), [{"kind": "subgraph", "subgraph": name} for name in proxies]
    )
    assert reply.status == 202, reply.body
    for proxy in proxies.values():
        proxy.reset()
    return proxies


def data(
    router: Router, query: str, headers: dict[str, str] | None = None, **variables: Any
) -> Any:
    reply = router.post({"query": query, "variables": variables}, headers=headers)
    body = reply.json()
    assert "errors" not in body, body
    return body["data"]


def endpoint(router: Router) -> str:
    """The invalidation endpoint, on the router's own listener in this module."""
    return f"{router.base}/invalidation"


def max_age(control: str) -> int:
    found = re.search(r"max-age=(\d+)", control)
    assert found is not None, control
    return int(found.group(1))


def test_repeated_request_is_answered_from_the_cache(
    cached: Router, plain: Router, subgraphs: dict[str, SubgraphProxy]
) -> None:
    first = data(cached, STOCK, n=3)
    assert len(subgraphs["products"].requests) == 1
    assert subgraphs["inventory"].representations() == [3]

    assert data(cached, STOCK, n=3) == first == data(plain, STOCK, n=3)
    assert len(subgraphs["products"].requests) == 1  # the root fetch, cached too
    assert len(subgraphs["inventory"].requests) == 1

    entity = {"cache": "entity", "subgraph": "inventory", "type": "Product"}
    assert metric(cached, "api_cache_hits_total", **entity) >= 3
    assert metric(cached, "api_cache_misses_total", **entity) >= 3
    root = {"cache": "entity", "subgraph": "products", "type": "root"}
    assert metric(cached, "api_cache_hits_total", **root) >= 1
    assert metric(cached, "api_cache_size_bytes", cache="entity") > 0


def test_another_operation_asking_the_same_of_a_subgraph_shares_its_entries(
    cached: Router, subgraphs: dict[str, SubgraphProxy]
) -> None:
    first = data(cached, STOCK, n=2)
    other = "query Other($n: Int!) { topProducts(first: $n) { upc name inStock } }"
    assert data(cached, other, n=2) == first
    assert subgraphs["inventory"].representations() == [2]
    assert len(subgraphs["products"].requests) == 1


def test_batch_with_some_entities_cached_sends_only_the_others(
    cached: Router, plain: Router, subgraphs: dict[str, SubgraphProxy]
) -> None:
    data(cached, STOCK, n=7)
    assert subgraphs["inventory"].representations() == [7]

    answer = data(cached, STOCK, n=10)
    assert subgraphs["inventory"].representations() == [7, 3]
    assert answer == data(plain, STOCK, n=10)
    assert len(answer["topProducts"]) == 10


def test_errors_of_a_partial_batch_point_at_their_own_entities(
    cached: Router, plain: Router, subgraphs: dict[str, SubgraphProxy]
) -> None:
    upcs = [item["upc"] for item in data(plain, STOCK, n=10)["topProducts"]]
    data(cached, STOCK, n=7)

    def fail_ninth(data_too: bool) -> Respond:
        def respond(
            headers: Any, payload: dict[str, Any], body: dict[str, Any]
        ) -> tuple[dict[str, Any], str | None]:
            sent = (payload.get("variables") or {}).get("representations") or []
            for index, representation in enumerate(sent):
                if representation.get("upc") == upcs[8]:
                    body["data"]["_entities"][index] = None
                    path = ["_entities", index, "inStock"]
                    body.setdefault("errors", []).append(
                        {"message": "no", "path": path}
                    )
            if data_too:
                body["data"] = None  # `_entities` is non-null: the null bubbles up
            return body, None

        return respond

    for data_too in (False, True):
        subgraphs["inventory"].respond = fail_ninth(data_too)
        answer = cached.post({"query": STOCK, "variables": {"n": 10}}).json()
        assert [error["path"][:2] for error in answer["errors"]] == [["topProducts", 8]]
    # The entity with an error of its own was not kept, its siblings were.
    assert subgraphs["inventory"].representations() == [7, 3, 1]


def test_client_cache_control_is_the_minimum_of_its_parts(
    cached: Router, subgraphs: dict[str, SubgraphProxy]
) -> None:
    subgraphs["products"].cache_control = "max-age=120"
    subgraphs["inventory"].cache_control = "public, max-age=30"
    fresh = cached.post({"query": STOCK, "variables": {"n": 2}})
    assert fresh.headers["cache-control"] == "max-age=30, public"

    again = cached.post({"query": STOCK, "variables": {"n": 2}})
    assert again.json() == fresh.json()
    assert len(subgraphs["inventory"].requests) == 1
    assert 0 < max_age(again.headers["cache-control"]) <= 30


def test_subgraph_max_age_is_the_entries_ttl(
    cached: Router, subgraphs: dict[str, SubgraphProxy]
) -> None:
    subgraphs["inventory"].cache_control = "max-age=1"
    reply = cached.post({"query": STOCK, "variables": {"n": 2}})
    assert max_age(reply.headers["cache-control"]) == 1

    eventually(
        lambda: data(cached, STOCK, n=2) and len(subgraphs["inventory"].requests) >= 2,
        "inventory asked again once its answer's max-age passed",
        timeout=10,
    )
    # The root fetch (60 s) is still cached.
    assert len(subgraphs["products"].requests) == 1


def test_configured_type_ttl_expires_entries(
    cached: Router, subgraphs: dict[str, SubgraphProxy]
) -> None:
    query = "{ topProducts(first: 2) { upc reviews { id } } }"
    first = data(cached, query)
    assert len(subgraphs["reviews"].requests) == 1
    eventually(
        lambda: (
            data(cached, query) == first and len(subgraphs["reviews"].requests) >= 2
        ),
        "reviews' Product entities (types.Product.ttl: 1s) fetched again",
        timeout=10,
    )
    assert len(subgraphs["products"].requests) == 1


def test_no_store_answers_are_not_kept(
    cached: Router, subgraphs: dict[str, SubgraphProxy]
) -> None:
    subgraphs["inventory"].cache_control = "no-store"
    reply = cached.post({"query": STOCK, "variables": {"n": 2}})
    assert reply.headers["cache-control"] == "no-store"
    data(cached, STOCK, n=2)
    assert subgraphs["inventory"].representations() == [2, 2]
    assert len(subgraphs["products"].requests) == 1


def _personal(
    headers: Any, payload: dict[str, Any], body: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """products' entities, named for the user asking, and private."""
    if "representations" not in (payload.get("variables") or {}):
        return body, None
    user = headers.get("x-user", "nobody")
    for entity in body["data"]["_entities"]:
        entity["name"] = f"{entity['name']} for {user}"
    return body, "private, max-age=60"


def test_private_entities_are_kept_per_user_and_never_shared(
    cached: Router, subgraphs: dict[str, SubgraphProxy]
) -> None:
    products = subgraphs["products"]
    products.respond = _personal

    def names(user: str | None) -> set[str]:
        headers = {"x-user": user} if user else None
        answer = data(cached, REVIEWED, headers)
        return {
            review["product"]["name"].rpartition(" for ")[2]
            for review in answer["latestReviews"]
        }

    assert names("alice") == {"alice"}
    assert len(products.requests) == 1
    reply = cached.post({"query": REVIEWED}, headers={"x-user": "alice"})
    assert reply.headers["cache-control"].endswith("private")
    assert len(products.requests) == 1  # alice's, from the cache
    assert names("bob") == {"bob"}
    assert len(products.requests) == 2
    assert names("alice") == {"alice"}
    assert names("bob") == {"bob"}
    assert len(products.requests) == 2
    # Without a private id, a private answer is never kept.
    assert names(None) == {"nobody"}
    assert names(None) == {"nobody"}
    assert len(products.requests) == 4


def _addressed(
    headers: Any, payload: dict[str, Any], body: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """orders' users, their city named for the token's subject, and private."""
    if "representations" not in (payload.get("variables") or {}):
        return body, None
    subject = claim(headers, "sub") or "nobody"
    for entity in body["data"]["_entities"]:
        entity["address"]["city"] += f" for {subject}"
    return body, "private, max-age=60"


def test_private_entities_are_kept_per_jwt_subject(
    cached: Router, signer: Signer, subgraphs: dict[str, SubgraphProxy]
) -> None:
    orders = subgraphs["orders"]
    orders.respond = _addressed
    query = "{ latestReviews(first: 2) { id author { address { city } } } }"

    def cities(subject: str) -> set[str]:
        bearer = {"authorization": f"Bearer {signer.token(subject)}"}
        answer = data(cached, query, bearer)
        return {
            review["author"]["address"]["city"].rpartition(" for ")[2]
            for review in answer["latestReviews"]
        }

    assert cities("alice") == {"alice"}
    assert cities("alice") == {"alice"}
    assert len(orders.requests) == 1
    assert cities("bob") == {"bob"}
    assert cities("alice") == {"alice"}
    assert cities("bob") == {"bob"}
    assert len(orders.requests) == 2


def test_invalidation_by_entity_type_and_subgraph(
    cached: Router, subgraphs: dict[str, SubgraphProxy]
) -> None:
    inventory = subgraphs["inventory"]
    data(cached, STOCK, n=3)
    # Another fetch of the same entity, whose representation has @requires fields.
    data(cached, "{ topProducts(first: 1) { upc shippingEstimate } }")
    assert inventory.representations() == [3, 1]
    entity = {
        "kind": "entity",
        "subgraph": "inventory",
        "type": "Product",
        "key": {"upc": FIRST_UPC},
    }
    reply = invalidate(endpoint(cached), [entity])
    assert (reply.status, reply.json()) == (202, {"count": 2})
    data(cached, STOCK, n=3)
    assert inventory.representations() == [3, 1, 1]

    by_type = {"kind": "type", "subgraph": "inventory", "type": "Product"}
    assert invalidate(endpoint(cached), [by_type]).json() == {"count": 3}
    data(cached, STOCK, n=3)
    assert inventory.representations() == [3, 1, 1, 3]

    assert len(subgraphs["products"].requests) == 2  # two root fetches
    by_subgraph = {"kind": "subgraph", "subgraph": "products"}
    assert invalidate(endpoint(cached), [by_subgraph]).json() == {"count": 2}
    data(cached, STOCK, n=3)
    assert len(subgraphs["products"].requests) == 3
    assert inventory.representations() == [3, 1, 1, 3]

    assert metric(cached, "api_cache_size_bytes", cache="entity") > 0
    everything = [{"kind": "subgraph", "subgraph": name} for name in subgraphs]
    assert invalidate(endpoint(cached), everything).json() == {"count": 4}
    assert metric(cached, "api_cache_size_bytes", cache="entity") == 0


def test_invalidation_refuses_a_wrong_secret_and_a_bad_body(
    cached: Router, subgraphs: dict[str, SubgraphProxy]
) -> None:
    data(cached, STOCK, n=2)
    everything = [{"kind": "subgraph", "subgraph": "inventory"}]
    for secret in ("wrong", None):
        refused = invalidate(endpoint(cached), everything, secret=secret)
        assert refused.status == 401
        assert refused.json()["errors"][0]["extensions"]["code"] == (
            "INVALIDATION_UNAUTHORIZED"
        )
    for raw in (b"{not json", b'[{"kind": "table", "subgraph": "inventory"}]'):
        bad = invalidate(endpoint(cached), None, raw=raw)
        assert bad.status == 400
        assert bad.json()["errors"][0]["extensions"]["code"] == (
            "INVALIDATION_INVALID_REQUEST"
        )
    data(cached, STOCK, n=2)
    assert len(subgraphs["inventory"].requests) == 1  # nothing was invalidated


def test_bad_entity_cache_config_is_refused_and_the_running_one_serves(
    plain: Router, plain_folder: Path
) -> None:
    config = plain_folder / "router.yaml"
    good = config.read_text("utf-8")
    config.write_text(good + "preview_entity_cache:\n  enabled: true\n", "utf-8")
    try:
        eventually(
            lambda: "preview_entity_cache.subgraph.all.ttl: required" in plain.stderr(),
            "the config without a TTL refused",
            timeout=10,
        )
        assert "reload refused" in plain.stderr()
        assert data(plain, STOCK, n=1)["topProducts"][0]["upc"] == FIRST_UPC
    finally:
        config.write_text(good, "utf-8")


def test_deferred_multipart_answer_uses_the_cache_and_is_no_store(
    cached: Router, subgraphs: dict[str, SubgraphProxy]
) -> None:
    query = "query Later { topProducts(first: 2) { upc ... @defer { inStock } } }"
    accept = "multipart/mixed;deferSpec=20220824, application/json"

    def streamed() -> Reply:
        return http(
            cached.url,
            json.dumps({"query": query}).encode(),
            method="POST",
            headers={"content-type": "application/json", "accept": accept},
        )

    first = streamed()
    assert first.headers["content-type"].startswith("multipart/mixed")
    assert first.headers["cache-control"] == "no-store"
    assert b'"inStock"' in first.body
    assert subgraphs["inventory"].representations() == [2]
    second = streamed()
    assert second.body == first.body
    assert subgraphs["inventory"].representations() == [2]
    assert len(subgraphs["products"].requests) == 1
