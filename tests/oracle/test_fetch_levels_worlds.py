"""Plans in same-level stages answer exactly what Apollo's plan shape answers, over
generated worlds.

``planner.planning.fetch_levels`` regroups a plan's fetches into stages (one request per
subgraph per stage). For worlds of a fixed seed and random operations over each, every
operation whose plan the stages change runs through two routers over the oracle's
subgraph server, one with ``supergraph.query_planning.merge_same_level_fetches`` on (the
default) and one with it off: the two responses must be identical (data, key order,
errors), the staged one must be the monolith's answer, no subgraph may see a request a
correct router never sends, and the staged router must send fewer requests in all
(per operation Apollo's shape may be lucky: its batching takes whatever fetches happen
to become ready together).
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
from graphql import parse

from oracle.generate import generate_world
from oracle.harness import (
    OracleServer,
    RouterUnderTest,
    WorldRejected,
    compare,
    compose_world,
)
from oracle.monolith import Monolith
from oracle.operations import operations_for
from oracle.server import world_interfaces
from planner.planning import PlannerConfig, QueryPlanner
from planner.supergraph.model import Supergraph

SEED = 7
# The CI campaign (test_oracle_campaign) already runs staged plans, the default, against
# the monolith over 200 worlds; these 8 compare them with Apollo's shape request by
# request (about 60 operations whose plans the stages change).
WORLDS = range(0, 8)
OPERATIONS = 40


def _router(supergraph: Supergraph, stages: bool) -> RouterUnderTest:
    """A router generation for one supergraph, stages on or off."""
    return RouterUnderTest(
        supergraph,
        "supergraph:\n  query_planning:\n"
        f"    merge_same_level_fetches: {str(stages).lower()}\n",
    )


async def _log(
    session: aiohttp.ClientSession, server: OracleServer, world: str
) -> dict[str, Any]:
    async with session.get(f"{server.url}/worlds/{world}/log") as response:
        log: dict[str, Any] = await response.json()
        return log


async def test_staged_plans_answer_as_apollos_shape_does_in_generated_worlds(
    oracle_server: OracleServer,
) -> None:
    changed = compared = staged_requests = apart_requests = 0
    problems: list[str] = []
    async with aiohttp.ClientSession() as session:
        for index in WORLDS:
            world = generate_world(SEED, index)
            try:
                supergraph = compose_world(world, oracle_server.url)
            except WorldRejected:
                continue
            operations = operations_for(
                world,
                supergraph.api_schema,
                SEED * 1000 + index,
                OPERATIONS,
                defer_share=0.0,  # the operations this test's figures were taken on
            )
            planners = [
                QueryPlanner(supergraph, PlannerConfig(merge_same_level_fetches=on))
                for on in (False, True)
            ]
            differing = []
            for operation in operations:
                document = parse(operation.query)
                apart, staged = (
                    planner.plan(document, operation.operation_name)
                    for planner in planners
                )
                if apart != staged:
                    differing.append(operation)
            if not differing:
                continue
            changed += len(differing)
            async with session.put(
                f"{oracle_server.url}/worlds/{world.name}", data=world.dumps()
            ) as response:
                assert response.status == 200, await response.text()
            monolith = Monolith(
                world, supergraph.api_schema, supergraph.schema, world_interfaces(world)
            )
            routers = {on: _router(supergraph, on) for on in (False, True)}
            try:
                for operation in differing:
                    await _log(session, oracle_server, world.name)  # start afresh
                    apart_body = await routers[False].run(operation)
                    apart_log = await _log(session, oracle_server, world.name)
                    staged_body = await routers[True].run(operation)
                    staged_log = await _log(session, oracle_server, world.name)
                    compared += 1
                    apart_requests += len(apart_log["requests"])
                    staged_requests += len(staged_log["requests"])
                    expected = monolith.execute(
                        operation.query, operation.variables, operation.operation_name
                    )
                    kinds, detail = compare(expected, staged_body)
                    where = f"world {world.name}:\n{operation.query}\n"
                    if json.dumps(staged_body) != json.dumps(apart_body):
                        problems.append(
                            f"{where}staged {json.dumps(staged_body)[:400]}\n"
                            f"apart {json.dumps(apart_body)[:400]}"
                        )
                    if kinds:
                        problems.append(f"{where}against the monolith: {detail}")
                    if staged_log["violations"]:
                        problems.append(f"{where}{staged_log['violations'][:2]}")
            finally:
                for router in routers.values():
                    await router.close()
                async with session.delete(f"{oracle_server.url}/worlds/{world.name}"):
                    pass

    assert not problems, f"{len(problems)} of {compared}:\n\n" + "\n\n".join(
        problems[:3]
    )
    assert compared == changed >= 20, (changed, compared)
    assert staged_requests < apart_requests
