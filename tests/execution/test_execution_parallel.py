"""``Parallel`` nodes: every branch starts together, and stops with the execution.

The executor runs a Parallel's children as tasks it awaits itself (not through
``asyncio.gather``); these pin what gather gave: all branches in flight at once, and
none left running when the execution is cancelled. The subgraph is an in-process
``post``: the behaviour is the task handling, not the network.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from graphql import build_schema

from planner.query_plan import Fetch, Parallel, QueryPlan
from router.execution import SubgraphClient, execute_plan
from router.execution.subgraph_client import SubgraphResponse

SCHEMA = build_schema("type Query { a: Int b: Int c: Int }")


def root_fetch(service: str, field: str) -> Fetch:
    return Fetch(
        service_name=service,
        operation=f"{{{field}}}",
        operation_name=None,
        operation_kind="query",
    )


PLAN = QueryPlan(
    Parallel((root_fetch("one", "a"), root_fetch("two", "b"), root_fetch("three", "c")))
)


async def test_parallel_branches_are_all_in_flight_before_any_answers() -> None:
    started: list[str] = []
    all_started = asyncio.Event()

    async def post(
        subgraph: str, payload: dict[str, Any], headers: Any
    ) -> SubgraphResponse:
        started.append(subgraph)
        if len(started) == 3:
            all_started.set()
        await all_started.wait()  # only answers once every branch has asked
        field = payload["query"].strip("{}")
        return SubgraphResponse(200, {}, {"data": {field: len(started)}})

    result = await asyncio.wait_for(
        execute_plan(
            PLAN, variables={}, client=SubgraphClient({}), schema=SCHEMA, post=post
        ),
        timeout=5,
    )

    assert started == ["one", "two", "three"]  # in plan order
    assert result.data == {"a": 3, "b": 3, "c": 3}
    assert result.errors == []


async def test_cancelling_the_execution_cancels_every_parallel_branch() -> None:
    in_flight: set[str] = set()
    cancelled: set[str] = set()
    all_started = asyncio.Event()

    async def post(
        subgraph: str, payload: dict[str, Any], headers: Any
    ) -> SubgraphResponse:
        in_flight.add(subgraph)
        if len(in_flight) == 3:
            all_started.set()
        try:
            await asyncio.Event().wait()  # never answers
        except asyncio.CancelledError:
            cancelled.add(subgraph)
            raise
        raise AssertionError("unreachable")

    execution = asyncio.ensure_future(
        execute_plan(
            PLAN, variables={}, client=SubgraphClient({}), schema=SCHEMA, post=post
        )
    )
    await asyncio.wait_for(all_started.wait(), timeout=5)
    execution.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await execution
    for _ in range(3):  # the branches' cancellations run in the next steps
        await asyncio.sleep(0)

    assert cancelled == {"one", "two", "three"}
