"""The operation a fetch is sent again with after a spread null (router/execution/
spread_nulls.py): the failed fields are gone, the subgraph can still validate it, and it
asks nothing the first fetch did not ask."""

from __future__ import annotations

from graphql import build_schema, parse, print_ast, validate

from router.execution.spread_nulls import pruned_operation

SUBGRAPH = build_schema(
    """
    scalar _Any
    union _Entity = Review
    type Query { _entities(representations: [_Any!]!): [_Entity]! }
    type Review { id: ID! note: String author(n: Int): Author! }
    type Author { name: String open: Boolean! best: Author! }
    """
)

FETCH = (
    "query Op__delta__1($representations: [_Any!]!, $n: Int, $m: Int) "
    "{ _entities(representations: $representations) { ... on Review "
    "{ a: author(n: $n) { open } b: author(n: $m) { name best { open } } } } }"
)


def _pruned(*paths: tuple[str, ...]) -> str:
    pruned = pruned_operation(FETCH, frozenset(("_entities", *p) for p in paths))
    assert pruned is not None
    assert not validate(SUBGRAPH, parse(pruned)), pruned
    return pruned


def _same(expected: str) -> str:
    return print_ast(parse(expected))


def test_a_failed_alias_goes_with_the_variables_only_it_used() -> None:
    assert _pruned(("a",)) == _same(
        "query Op__delta__1($representations: [_Any!]!, $m: Int) "
        "{ _entities(representations: $representations) { ... on Review "
        "{ b: author(n: $m) { name best { open } } } } }"
    )


def test_a_selection_left_empty_keeps_typename() -> None:
    assert _pruned(("a",), ("b",)) == _same(
        "query Op__delta__1($representations: [_Any!]!) "
        "{ _entities(representations: $representations) "
        "{ ... on Review { __typename } } }"
    )


def test_a_nested_field_goes_alone() -> None:
    assert _pruned(("b", "best")) == _same(
        "query Op__delta__1($representations: [_Any!]!, $n: Int, $m: Int) "
        "{ _entities(representations: $representations) { ... on Review "
        "{ a: author(n: $n) { open } b: author(n: $m) { name } } } }"
    )
