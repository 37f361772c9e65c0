"""Entity fetches to one subgraph that run in the same stage go out as one request.

Each test runs a plan twice, batched (the default) and with ``batch_entity_fetches`` off,
against the real example subgraphs behind a recording proxy, and checks the client sees
the same response either way: fewer round trips, nothing else. Errors inside a batch land
on the paths they would land on alone; a failed batch request fails every member.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from graphql import parse, validate

from planner.planning import QueryPlanner
from planner.planning.client_aliases import planner_field_names
from planner.query_plan import Fetch, Flatten, Parallel, QueryPlan, Sequence
from planner.supergraph.model import Supergraph
from router.execution import ResponseShaper, SubgraphClient, execute_plan

# Two inventory fetches in one Parallel, after one products fetch.
SAME_STAGE = (
    "query Q { topProducts(first: 5) { upc stockCount } "
    'product(upc: "UPC-0005") { upc name inStock } }'
)
# Two reviews fetches in one Parallel; the first uses a client variable.
WITH_VARIABLE = (
    "query Q($skipBody: Boolean!) { topProducts(first: 3) { upc reviews "
    "{ id body @skip(if: $skipBody) } } "
    'product(upc: "UPC-0005") { upc reviews { id rating } } }'
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture(scope="module")
def planner(supergraph: Supergraph) -> QueryPlanner:
    return QueryPlanner(supergraph)


def plan_for(planner: QueryPlanner, query: str) -> QueryPlan:
    return planner.plan(parse(query), "Q")


async def run(
    supergraph: Supergraph,
    client: SubgraphClient,
    query: str,
    plan: QueryPlan,
    variables: dict[str, Any] | None = None,
    *,
    batch: bool = True,
) -> dict[str, Any]:
    document = parse(query)
    assert not validate(supergraph.api_schema, document)
    variables = variables or {}
    result = await execute_plan(
        plan,
        variables=variables,
        client=client,
        schema=supergraph.schema,
        batch_entity_fetches=batch,
    )
    shaper = ResponseShaper.compile(
        supergraph.api_schema, document, "Q", planner_field_names(supergraph)
    )
    shaped: dict[str, Any] = shaper.shape(result.data, result.errors, variables)
    return shaped


Change = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]
Proxy = Callable[..., Awaitable[tuple[str, list[dict[str, Any]]]]]


@pytest_asyncio.fixture
async def proxy(
    loopback_app: Callable[[Handler], Awaitable[str]],
) -> AsyncIterator[Proxy]:
    """``url, seen = await proxy(target, change=None)``: a proxy in front of
    ``target`` keeping each request body; ``change(request, answer)`` may rewrite the
    subgraph's answer."""
    session = aiohttp.ClientSession(trust_env=False)

    async def start(
        target: str, change: Change | None = None
    ) -> tuple[str, list[dict[str, Any]]]:
        seen: list[dict[str, Any]] = []

        async def forward(request: web.Request) -> web.StreamResponse:
            body = await request.json()
            seen.append(body)
            async with session.post(target, json=body) as answer:
                decoded = await answer.json()
            if change is not None:
                decoded = change(body, decoded)
            return web.json_response(decoded)

        return await loopback_app(forward), seen

    yield start
    await session.close()


async def test_same_stage_entity_fetches_reach_the_subgraph_as_one_request(
    supergraph: Supergraph,
    planner: QueryPlanner,
    make_client: Any,
    proxy: Proxy,
    subgraph_urls: dict[str, str],
) -> None:
    url, seen = await proxy(subgraph_urls["inventory"])
    client = make_client(inventory={"url": url})
    plan = plan_for(planner, SAME_STAGE)

    batched = await run(supergraph, client, SAME_STAGE, plan)
    batch_requests = list(seen)
    seen.clear()
    alone = await run(supergraph, client, SAME_STAGE, plan, batch=False)

    assert len(batch_requests) == 1
    assert len(seen) == 2
    assert batched == alone
    assert "errors" not in batched
    assert len(batched["data"]["topProducts"]) == 5


async def test_a_batch_keeps_each_members_client_variables_and_fragments(
    supergraph: Supergraph,
    planner: QueryPlanner,
    make_client: Any,
    proxy: Proxy,
    subgraph_urls: dict[str, str],
) -> None:
    url, seen = await proxy(subgraph_urls["reviews"])
    client = make_client(reviews={"url": url})
    plan = _with_named_fragments(plan_for(planner, WITH_VARIABLE))

    for skip in (True, False):
        seen.clear()
        batched = await run(supergraph, client, WITH_VARIABLE, plan, {"skipBody": skip})
        (request,) = seen
        alone = await run(
            supergraph, client, WITH_VARIABLE, plan, {"skipBody": skip}, batch=False
        )

        assert batched == alone
        assert "errors" not in batched
        assert request["variables"]["skipBody"] is skip
        reviews = batched["data"]["topProducts"][0]["reviews"]
        assert reviews and all(("body" in r) is not skip for r in reviews)


