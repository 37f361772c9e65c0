"""What a fetch sends: exactly the client variables its selection uses (read with
GraphQL's lexer, so string values holding `$`, a backslash before the closing quote or a
block string never hide or invent one), argument values printed compactly with their
strings intact, and never a field whose `@fromContext` arguments it cannot fill."""

from __future__ import annotations

from pathlib import Path

from graphql import parse

from planner.planning import QueryPlanner
from planner.query_plan import fetches_in
from planner.supergraph import load_supergraph

SUPERGRAPH = Path(__file__).parents[2] / "supergraph.graphql"


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
    (fetch,) = fetches_in(plan.node)
    assert fetch.variable_usages == ("first", "upc")
    assert "$unused" not in fetch.operation.split("{", 1)[0]


def test_compacted_argument_values_keep_their_strings_intact() -> None:
    """Fetch texts print argument values compactly (`[1 2]`, `{k:"a"}`) without touching
    what is inside strings, whatever escapes or block strings they hold."""
    from graphql import print_ast
    from graphql.language import FieldNode, OperationDefinitionNode

    from planner.planning.selection import compact_value

    for source in (
        r'["a\\", "x, y"]',
        r'["\"", "p, q: r"]',
        '"""a "quoted" \\""" b, c: d"""',
        '{k: "a", j: [1, 2]}',
    ):
        document = parse("{ f(a: " + source + ") }")
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        field = operation.selection_set.selections[0]
        assert isinstance(field, FieldNode)
        printed = print_ast(field.arguments[0].value)
        compacted = compact_value(printed)
        again = parse("{ f(a: " + compacted + ") }").definitions[0]
        assert isinstance(again, OperationDefinitionNode)
        again_field = again.selection_set.selections[0]
        assert isinstance(again_field, FieldNode)
        assert print_ast(again_field.arguments[0].value) == printed, compacted


def test_a_field_filled_from_context_is_refused_not_fetched_without_its_arguments() -> (
    None
):
    """`@fromContext` arguments are not planned yet: an operation selecting such a field
    fails with QUERY_PLANNING_FAILED naming it, rather than fetching it with nulls; the
    rest of the supergraph still plans."""
    import pytest

    from planner.planning import QueryPlanningError

    supergraph = load_supergraph(
        (
            Path(__file__).parents[1] / "supergraph/fixtures/context/supergraph.graphql"
        ).read_text()
    )
    planner = QueryPlanner(supergraph)
    with pytest.raises(QueryPlanningError) as refused:
        planner.plan(parse('{ store(id: "1") { products { sku price } } }'))
    assert refused.value.code == "QUERY_PLANNING_FAILED"
    assert "Product.price" in refused.value.message
    assert "@fromContext" in refused.value.message
    plan = planner.plan(parse('{ store(id: "1") { currency products { quantity } } }'))
    assert len(list(fetches_in(plan.node))) == 2
