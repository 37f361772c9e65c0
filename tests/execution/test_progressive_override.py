"""Progressive override: a `percent(x)` label moves a field to its new subgraph for about
x% of requests, rolled per request as Apollo Router does.

Two small subgraphs on loopback answer the same field with different values (the old
owner 10, the new one 20), so each response shows which subgraph the plan used.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from planner.composition import SubgraphInput, compose
from planner.supergraph import load_supergraph
from planner.supergraph.override_labels import percent_labels
from router.config import parse_config
from router.execution.override_rolls import OverrideRolls
from router.server.request import GraphQLRequest
from router.server.source import Source
from router.server.state import build_generation

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@override"])\n'
)
PRODUCTS = LINK + (
    "type Query { product: Product }\n"
    'type Product @key(fields: "upc") { upc: ID! price: Int }\n'
)


def _pricing(label: str) -> str:
    return LINK + (
        'type Product @key(fields: "upc") { upc: ID! '
        f'price: Int @override(from: "products", label: "{label}") }}\n'
    )


async def _products(request: web.Request) -> web.Response:
    query = (await request.json())["query"]
    product: dict[str, Any] = {"__typename": "Product", "upc": "1"}
    if "price" in query:
        product["price"] = 10
    return web.json_response({"data": {"product": product}})


async def _pricing_app(request: web.Request) -> web.Response:
    body = await request.json()
    count = len(body["variables"]["representations"])
    entities = [{"__typename": "Product", "price": 20}] * count
    return web.json_response({"data": {"_entities": entities}})


async def _prices(
    loopback_app: Callable[[Handler], Awaitable[str]], label: str, requests: int
) -> list[int]:
    """The price each of `requests` identical requests gets."""
    urls = {"products": await loopback_app(_products)}
    urls["pricing"] = await loopback_app(_pricing_app)
    sdl = {"products": PRODUCTS, "pricing": _pricing(label)}
    result = compose([SubgraphInput(name, urls[name], sdl[name]) for name in urls])
    assert result.supergraph_sdl is not None, result.errors
    generation = build_generation(
        Source(parse_config(""), load_supergraph(result.supergraph_sdl), "test", ()), 1
    )
    try:
        prices = []
        for _ in range(requests):
            outcome = await generation.pipeline.run(
                GraphQLRequest("{ product { price } }", None, {}), method="POST"
            )
            assert "errors" not in outcome.body, outcome.body
            prices.append(outcome.body["data"]["product"]["price"])
        return prices
    finally:
        await generation.close()


async def test_percent_100_always_uses_the_new_subgraph(
    loopback_app: Callable[[Handler], Awaitable[str]],
) -> None:
    assert set(await _prices(loopback_app, "percent(100)", 20)) == {20}


async def test_percent_0_never_does(
    loopback_app: Callable[[Handler], Awaitable[str]],
) -> None:
    assert set(await _prices(loopback_app, "percent(0)", 20)) == {10}


async def test_a_custom_label_stays_with_the_old_subgraph(
    loopback_app: Callable[[Handler], Awaitable[str]],
) -> None:
    # Nothing in the router activates a non-percent label (Apollo: a coprocessor).
    assert set(await _prices(loopback_app, "billing-v2", 20)) == {10}


async def test_percent_50_splits_requests_between_both(
    loopback_app: Callable[[Handler], Awaitable[str]],
) -> None:
    prices = await _prices(loopback_app, "percent(50)", 200)
    # Each side is a binomial(200, 0.5) draw: outside 50..150 once in ~10^12 runs.
    assert 50 <= prices.count(20) <= 150, prices.count(20)
    assert prices.count(20) + prices.count(10) == 200


def test_each_percent_label_is_rolled_with_its_share() -> None:
    rolls = OverrideRolls(
        {"percent(25)": 25.0, "percent(100)": 100.0, "percent(0)": 0.0},
        random.Random(7),
    )
    drawn = [rolls.active() for _ in range(4000)]
    assert all("percent(100)" in active for active in drawn)
    assert not any("percent(0)" in active for active in drawn)
    share = sum("percent(25)" in active for active in drawn) / len(drawn)
    assert 0.22 < share < 0.28


def test_percent_labels_are_read_from_the_supergraph() -> None:
    result = compose(
        [
            SubgraphInput("products", "http://products", PRODUCTS),
            SubgraphInput("pricing", "http://pricing", _pricing("percent(12.5)")),
        ]
    )
    assert result.supergraph_sdl is not None
    supergraph = load_supergraph(result.supergraph_sdl)
    assert percent_labels(supergraph) == {"percent(12.5)": 12.5}
