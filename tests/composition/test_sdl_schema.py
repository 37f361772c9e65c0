"""`build_sdl_schema` reports what graphql-core's SDL validation reports, in its order."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import GraphQLSyntaxError, build_ast_schema, parse, print_schema
from graphql.validation.specified_rules import specified_sdl_rules

from planner.composition.sdl_schema import build_sdl_schema

_CASES = Path(__file__).parent / "cases"

_INVALID = [
    "type Query { a: Missing }",
    "type Query { a: Int @unknown }",
    "directive @d on OBJECT\ntype Query { a: Int @d }",
    "directive @d on FIELD_DEFINITION\ntype Query @d { a: Int @d @d }",
    "type Query { a: Int a: String }",
    "type Query { a(x: Int, x: Int): Int }",
    "directive @d(x: Int) on FIELD_DEFINITION\ntype Query { a: Int @d(y: 1) }",
    "directive @d(x: Int!) on FIELD_DEFINITION\ntype Query { a: Int @d }",
    "directive @d(x: Int, x: Int) on FIELD_DEFINITION\ntype Query { a: Int }",
    "directive @d(x: In) on FIELD_DEFINITION\ntype Query { a: Int @d(x: 1, x: 2) }",
    "directive @d(x: I) on FIELD_DEFINITION\ninput I { a: Int }\ntype Query { a: Int @d(x: {a: 1, a: 2}) }",
    "enum E { A A }\ntype Query { a: E }",
    "type Query { a: Int }\ntype Query { b: Int }",
    "type Query { a: Int }\nextend union Query = A",
    "extend type Nope { a: Int }\ntype Query { a: Int }",
    "schema { query: Query query: Query }\ntype Query { a: Int }",
    "schema { query: Query }\nschema { query: Query }\ntype Query { a: Int }",
    "directive @d on OBJECT\ndirective @d on OBJECT\ntype Query { a: Int }",
    "interface I { a: Missing }\ntype Query implements I & J { a: Int }",
    'type Query { a(x: [In!] = [1]): Int @deprecated(reason: "x", reason: "y") }',
    "input I { a: Int = 1 b: Unknown }\nscalar S @specifiedBy(url: 1)\ntype Query { a(i: I): S }",
]


def _graphql_core(document: object) -> object:
    try:
        return print_schema(build_ast_schema(document, assume_valid_sdl=False))  # type: ignore[arg-type]
    except TypeError as exc:
        return ("TypeError", str(exc))


def _ours(document: object) -> object:
    try:
        return print_schema(build_sdl_schema(document))  # type: ignore[arg-type]
    except TypeError as exc:
        return ("TypeError", str(exc))


def test_no_sdl_rule_visits_the_nodes_the_walk_leaves_out() -> None:
    for rule in specified_sdl_rules:
        for kind in ("name", "string_value"):
            assert not hasattr(rule, f"enter_{kind}"), rule
            assert not hasattr(rule, f"leave_{kind}"), rule
        assert not hasattr(rule, "leave"), rule


@pytest.mark.parametrize("sdl", _INVALID)
def test_invalid_sdl_fails_as_graphql_core_fails(sdl: str) -> None:
    document = parse(sdl)
    expected = _graphql_core(document)
    assert isinstance(expected, tuple)
    assert _ours(document) == expected


def test_corpus_subgraphs_build_as_graphql_core_builds_them() -> None:
    paths = sorted(_CASES.glob("*/*.graphql"))
    assert paths
    for path in paths:
        if path.name == "supergraph.graphql":
            continue
        try:
            document = parse(path.read_text())
        except GraphQLSyntaxError:
            continue
        assert _ours(document) == _graphql_core(document), path
