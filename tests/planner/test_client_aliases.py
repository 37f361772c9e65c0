"""Client aliases named like a field the planner selects on its own (a key, a
``@requires`` field) are fetched under another name in every kind of operation
(``planner.planning.client_aliases``); the oracle and server tests check the answers,
these the plans."""

from __future__ import annotations

import functools
from pathlib import Path

from graphql import parse

from planner.planning import QueryPlanner
from planner.printer import format_query_plan
from planner.query_plan import Fetch, Subscription
from planner.supergraph import load_supergraph

SUPERGRAPH = Path(__file__).resolve().parents[2] / "supergraph.graphql"


@functools.cache
def _planner() -> QueryPlanner:
    return QueryPlanner(load_supergraph(SUPERGRAPH.read_text(encoding="utf-8")))


def test_deferred_operation_fetches_the_alias_under_another_name() -> None:
    plan = _planner().plan(
        parse(
            '{ product(upc: "UPC-0001") { upc: name '
            "... @defer { price: weight shippingEstimate } } }"
        )
    )
    assert plan.client_aliases == ("upc__client_alias", "price__client_alias")
    text = format_query_plan(plan)
    assert "upc__client_alias: name" in text
    assert "price__client_alias: weight" in text


def test_deferred_subselections_show_the_clients_aliases() -> None:
    plan = _planner().plan(
        parse('{ product(upc: "UPC-0001") { upc: name ... @defer { price: weight } } }')
    )
    text = format_query_plan(plan)
    primary, deferred = text.split("Deferred(")
    assert "upc: name" in primary.split("Fetch(")[0]
    assert "price: weight" in deferred.split("Fetch(")[0]


def test_subscription_fetches_the_alias_under_another_name() -> None:
    plan = _planner().plan(
        parse(
            "subscription { id: reviewAdded { id: body "
            "product { upc: name shippingEstimate } } }"
        )
    )
    assert isinstance(plan.node, Subscription)
    assert set(plan.client_aliases) == {"id__client_alias", "upc__client_alias"}
    assert plan.node.primary.operation.startswith("subscription")
    assert "id__client_alias:reviewAdded" in plan.node.primary.operation
    assert "id__client_alias:body" in plan.node.primary.operation


def test_alias_ending_in_the_suffix_gets_it_again() -> None:
    """The client's own `upc__client_alias` and its renamed `upc` never share a
    fetched name."""
    plan = _planner().plan(
        parse(
            '{ product(upc: "UPC-0001") { upc: name upc__client_alias: sku '
            "shippingEstimate } }"
        )
    )
    assert set(plan.client_aliases) == {
        "upc__client_alias",
        "upc__client_alias__client_alias",
    }
    root = plan.node
    while not isinstance(root, Fetch):
        root = root.nodes[0]  # type: ignore[union-attr]
    assert " upc__client_alias:name " in root.operation
    assert " upc__client_alias__client_alias:sku " in root.operation
