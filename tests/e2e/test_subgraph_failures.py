"""A failing subgraph costs only what depended on it, and the router stays up.

`router serve` runs in front of the real example subgraphs; users, reviews and inventory
are reached through `fakes/misbehaving_subgraph.py` processes (proxies that misbehave on
demand: 500s, hangs, malformed or too deep JSON, short `_entities` lists, values of the
wrong type), and one test SIGKILLs a real subgraph process. Each failure must give partial data with one coded error at the
client path naming the subgraph, and the router must answer normally right after.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.processes import (
    Service,
    get,
    post_json,
    start_fakes,
    start_router,
    start_subgraph,
    write_router_yaml,
)

FAKE = Path(__file__).parent / "fakes" / "misbehaving_subgraph.py"
PROXIED = ("users", "reviews", "inventory")
# Touches products only: must work whatever the other subgraphs do.
PRODUCTS_ONLY = "{ topProducts(first: 2) { upc name } }"
# Touches every subgraph a test breaks.
EVERYTHING = (
    '{ user(id: "3") { name } topProducts(first: 3) { upc shippingEstimate } '
    "productItems(first: 3) { id averageRating } }"
)


@pytest.fixture(scope="module")
def fakes(example_urls: dict[str, str]) -> Iterator[dict[str, Service]]:
    started = dict(
        zip(
            PROXIED,
            start_fakes(
                FAKE, *(["--upstream", example_urls[name]] for name in PROXIED)
            ),
            strict=True,
        )
    )
    try:
        yield started
    finally:
        for service in started.values():
            service.stop()


@pytest.fixture(scope="module")
def router(
    example_urls: dict[str, str],
    fakes: dict[str, Service],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    urls = {**example_urls, **{name: fake.url for name, fake in fakes.items()}}
    config = write_router_yaml(
        tmp_path_factory.mktemp("failures"),
        urls,
        "traffic_shaping:\n  subgraphs:\n    inventory:\n      timeout: 500ms\n"
        "include_subgraph_errors:\n  all: true\n",
    )
    service = start_router(config)
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def misbehave(fakes: dict[str, Service]) -> Iterator[Any]:
    """`misbehave(name, mode)`; every fake is back to `pass` after the test."""

    def set_mode(name: str, mode: str) -> None:
        reply = post_json(fakes[name].base + "/mode", {"mode": mode})
        assert reply.status == 200, reply.body

    yield set_mode
    for name in fakes:
        set_mode(name, "pass")


def ask(router: Service, query: str) -> dict[str, Any]:
    """POSTs `query`; the decoded body, after checking it came back 200 (a failing
    subgraph is never the client's fault). A hung subgraph never answers, so an answer
    within the client's 30 s proves the router gave up on it; no clock is asserted."""
    reply = post_json(
        router.url, {"query": query}, headers={"accept": "application/json"}
    )
    assert reply.status == 200, reply.body
    body: dict[str, Any] = json.loads(reply.body)
    assert "Traceback" not in reply.body.decode()
    return body


def only_error(body: dict[str, Any]) -> dict[str, Any]:
    assert len(body["errors"]) == 1, body["errors"]
    error: dict[str, Any] = body["errors"][0]
    return error


def assert_router_serves(router: Service) -> None:
    assert router.alive, router.stderr()
    assert get(router.base + "/health").status == 200
    body = ask(router, PRODUCTS_ONLY)
    assert "errors" not in body and len(body["data"]["topProducts"]) == 2


def test_subgraph_answering_500_nulls_only_its_fields(
    router: Service, misbehave: Any
) -> None:
    misbehave("reviews", "status500")

    body = ask(router, EVERYTHING)

    items = body["data"]["productItems"]
    assert [i["averageRating"] for i in items] == [None, None, None]
    assert all(i["id"] for i in items)
    assert body["data"]["user"]["name"] and len(body["data"]["topProducts"]) == 3
    error = only_error(body)
    assert error["path"] == ["productItems"]
    assert error["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    assert error["extensions"]["serviceName"] == "reviews"
    assert_router_serves(router)


def test_subgraph_hanging_past_its_timeout_gives_gateway_timeout(
    router: Service, misbehave: Any
) -> None:
    misbehave("inventory", "hang")

    started = time.monotonic()
    body = ask(router, EVERYTHING)

    assert time.monotonic() - started >= 0.5  # the configured timeout, not sooner
    products = body["data"]["topProducts"]
    assert [p["shippingEstimate"] for p in products] == [None, None, None]
    assert all(p["upc"].startswith("UPC-") for p in products)
    assert body["data"]["productItems"][0]["averageRating"] is not None
    error = only_error(body)
    assert error["path"] == ["topProducts"]
    assert error["extensions"]["code"] == "GATEWAY_TIMEOUT"
    assert error["extensions"]["serviceName"] == "inventory"
    assert_router_serves(router)


def test_malformed_json_from_a_root_fetch_nulls_that_root_field(
    router: Service, misbehave: Any
) -> None:
    misbehave("users", "malformed")

    body = ask(router, EVERYTHING)

    assert body["data"]["user"] is None
    assert len(body["data"]["topProducts"]) == 3
    assert len(body["data"]["productItems"]) == 3
    error = only_error(body)
    # A root fetch's path is the root: no `path`, as Apollo's gateway (Apollo Router
    # writes `"path": []`); `data.user` being null says which field it cost.
    assert "path" not in error
    assert error["extensions"]["code"] == "SUBREQUEST_MALFORMED_RESPONSE"
    assert error["extensions"]["serviceName"] == "users"
    assert_router_serves(router)


def test_short_entities_list_merges_nothing_from_that_fetch(
    router: Service, misbehave: Any
) -> None:
    misbehave("inventory", "short_entities")

    body = ask(router, EVERYTHING)

    products = body["data"]["topProducts"]
    assert [p["shippingEstimate"] for p in products] == [None, None, None]
    assert body["data"]["user"]["name"]
    error = only_error(body)
    assert error["path"] == ["topProducts"]
    assert error["extensions"]["code"] == "SUBREQUEST_MALFORMED_RESPONSE"
    assert error["extensions"]["serviceName"] == "inventory"
    assert_router_serves(router)


def test_values_of_the_wrong_type_are_nulled_and_reported_in_value_completion(
    router: Service, misbehave: Any
) -> None:
    misbehave("inventory", "wrong_types")  # shippingEstimate: "2451", not 2451

    body = ask(router, EVERYTHING)

    products = body["data"]["topProducts"]
    assert [p["shippingEstimate"] for p in products] == [None, None, None]
    assert body["data"]["user"]["name"]
    # As Apollo's gateway and router: value-completion problems go to
    # `extensions.valueCompletion`, not `errors` (no fetch failed).
    assert "errors" not in body
    found = body["extensions"]["valueCompletion"]
    assert [e["path"] for e in found] == [
        ["topProducts", i, "shippingEstimate"] for i in range(3)
    ]
    assert {e["extensions"]["code"] for e in found} == {"INVALID_GRAPHQL"}
    assert_router_serves(router)


@pytest.mark.parametrize("mode", ["deep_json", "not_an_object"])
def test_json_that_is_no_graphql_response_is_malformed(
    router: Service, misbehave: Any, mode: str
) -> None:
    misbehave("reviews", mode)

    body = ask(router, EVERYTHING)

    assert [i["averageRating"] for i in body["data"]["productItems"]] == [None] * 3
    assert len(body["data"]["topProducts"]) == 3
    error = only_error(body)
    assert error["path"] == ["productItems"]
    assert error["extensions"]["code"] == "SUBREQUEST_MALFORMED_RESPONSE"
    assert error["extensions"]["serviceName"] == "reviews"
    assert_router_serves(router)


def test_each_fake_passes_through_when_it_behaves(router: Service) -> None:
    """The baseline the failure tests break: all data, no error."""
    body = ask(router, EVERYTHING)

    assert "errors" not in body
    assert body["data"]["user"]["name"]
    assert any(p["shippingEstimate"] for p in body["data"]["topProducts"])
    assert any(i["averageRating"] is not None for i in body["data"]["productItems"])


def test_killed_subgraph_gives_http_error_and_the_rest_of_the_data(
    example_urls: dict[str, str], tmp_path: Path
) -> None:
    inventory = start_subgraph("inventory")
    router = None
    try:
        config = write_router_yaml(
            tmp_path, {**example_urls, "inventory": inventory.url}
        )
        router = start_router(config)
        before = ask(router, EVERYTHING)
        assert "errors" not in before

        inventory.kill()  # SIGKILL, mid-test: the pooled connection dies with it
        body = ask(router, EVERYTHING)

        products = body["data"]["topProducts"]
        assert [p["upc"] for p in products] == [
            p["upc"] for p in before["data"]["topProducts"]
        ]
        assert [p["shippingEstimate"] for p in products] == [None, None, None]
        assert body["data"]["user"] == before["data"]["user"]
        assert body["data"]["productItems"] == before["data"]["productItems"]
        error = only_error(body)
        assert error["path"] == ["topProducts"]
        assert error["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
        assert error["extensions"]["serviceName"] == "inventory"
        assert_router_serves(router)
        assert only_error(ask(router, EVERYTHING))["extensions"]["code"] == (
            "SUBREQUEST_HTTP_ERROR"
        )
    finally:
        if router is not None:
            router.stop()
        inventory.stop()
