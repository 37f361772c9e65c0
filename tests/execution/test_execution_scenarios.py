"""The planner scenarios' ``execution`` runs: our plan, executed against scripted subgraphs.

Each run of a scenario's ``case.yaml`` (tests/support/plan_cases.py documents the keys)
lists, per subgraph in plan order, the request it must receive (``variables``, with
``representations`` in full and in order) and the body it answers, then the response
the client must get. Here the operation is planned by our planner, each subgraph is a
loopback HTTP app that plays its script (and fails the run on an unexpected request),
and the plan is executed and shaped by the router's own executor and shaper.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncIterator, Mapping
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from graphql import parse
from support.plan_cases import ScenarioCase, load_scenarios

from planner.planning import QueryPlanner
from planner.planning.client_aliases import planner_field_names
from planner.supergraph import load_supergraph
from router.execution import (
    ResponseShaper,
    SubgraphClient,
    SubgraphEndpoint,
    execute_plan,
)

RUNS = [
    (scenario, index)
    for scenario in load_scenarios()
    for index in range(len(scenario.execution))
]


class _Script:
    """The scripted subgraphs of one run: what each must receive, what it answers."""

    def __init__(self, requests: list[Mapping[str, Any]]) -> None:
        self.queues: dict[str, deque[Mapping[str, Any]]] = {}
        for request in requests:
            self.queues.setdefault(request["service"], deque()).append(request)
        self.problems: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        service = request.match_info["service"]
        body = await request.json()
        queue = self.queues.get(service)
        if not queue:
            self.problems.append(f"{service}: unexpected request {body.get('query')}")
            return web.json_response({"errors": [{"message": "unexpected"}]})
        scripted = queue.popleft()
        for name, value in (scripted.get("variables") or {}).items():
            got = (body.get("variables") or {}).get(name)
            if got != value:
                self.problems.append(
                    f"{service}: variable {name} was {json.dumps(got)}, "
                    f"the script expects {json.dumps(value)}"
                )
        return web.json_response(
            scripted["response"], status=scripted.get("http_status", 200)
        )


class _ScriptedSubgraphs:
    """One loopback app serving every subgraph at ``/<service>`` from ``script``."""

    def __init__(self) -> None:
        self.script = _Script([])
        self.base = ""

    async def handle(self, request: web.Request) -> web.Response:
        return await self.script.handle(request)


@pytest_asyncio.fixture
async def subgraphs() -> AsyncIterator[_ScriptedSubgraphs]:
    served = _ScriptedSubgraphs()
    app = web.Application()
    app.router.add_post("/{service}", served.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    served.base = f"http://127.0.0.1:{port}"
    try:
        yield served
    finally:
        await runner.cleanup()


def _errors_match(expected: list[Mapping[str, Any]], got: list[Any]) -> bool:
    if len(expected) != len(got):
        return False
    for want, error in zip(expected, got, strict=True):
        for key, value in want.items():
            if key == "extensions":
                extensions = error.get("extensions") or {}
                if any(extensions.get(k) != v for k, v in value.items()):
                    return False
            elif error.get(key) != value:
                return False
    return True


@pytest.mark.parametrize(
    ("scenario", "index"),
    RUNS,
    ids=[f"{scenario.name}-{index}" for scenario, index in RUNS],
)
async def test_our_plan_for_the_scenario_gives_the_scripted_response(
    scenario: ScenarioCase, index: int, subgraphs: _ScriptedSubgraphs
) -> None:
    run = scenario.execution[index]
    operation = next(op for op in scenario.operations if op.id == run["operation"])
    supergraph = load_supergraph(scenario.graph.supergraph_sdl())
    script = subgraphs.script = _Script(list(run["requests"]))
    client = SubgraphClient(
        {
            name: SubgraphEndpoint(name, f"{subgraphs.base}/{name}")
            for name in supergraph.subgraph_names
        }
    )
    variables = dict(run.get("variables") or {})
    try:
        document = parse(operation.query)
        plan = QueryPlanner(supergraph).plan(document, operation.operation_name)
        result = await execute_plan(
            plan, variables=variables, client=client, schema=supergraph.schema
        )
        shaper = ResponseShaper.compile(
            supergraph.api_schema,
            document,
            operation.operation_name,
            planner_field_names(supergraph),
        )
        response = shaper.shape(result.data, result.errors, variables)
    finally:
        await client.close()
    leftover = {s: len(q) for s, q in script.queues.items() if q}
    assert not script.problems, script.problems
    assert not leftover, f"scripted requests never sent: {leftover}"
    expected = run["response"]
    assert json.dumps(response.get("data")) == json.dumps(expected.get("data"))
    assert _errors_match(
        list(expected.get("errors") or []), response.get("errors") or []
    ), (
        f"errors {json.dumps(response.get('errors'))} do not match "
        f"{json.dumps(expected.get('errors'))}"
    )
