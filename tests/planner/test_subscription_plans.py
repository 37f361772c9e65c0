"""Subscription plans beyond the conformance scenario (43): what Apollo has no text for."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from graphql import parse

from planner.planning import QueryPlanner, QueryPlanningError
from planner.query_plan import Fetch, Sequence, Subscription
from planner.supergraph import load_supergraph

SUPERGRAPH = (
    Path(__file__).parent
    / "scenarios"
    / "_supergraphs"
    / "subscriptions"
    / "supergraph.graphql"
)


@functools.cache
def _planner() -> QueryPlanner:
    return QueryPlanner(load_supergraph(SUPERGRAPH.read_text(encoding="utf-8")))


def test_subscription_primary_is_a_subscription_to_the_root_subgraph() -> None:
    plan = _planner().plan(
        parse("subscription S { reviewAdded { body author { name } } }")
    )
    assert isinstance(plan.node, Subscription)
    assert plan.node.primary.service_name == "reviews"
    assert plan.node.primary.operation_kind == "subscription"
    assert plan.node.primary.operation.startswith("subscription S__reviews__0")
    assert isinstance(plan.node.rest, Sequence)
    (flatten,) = plan.node.rest.nodes
    assert isinstance(flatten.node, Fetch)  # type: ignore[union-attr]
    assert flatten.node.operation_kind == "query"  # type: ignore[union-attr]


def test_defer_inside_a_subscription_is_ignored() -> None:
    deferred = _planner().plan(
        parse("subscription { reviewAdded { body ... @defer { author { name } } } }")
    )
    whole = _planner().plan(
        parse("subscription { reviewAdded { body author { name } } }")
    )
    assert deferred == whole


def test_conditional_subscription_root_field_is_refused_with_a_code() -> None:
    with pytest.raises(QueryPlanningError) as raised:
        _planner().plan(
            parse(
                "subscription S($on: Boolean!) {"
                " reviewAdded @include(if: $on) { body author { name } } }"
            )
        )
    assert raised.value.code == "QUERY_PLANNING_FAILED"
