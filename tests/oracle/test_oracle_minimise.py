"""The minimiser keeps only what a disagreement needs.

Its search runs against a stand-in judge here (a disagreement is "the operation still
selects `name` right under `author`"), so the test is about the shrinking itself: the
campaign's real disagreements are what `make fuzz` prints minimised.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse, print_ast

from oracle import minimise
from oracle.harness import CheckedOperation, Disagreement
from oracle.world import World

WORLD = World(
    name="minimise",
    subgraphs={"a": "type Query { x: Int }", "b": "type T { y: Int }", "c": "scalar S"},
    records={"r1": {"__typename": "T", "y": 1}, "r2": {"__typename": "T", "y": 2}},
    query={"x": 1, "list": [1, 2, 3]},
)
QUERY = """
query Big($skip: Boolean!, $n: Int) {
  reviews(first: $n) { body rating author { id name friends { name } } }
  extra: reviews { body }
  topProducts @skip(if: $skip) { upc name price }
}
"""


async def test_the_operation_and_world_shrink_to_what_still_disagrees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks: list[str] = []

    async def judge(
        session: Any,
        server: Any,
        world: World,
        operation: CheckedOperation,
        kinds: tuple[str, ...],
        budget: Any,
    ) -> Disagreement | None:
        checks.append(operation.query)
        text = " ".join(print_ast(parse(operation.query)).split())
        if "author { name" in text or "author { id name" in text:
            return Disagreement(world, operation, kinds, "", None, None)
        return None

    monkeypatch.setattr(minimise, "_recheck", judge)
    found = Disagreement(
        WORLD,
        CheckedOperation(QUERY, {"skip": False, "n": 2}, "Big"),
        ("data",),
        "",
        None,
        None,
    )
    smallest = await minimise.minimise(None, found)  # type: ignore[arg-type]
    document = " ".join(smallest.operation.query.split())
    assert document == "query Big { reviews { author { name } } }"
    assert smallest.operation.variables == {}
    # The world shrank too: the judge accepts any world, so only two subgraphs (the
    # least composition needs) and no records or list items are left.
    assert len(smallest.world.subgraphs) == 2
    assert smallest.world.records == {}
    assert checks, "the judge was asked"
