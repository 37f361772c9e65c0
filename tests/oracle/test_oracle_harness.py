"""The oracle itself: it must see what it is there to see.

A subgraph of a world refuses what a correct router never sends (a field it cannot
answer, an @external field no @provides covers, a representation without a key or
without what @requires needs) and logs it; a @requires field is computed from the
representation alone, so a wrong required value gives a wrong answer; generated worlds
are deterministic and compose.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from oracle.generate import generate_world
from oracle.harness import OracleServer, compose_world
from oracle.monolith import Monolith
from oracle.server import world_interfaces
from oracle.world import World

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@external", "@requires", "@provides"])\n'
)
WORLD = World(
    name="harness",
    subgraphs={
        "products": LINK
        + """
type Query { products: [Product!]! }
type Product @key(fields: "upc") { upc: String! name: String weight: Int }
""",
        "reviews": LINK
        + """
type Query { reviews: [Review!]! }
type Review @key(fields: "id") {
  id: ID!
  body: String
  product: Product @provides(fields: "name")
}
type Product @key(fields: "upc") {
  upc: String!
  name: String @external
  weight: Int @external
  shipping: Int @requires(fields: "weight")
}
""",
    },
    records={
        "p1": {"__typename": "Product", "upc": "1", "name": "Table", "weight": 5},
        "r1": {
            "__typename": "Review",
            "id": "r1",
            "body": "ok",
            "product": {"$ref": "p1"},
        },
    },
    query={"products": [{"$ref": "p1"}], "reviews": [{"$ref": "r1"}]},
)


async def _hosted(
    http: aiohttp.ClientSession, server: OracleServer, world: World
) -> None:
    async with http.put(f"{server.url}/worlds/{world.name}", data=world.dumps()) as r:
        assert r.status == 200, await r.text()


async def _post(
    http: aiohttp.ClientSession, server: OracleServer, subgraph: str, body: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    url = server.subgraph_url(WORLD.name, subgraph)
    async with http.post(url, json=body) as response:
        answer = await response.json()
    async with http.get(f"{server.url}/worlds/{WORLD.name}/log") as response:
        log = await response.json()
    return answer, log["violations"]


async def test_a_field_the_subgraph_lacks_is_a_logged_violation(
    http: aiohttp.ClientSession, oracle_server: OracleServer
) -> None:
    await _hosted(http, oracle_server, WORLD)
    answer, violations = await _post(
        http, oracle_server, "products", {"query": "{ products { upc shipping } }"}
    )
    assert answer["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert "Cannot query field 'shipping'" in violations[0]["problems"][0]


async def test_an_external_field_outside_a_provides_is_refused(
    http: aiohttp.ClientSession, oracle_server: OracleServer
) -> None:
    await _hosted(http, oracle_server, WORLD)
    query = "query($r:[_Any!]!){_entities(representations:$r){...on Product{name}}}"
    variables = {"r": [{"__typename": "Product", "upc": "1"}]}
    _, violations = await _post(
        http, oracle_server, "reviews", {"query": query, "variables": variables}
    )
    assert "Product.name is @external" in violations[0]["problems"][0]
    # Below the field whose @provides names it, the same field is answered.
    answer, violations = await _post(
        http, oracle_server, "reviews", {"query": "{ reviews { product { name } } }"}
    )
    assert violations == []
    assert answer["data"] == {"reviews": [{"product": {"name": "Table"}}]}


async def test_requires_is_computed_from_the_representation_only(
    http: aiohttp.ClientSession, oracle_server: OracleServer
) -> None:
    await _hosted(http, oracle_server, WORLD)
    query = "query($r:[_Any!]!){_entities(representations:$r){...on Product{shipping}}}"
    _, violations = await _post(
        http,
        oracle_server,
        "reviews",
        {"query": query, "variables": {"r": [{"__typename": "Product", "upc": "1"}]}},
    )
    assert "lacks Product.weight" in violations[0]["problems"][0]

    supergraph = compose_world(WORLD, oracle_server.url)
    monolith = Monolith(
        WORLD, supergraph.api_schema, supergraph.schema, world_interfaces(WORLD)
    )
    truth = monolith.execute("{ products { shipping } }")["data"]["products"][0]
    right, _ = await _post(
        http,
        oracle_server,
        "reviews",
        {
            "query": query,
            "variables": {"r": [{"__typename": "Product", "upc": "1", "weight": 5}]},
        },
    )
    wrong, _ = await _post(
        http,
        oracle_server,
        "reviews",
        {
            "query": query,
            "variables": {"r": [{"__typename": "Product", "upc": "1", "weight": 6}]},
        },
    )
    assert right["data"]["_entities"][0] == truth
    assert wrong["data"]["_entities"][0] != truth


async def test_a_representation_without_a_key_is_refused(
    http: aiohttp.ClientSession, oracle_server: OracleServer
) -> None:
    await _hosted(http, oracle_server, WORLD)
    query = "query($r:[_Any!]!){_entities(representations:$r){...on Product{name}}}"
    _, violations = await _post(
        http,
        oracle_server,
        "products",
        {"query": query, "variables": {"r": [{"__typename": "Product", "id": "1"}]}},
    )
    assert "carries no complete @key" in violations[0]["problems"][0]


def test_generated_worlds_are_deterministic_and_differ_by_index() -> None:
    assert generate_world(3, 5).to_json() == generate_world(3, 5).to_json()
    assert generate_world(3, 5).to_json() != generate_world(3, 6).to_json()
