"""A fetch declares exactly the client variables its selection uses: read from the
printed selection with GraphQL's lexer, so string values that contain `$`, a backslash
before the closing quote, or block strings never hide or invent a variable."""

from __future__ import annotations

from pathlib import Path

from graphql import parse

from planner.planning import QueryPlanner
from planner.query_plan import Fetch, PlanNode
from planner.supergraph import load_supergraph

SUPERGRAPH = Path(__file__).parents[2] / "supergraph.graphql"


def _fetches(node: PlanNode | None) -> list[Fetch]:
    if node is None:
        return []
    if isinstance(node, Fetch):
        return [node]
    children = getattr(node, "nodes", None) or [getattr(node, "node", None)]
    return [fetch for child in children for fetch in _fetches(child)]


def test_string_values_never_hide_or_invent_variables() -> None:
    planner = QueryPlanner(load_supergraph(SUPERGRAPH.read_text()))
    query = r'''
    query Q($first: Int!, $upc: String!, $unused: String) {
      slash: product(upc: "ends with a backslash \\") { name }
      dollar: product(upc: "costs $unused") { name }
      block: product(upc: """$unused in a block string""") { name }
      topProducts(first: $first) { name }
      product(upc: $upc) { name }
    }
    '''
    plan = planner.plan(parse(query), "Q")
    (fetch,) = _fetches(plan.node)
    assert fetch.variable_usages == ("first", "upc")
    assert "$unused" not in fetch.operation.split("{", 1)[0]
