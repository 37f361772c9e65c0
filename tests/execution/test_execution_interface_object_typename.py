"""An object first met in an @interfaceObject subgraph carries the interface's name as
its `__typename`; the interface's own subgraph then tells its runtime type, which must
replace it (and a runtime type already known must not be replaced by the interface's
name). Two loopback subgraphs answer as the scenario's `ratings` and `library` would.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web
from graphql import parse

from planner.planning import QueryPlanner
from planner.planning.client_aliases import planner_field_names
from planner.supergraph import load_supergraph
from router.execution import ResponseShaper, SubgraphClient, execute_plan
from router.execution.subgraph_client import SubgraphEndpoint

SUPERGRAPH = (
    Path(__file__).parents[1]
    / "planner/scenarios/_supergraphs/interface-object/supergraph.graphql"
)
QUERY = "{ iFromRatings { __typename stars ... on Book { author } ... on Movie { director } } }"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _answer(data: dict[str, Any]) -> Handler:
    async def handle(request: web.Request) -> web.StreamResponse:
        return web.json_response({"data": data})

    return handle


async def _run(loopback_app: Callable[[Handler], Awaitable[str]], runtime: str) -> Any:
    supergraph = load_supergraph(SUPERGRAPH.read_text())
    ratings = await loopback_app(
        _answer({"iFromRatings": {"__typename": "Media", "id": "1", "stars": 4}})
    )
    entity = {"__typename": runtime}
    entity.update({"author": "Ann"} if runtime == "Book" else {"director": "Dan"})
    library = await loopback_app(_answer({"_entities": [entity]}))
    client = SubgraphClient(
        {
            name: SubgraphEndpoint(name=name, url=url)
            for name, url in (("ratings", ratings), ("library", library))
        }
    )
    try:
        document = parse(QUERY)
        plan = QueryPlanner(supergraph).plan(document, None)
        result = await execute_plan(
            plan, variables={}, client=client, schema=supergraph.schema
        )
    finally:
        await client.close()
    shaper = ResponseShaper.compile(
        supergraph.api_schema, document, None, planner_field_names(supergraph)
    )
    return shaper.shape(result.data, result.errors, {})


async def test_the_runtime_type_learnt_from_the_interface_subgraph_is_kept(
    loopback_app: Callable[[Handler], Awaitable[str]],
) -> None:
    assert await _run(loopback_app, "Book") == {
        "data": {"iFromRatings": {"__typename": "Book", "stars": 4, "author": "Ann"}}
    }
    assert await _run(loopback_app, "Movie") == {
        "data": {"iFromRatings": {"__typename": "Movie", "stars": 4, "director": "Dan"}}
    }
