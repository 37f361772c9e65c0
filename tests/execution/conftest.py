"""Execution tests: hand-picked plans run against real subgraphs on loopback.

The example subgraphs run as real processes (`python -m subgraphs.<name> --port 0`), one
set for the session. Plans come from `apollo_plans.json` (Apollo's planner's JSON plans for
`cases.json`, checked by `test_execution_apollo_plans.py`) or are written by hand.
Misbehaving subgraphs are small aiohttp apps started inside the test (`loopback_app`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from graphql import parse, validate

from planner.plan_json import plan_from_json
from planner.planning.client_aliases import planner_field_names
from planner.query_plan import QueryPlan
from planner.supergraph import load_supergraph
from planner.supergraph.model import Supergraph
from router.execution import (
    ResponseShaper,
    SubgraphClient,
    SubgraphEndpoint,
    execute_plan,
)

HERE = Path(__file__).parent
REPO = HERE.parents[1]


@pytest.fixture(scope="session")
def cases() -> dict[str, dict[str, Any]]:
    """`cases.json` with each case's stored Apollo plan under "plan"."""
    queries = json.loads((HERE / "cases.json").read_text())
    plans = json.loads((HERE / "apollo_plans.json").read_text())
    return {
        name: {**case, "plan": plan_from_json(plans[name])}
        for name, case in queries.items()
    }


@pytest.fixture(scope="session")
def supergraph() -> Supergraph:
    return load_supergraph((REPO / "supergraph.graphql").read_text())


# --- the example subgraphs as processes (shared, tests/conftest.py) -------------------


@pytest.fixture(scope="session")
def subgraph_urls(example_urls: dict[str, str]) -> dict[str, str]:
    """The five example subgraphs, shared by the session (tests/conftest.py)."""
    return example_urls


def endpoints_for(
    urls: dict[str, str], overrides: dict[str, dict[str, Any]]
) -> dict[str, SubgraphEndpoint]:
    """Endpoints for ``urls``; ``overrides[name]`` replaces fields of one endpoint."""
    return {
        name: SubgraphEndpoint(name=name, **{"url": url, **overrides.get(name, {})})
        for name, url in urls.items()
    }


@pytest_asyncio.fixture
async def make_client(
    subgraph_urls: dict[str, str],
) -> AsyncIterator[Callable[..., SubgraphClient]]:
    """``make_client(products={"url": ..., "timeout": 0.2})``: a client to the example
    subgraphs with some endpoints replaced; closed when the test ends."""
    made: list[SubgraphClient] = []

    def make(**overrides: dict[str, Any]) -> SubgraphClient:
        made.append(SubgraphClient(endpoints_for(subgraph_urls, overrides)))
        return made[-1]

    yield make
    for subgraph_client in made:
        await subgraph_client.close()


@pytest.fixture
def client(make_client: Callable[..., SubgraphClient]) -> SubgraphClient:
    return make_client()


# --- running an operation end to end (what the pipeline will do) ----------------------

Run = Callable[..., Awaitable[dict[str, Any]]]


async def run_operation(
    supergraph: Supergraph,
    client: SubgraphClient,
    query: str,
    plan: QueryPlan,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> dict[str, Any]:
    document = parse(query)
    problems = validate(supergraph.api_schema, document)
    assert not problems, problems
    variables = variables or {}
    result = await execute_plan(
        plan, variables=variables, client=client, schema=supergraph.schema
    )
    shaper = ResponseShaper.compile(
        supergraph.api_schema,
        document,
        operation_name,
        planner_field_names(supergraph),
    )
    return shaper.shape(result.data, result.errors, variables)


@pytest.fixture
def run_case(
    cases: dict[str, dict[str, Any]], supergraph: Supergraph, client: SubgraphClient
) -> Run:
    """Runs a stored case against the example subgraphs; returns the client response."""

    async def run(
        name: str,
        variables: dict[str, Any] | None = None,
        subgraph_client: SubgraphClient | None = None,
    ) -> dict[str, Any]:
        case = cases[name]
        return await run_operation(
            supergraph,
            subgraph_client or client,
            case["query"],
            case["plan"],
            variables,
            case.get("operationName"),
        )

    return run


@pytest.fixture
def run_plan(supergraph: Supergraph, client: SubgraphClient) -> Run:
    """Runs a hand-written plan for ``query``; returns the client response."""

    async def run(
        query: str,
        plan: QueryPlan,
        variables: dict[str, Any] | None = None,
        subgraph_client: SubgraphClient | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        return await run_operation(
            supergraph,
            subgraph_client or client,
            query,
            plan,
            variables,
            operation_name,
        )

    return run


@pytest_asyncio.fixture
async def subgraph_query(
    subgraph_urls: dict[str, str],
) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """Asks one example subgraph directly; returns `data` (asserting no errors)."""
    direct = SubgraphClient(endpoints_for(subgraph_urls, {}))

    async def query(
        name: str, text: str, variables: dict[str, Any] | None = None
    ) -> Any:
        response = await direct.post(
            name, {"query": text, "variables": variables or {}}
        )
        assert "errors" not in response.body, response.body
        return response.body["data"]

    yield query
    await direct.close()


# --- small misbehaving subgraphs ------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest_asyncio.fixture
async def loopback_app() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """Starts an aiohttp app answering POST /graphql with ``handler``; returns its URL."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> str:
        app = web.Application()
        app.router.add_post("/graphql", handler)
        runner = web.AppRunner(app, shutdown_timeout=0.1)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        runners.append(runner)
        port = runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/graphql"

    yield start
    for runner in runners:
        await runner.cleanup()


@pytest_asyncio.fixture
async def recording_proxy(
    loopback_app: Callable[[Handler], Awaitable[str]],
) -> AsyncIterator[Callable[[str], Awaitable[tuple[str, list[dict[str, Any]]]]]]:
    """``url, requests = await recording_proxy(target)``: a proxy in front of a real
    subgraph that keeps every GraphQL request body it forwards."""
    sessions: list[aiohttp.ClientSession] = []

    async def start(target: str) -> tuple[str, list[dict[str, Any]]]:
        requests: list[dict[str, Any]] = []
        session = aiohttp.ClientSession(trust_env=False)
        sessions.append(session)

        async def forward(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            requests.append(json.loads(body))
            async with session.post(
                target, data=body, headers={"content-type": "application/json"}
            ) as answer:
                return web.Response(
                    body=await answer.read(),
                    status=answer.status,
                    content_type="application/json",
                )

        return await loopback_app(forward), requests

    yield start
    for session in sessions:
        await session.close()