async def test_an_error_inside_a_batch_lands_on_its_members_entity(
    supergraph: Supergraph,
    planner: QueryPlanner,
    make_client: Any,
    proxy: Proxy,
    subgraph_urls: dict[str, str],
) -> None:
    """The subgraph reports an error on the fourth stockCount; in the batch the error's
    path is ``["_0", 3, "stockCount"]``, alone ``["_entities", 3, "stockCount"]``."""

    def error_on_fourth_stock_count(
        request: dict[str, Any], answer: dict[str, Any]
    ) -> dict[str, Any]:
        for key, entities in (answer.get("data") or {}).items():
            if entities and "stockCount" in entities[0]:
                answer.setdefault("errors", []).append(
                    {"message": "stock unknown", "path": [key, 3, "stockCount"]}
                )
        return answer

    url, seen = await proxy(subgraph_urls["inventory"], error_on_fourth_stock_count)
    client = make_client(inventory={"url": url})
    plan = plan_for(planner, SAME_STAGE)

    batched = await run(supergraph, client, SAME_STAGE, plan)
    assert len(seen) == 1
    alone = await run(supergraph, client, SAME_STAGE, plan, batch=False)

    assert batched == alone
    assert batched["errors"] == [
        {
            "message": "stock unknown",
            "path": ["topProducts", 3, "stockCount"],
            "extensions": {
                "code": "DOWNSTREAM_SERVICE_ERROR",
                "serviceName": "inventory",
            },
        }
    ]
    assert batched["data"]["product"]["inStock"] in (True, False)


async def test_a_failed_batch_request_fails_every_member_at_its_own_path(
    supergraph: Supergraph,
    planner: QueryPlanner,
    make_client: Any,
    loopback_app: Any,
) -> None:
    seen: list[bytes] = []

    async def unavailable(request: web.Request) -> web.StreamResponse:
        seen.append(await request.read())
        return web.Response(status=503, text="down for maintenance")

    client = make_client(inventory={"url": await loopback_app(unavailable)})
    plan = plan_for(planner, SAME_STAGE)

    batched = await run(supergraph, client, SAME_STAGE, plan)
    assert len(seen) == 1
    alone = await run(supergraph, client, SAME_STAGE, plan, batch=False)

    def by_path(response: dict[str, Any]) -> list[Any]:
        return sorted(response["errors"], key=lambda e: json.dumps(e["path"]))

    assert batched["data"] == alone["data"]
    assert by_path(batched) == by_path(alone)
    assert [(e["path"], e["extensions"]["code"]) for e in by_path(batched)] == [
        (["product"], "SUBREQUEST_HTTP_ERROR"),
        (["topProducts"], "SUBREQUEST_HTTP_ERROR"),
    ]


async def test_a_batch_the_subgraph_refuses_is_asked_again_member_by_member(
    supergraph: Supergraph,
    planner: QueryPlanner,
    make_client: Any,
    proxy: Proxy,
    subgraph_urls: dict[str, str],
) -> None:
    """A subgraph that refuses the combined operation (here: more than one root field,
    as a cost or alias limit would) still answers each fetch, as without batching."""

    def one_root_field_only(
        request: dict[str, Any], answer: dict[str, Any]
    ) -> dict[str, Any]:
        if "_1:" in request["query"]:
            return {"data": None, "errors": [{"message": "too many root fields"}]}
        return answer

    url, seen = await proxy(subgraph_urls["inventory"], one_root_field_only)
    client = make_client(inventory={"url": url})
    plan = plan_for(planner, SAME_STAGE)

    batched = await run(supergraph, client, SAME_STAGE, plan)
    asked = [request["operationName"] for request in seen]
    seen.clear()
    alone = await run(supergraph, client, SAME_STAGE, plan, batch=False)

    assert batched == alone
    assert "errors" not in batched
    assert asked[0] == "Q__inventory__1_2"
    assert sorted(asked[1:]) == ["Q__inventory__1", "Q__inventory__2"]


def _with_named_fragments(plan: QueryPlan) -> QueryPlan:
    """``plan`` with each reviews fetch's selection moved into a fragment named ``R``
    (the same name, different fields), as Apollo's planner writes reused selections."""
    assert plan.node is not None

    rewritten: list[str] = []

    def rewrite(fetch: Fetch) -> Fetch:
        head, _, rest = fetch.operation.partition("reviews{")
        inner, _, tail = rest.partition("}")
        operation = f"{head}reviews{{...R}}{tail}fragment R on Review{{{inner}}}"
        rewritten.append(operation)
        return dataclasses.replace(fetch, operation=operation)

    def walk(node: Any) -> Any:
        if isinstance(node, Fetch):
            return rewrite(node) if node.service_name == "reviews" else node
        if isinstance(node, Flatten):
            return dataclasses.replace(node, node=walk(node.node))
        if isinstance(node, Sequence | Parallel):
            return dataclasses.replace(node, nodes=tuple(map(walk, node.nodes)))
        return node

    plan = dataclasses.replace(plan, node=walk(plan.node))
    assert len(rewritten) == 2 and all("{...R}" in text for text in rewritten)
    return plan
