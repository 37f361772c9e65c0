"""Our planner's plans execute to the same responses as Apollo's plans for each case.

The stored Apollo plans are the reference; the planner's plans may differ in shape (fetch
order, grouping) but must give the client the same response. The mutation case is left
out: it changes the orders subgraph, so two runs differ by design.
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import parse

from planner.planning import QueryPlanner

CASE_VARIABLES: dict[str, dict[str, Any]] = {
    "interface_object_single": {"id": "book-2"},
    "variables": {"n": 3, "upc": "UPC-0010"},
    "skip_include": {"withReviews": True, "hideName": True},
}
CASES = [
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
]


@pytest.fixture(scope="module")
def planner(supergraph: Any) -> QueryPlanner:
    return QueryPlanner(supergraph)


@pytest.mark.parametrize("name", CASES)
async def test_our_plan_gives_the_response_apollos_plan_gives(
    name: str,
    cases: dict[str, Any],
    planner: QueryPlanner,
    run_case: Any,
    run_plan: Any,
) -> None:
    case = cases[name]
    variables = CASE_VARIABLES.get(name)
    ours = planner.plan(parse(case["query"]), case.get("operationName"))

    expected = await run_case(name, variables)
    got = await run_plan(
        case["query"], ours, variables, operation_name=case.get("operationName")
    )

    assert "errors" not in expected
    assert got == expected
