"""Our executor and shaper answer like Apollo Gateway on the same supergraph and subgraphs.

Apollo Gateway (`@apollo/gateway` + `@apollo/server`, from oracle/node_modules) runs in
one node process (`apollo_gateway.mjs`) against the same running example subgraphs. Every
case of `cases.json` but the mutation (which changes the orders subgraph) must give the
same response. With a subgraph down, `data` must be equal; the errors differ on purpose:

PORT_NOTE: Apollo Gateway reports a failed fetch as an uncoded "500: Internal Server
Error" or a network message without a path (Apollo Server then codes it
INTERNAL_SERVER_ERROR); we follow Apollo Router: SUBREQUEST_HTTP_ERROR, GATEWAY_TIMEOUT or
SUBREQUEST_MALFORMED_RESPONSE, with `serviceName` and the client path of the fetch.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support.oracle import ORACLE_DIR, REPO_ROOT, require_oracle
from support.ports import refusing_url

from planner.plan_json import plan_from_json
from planner.query_plan import QueryPlan

HERE = Path(__file__).parent
pytestmark = pytest.mark.oracle

CASE_VARIABLES: dict[str, dict[str, Any]] = {
    "interface_object_single": {"id": "furniture-5"},
    "variables": {"n": 4, "upc": "UPC-0042"},
    "skip_include": {"withReviews": True, "hideName": True},
}


def _supergraph_at(urls: dict[str, str]) -> str:
    sdl = (REPO_ROOT / "supergraph.graphql").read_text()

    def point(match: re.Match[str]) -> str:
        return f'@join__graph(name: "{match.group(1)}", url: "{urls[match.group(1)]}")'

    return re.sub(r'@join__graph\(name: "(\w+)", url: "[^"]*"\)', point, sdl)


def _apollo_gateway(runs: list[tuple[str, list[dict[str, Any]]]]) -> list[list[Any]]:
    """Per (supergraph, operations) run, Apollo Gateway's responses; one node process."""
    node = require_oracle()
    payload = {"runs": [{"supergraph": s, "operations": ops} for s, ops in runs]}
    proc = subprocess.run(
        [node, str(HERE / "apollo_gateway.mjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    results: list[list[Any]] = json.loads(proc.stdout)["runs"]
    return results


def _apollo_plans(queries: list[str]) -> list[QueryPlan]:
    """Apollo's planner's plans, so that only execution is compared."""
    payload = {
        "supergraph": (REPO_ROOT / "supergraph.graphql").read_text(),
        "operations": [{"query": query} for query in queries],
    }
    proc = subprocess.run(
        [require_oracle(), str(ORACLE_DIR / "plan.mjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return [plan_from_json(r["plan"]) for r in json.loads(proc.stdout)["results"]]


FAILURE_QUERIES = {
    # inventory down: nullable shippingEstimate becomes null.
    "estimates": "{ topProducts(first: 3) { upc shippingEstimate } }",
    # reviews down: non-null Product.reviews nulls the nullable product.
    "nullable_parent": '{ product(upc: "UPC-0001") { upc name reviews { id } } }',
    # reviews down: reviewCount is non-null all the way up: data is null.
    "data_null": "{ productItems(first: 2) { id reviewCount } }",
    # products down, reviews up: the other root field still answers.
    "one_root_of_two": '{ product(upc: "UPC-0002") { name } latestReviews(first: 2) { id } }',
}
DOWN = ("inventory", "reviews", "products")
COMPARED_CASES = (
    "three_subgraphs_nested_lists",
    "requires_hidden_inputs",
    "requires_with_inputs_selected",
    "provides_only",
    "provides_and_more",
    "union_fragments",
    "interface_object",
    "interface_object_single",
    "aliases_and_named_fragments",
    "variables",
    "skip_include",
    "dedup_authors",
    "user_reviews_products",
)


@pytest.fixture(scope="module")
def apollo_answers(
    cases: dict[str, Any], subgraph_urls: dict[str, str]
) -> dict[str, Any]:
    """Apollo Gateway's responses: to every compared case with all subgraphs up
    (``"all"``), and to ``FAILURE_QUERIES`` with each of ``DOWN`` at a closed port."""
    closed = {down: refusing_url() for down in DOWN}
    operations = [
        {
            "query": cases[name]["query"],
            "variables": CASE_VARIABLES.get(name, {}),
            "operationName": cases[name].get("operationName"),
        }
        for name in COMPARED_CASES
    ]
    failures = [{"query": query} for query in FAILURE_QUERIES.values()]
    runs = [(_supergraph_at(subgraph_urls), operations)] + [
        (_supergraph_at({**subgraph_urls, down: closed[down]}), failures)
        for down in DOWN
    ]
    answers = _apollo_gateway(runs)
    return {
        "all": answers[0],
        "closed": closed,
        **dict(zip(DOWN, answers[1:], strict=True)),
    }


async def test_responses_equal_apollo_gateways(
    apollo_answers: dict[str, Any], run_case: Any
) -> None:
    differing = []
    for name, expected in zip(COMPARED_CASES, apollo_answers["all"], strict=True):
        ours = await run_case(name, CASE_VARIABLES.get(name))
        if ours != expected:
            differing.append((name, ours, expected))
    assert not differing, differing[0]


async def test_partial_data_equals_apollo_gateways_when_a_subgraph_is_down(
    apollo_answers: dict[str, Any], make_client: Any, run_plan: Any
) -> None:
    queries = list(FAILURE_QUERIES.values())
    plans = _apollo_plans(queries)

    for down in DOWN:
        client = make_client(**{down: {"url": apollo_answers["closed"][down]}})
        for name, query, plan, expected in zip(
            FAILURE_QUERIES, queries, plans, apollo_answers[down], strict=True
        ):
            ours = await run_plan(query, plan, subgraph_client=client)
            assert ours["data"] == expected["data"], (down, name)
            assert bool(ours.get("errors")) == bool(expected.get("errors")), (
                down,
                name,
            )
            for error in ours.get("errors", []):
                assert error["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
                assert error["extensions"]["serviceName"] == down


# Canned products answers that do not fit the schema, chosen by the root field asked.
BAD_PRODUCTS_ANSWERS = {
    "product(": {"product": {"upc": "UPC-0001", "name": 5, "extra": 1}},
    "topProducts(": {
        "topProducts": [
            {"price": 1.5, "upc": "UPC-0001"},
            {"upc": "UPC-0002", "price": None},
        ]
    },
    "item(": {"item": {"__typename": "Secret", "id": "x", "title": "t"}},
    "search(": {
        "search": [
            {"__typename": "Book", "title": "t", "id": "b"},
            {"__typename": "Furniture", "title": None, "id": "f"},
        ]
    },
}
BAD_DATA_QUERIES = [
    '{ product(upc: "UPC-0001") { upc name } }',
    "{ topProducts(first: 2) { upc price } }",
    '{ item(id: "x") { id title } }',
    '{ search(text: "t") { __typename ... on Book { id title } ... on Furniture { title } } }',
]


async def test_shaping_of_bad_subgraph_data_equals_apollo_gateways(
    subgraph_urls: dict[str, str],
    loopback_app: Any,
    make_client: Any,
    run_plan: Any,
) -> None:
    async def bad_products(request: Any) -> Any:
        from aiohttp import web

        query = (await request.json())["query"]
        data = next(v for k, v in BAD_PRODUCTS_ANSWERS.items() if k in query)
        return web.json_response({"data": data})

    url = await loopback_app(bad_products)
    plans = _apollo_plans(BAD_DATA_QUERIES)
    payload = {
        "runs": [
            {
                "supergraph": _supergraph_at({**subgraph_urls, "products": url}),
                "operations": [{"query": query} for query in BAD_DATA_QUERIES],
            }
        ]
    }
    # The fake subgraph runs on this event loop: wait for node without blocking it.
    node = await asyncio.create_subprocess_exec(
        require_oracle(),
        str(HERE / "apollo_gateway.mjs"),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(
        node.communicate(json.dumps(payload).encode()), 120
    )
    assert node.returncode == 0, err.decode()[-3000:]
    (theirs,) = json.loads(out)["runs"]
    client = make_client(products={"url": url})

    for query, plan, expected in zip(BAD_DATA_QUERIES, plans, theirs, strict=True):
        ours = await run_plan(query, plan, subgraph_client=client)
        assert ours == expected, query
