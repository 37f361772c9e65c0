"""What a fetch's ``requires`` asks of each object: the typename an abstract required
value needs for its type conditions, and which fields fetched under @skip/@include the
representation may go without. Both round-trip through the plan's JSON form, which is
what the plan cache stores and `router plan --json` prints."""

from __future__ import annotations

from graphql import parse

from planner.composition import SubgraphInput, compose
from planner.plan_json import plan_from_json, plan_to_json
from planner.planning import QueryPlanner
from planner.query_plan import RequiredField, RequiredFragment, fetches_in
from planner.supergraph import load_supergraph

LINK = (
    'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", '
    'import: ["@key", "@shareable", "@external", "@requires"])\n'
)

ONE = """
type Query { namedOne: [Named!]! }
interface Named { id: ID! }
type Review implements Named @key(fields: "id") {
  id: ID!
  named: Named
  rank: Int
  title: String! @shareable
}
type Author implements Named @key(fields: "id") { id: ID! }
"""

TWO = """
interface Named { id: ID! }
type Review implements Named @key(fields: "id") {
  id: ID!
  named: Named @external
  rank: Int @external
  title: String! @external
  reqRank: Int @requires(fields: "named { ... on Review { title } }")
  tone: String @requires(fields: "rank")
}
type Author implements Named @key(fields: "id") { id: ID! }
"""


def _planner() -> QueryPlanner:
    result = compose(
        [
            SubgraphInput("one", "http://one.invalid", LINK + ONE),
            SubgraphInput("two", "http://two.invalid", LINK + TWO),
        ]
    )
    assert result.ok and result.supergraph_sdl is not None, result.errors
    return QueryPlanner(load_supergraph(result.supergraph_sdl))


def _required_field(query: str, name: str) -> RequiredField:
    plan = _planner().plan(parse(query), None)
    again = plan_from_json(plan_to_json(plan))
    assert again == plan
    (fetch,) = [f for f in fetches_in(plan.node) if f.requires]
    (fragment,) = fetch.requires or ()
    assert isinstance(fragment, RequiredFragment)
    return next(
        s
        for s in fragment.selections
        if isinstance(s, RequiredField) and s.name == name
    )


def test_an_abstract_required_value_carries_its_typename_for_its_type_conditions() -> (
    None
):
    named = _required_field("{ namedOne { ... on Review { reqRank } } }", "named")
    first = named.selections[0]
    assert isinstance(first, RequiredField) and first.name == "__typename"


def test_a_required_field_under_a_condition_is_needed_while_the_condition_holds() -> (
    None
):
    rank = _required_field(
        "query($skip: Boolean!, $on: Boolean!) { namedOne { ... on Review "
        "@include(if: $on) { tone @skip(if: $skip) } } }",
        "rank",
    )
    assert rank.optional
    assert rank.needed_when == ((("on", True), ("skip", False)),)


def test_a_required_field_also_needed_without_conditions_is_not_optional() -> None:
    rank = _required_field(
        "query($skip: Boolean!) { namedOne { ... on Review { a: tone @skip(if: $skip) "
        "b: tone } } }",
        "rank",
    )
    assert not rank.optional and rank.needed_when == ()
