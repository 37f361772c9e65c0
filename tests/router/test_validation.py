"""The router's validation (`router.validation`) is graphql-core's, only faster:
the same methods for every rule and node kind, the same errors for every document."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import (
    GraphQLSchema,
    TypeInfo,
    ValidationContext,
    parse,
    specified_rules,
    validate,
)
from graphql.language import ast

from planner.supergraph import load_supergraph
from router.validation import SPECIFIED_RULES, validate_document

REPO = Path(__file__).resolve().parents[2]
SCHEMA: GraphQLSchema = load_supergraph(
    (REPO / "supergraph.graphql").read_text()
).api_schema
KINDS = sorted(
    {
        node.kind
        for node in vars(ast).values()
        if isinstance(node, type) and issubclass(node, ast.Node) and node.kind
    }
)


def _unbound(method: object) -> object:
    return getattr(method, "__func__", method)


@pytest.mark.parametrize("kind", KINDS)
def test_every_rule_finds_the_methods_graphql_core_finds(kind: str) -> None:
    context = ValidationContext(
        SCHEMA, parse("{ me { id } }"), TypeInfo(SCHEMA), lambda error: None
    )
    for ours, theirs in zip(SPECIFIED_RULES, specified_rules, strict=True):
        assert issubclass(ours, theirs)
        found = ours(context).get_enter_leave_for_kind(kind)
        expected = theirs(context).get_enter_leave_for_kind(kind)
        assert [_unbound(m) for m in found] == [_unbound(m) for m in expected], (
            theirs.__name__,
            kind,
        )


DOCUMENTS = [
    "{ me { id username reviews { body product { upc name } } } }",
    "query Q($n: Int = 2) { topProducts(first: $n) { upc ... on Book { id } } }",
    "{ me { nope } }",
    "{ me { username(arg: 1) } }",
    "query Q($n: Int) { topProducts(first: $m) { upc } }",
    "query Q($n: Int) { me { id } }",
    "query Q { me { id } } query Q { me { id } }",
    "{ me { id } } query Named { me { id } }",
    "fragment F on User { id } { me { id } }",
    "{ me { ...Missing } }",
    "fragment F on User { ...F } { me { ...F } }",
    "{ me { id @skip(if: true) @skip(if: false) } }",
    "{ me { id @unknown } }",
    "{ me { reviews } }",
    "{ me { id { x } } }",
    '{ topProducts(first: "two") { upc } }',
    "{ a: me { id } a: me { username } }",
    "subscription { a: me { id } b: me { id } }",
    "{ me { ... on Product { upc } } }",
    "query Q($v: User) { me { id } }",
    '{ product(upc: "UPC-0001") { upc upc: name } }',
]


@pytest.mark.parametrize("query", DOCUMENTS)
def test_errors_are_graphql_cores(query: str) -> None:
    document = parse(query)
    assert [e.formatted for e in validate_document(SCHEMA, document)] == [
        e.formatted for e in validate(SCHEMA, document)
    ]


def test_the_error_limit_is_graphql_cores() -> None:
    document = parse("{ " + " ".join(f"f{i}" for i in range(10)) + " }")
    ours = validate_document(SCHEMA, document, max_errors=3)
    assert [e.message for e in ours] == [
        e.message for e in validate(SCHEMA, document, max_errors=3)
    ]
    assert len(ours) == 4  # three, then "Too many validation errors"
