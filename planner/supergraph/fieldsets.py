"""Parse and walk federation field sets (``@key(fields:)``, ``requires``, ``provides``).

A field set is a selection set without its outer braces: ``"id"``, ``"price weight"``,
``"author { id } ... on Book { isbn }"``. Walking it names each selected field with its
parent type, so callers can check or complete a subgraph schema against it.

https://www.apollographql.com/docs/graphos/reference/federation/directives#key
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from graphql import (
    FieldNode,
    GraphQLSyntaxError,
    InlineFragmentNode,
    SelectionSetNode,
    TokenKind,
)
from graphql.language.parser import Parser

__all__ = ["parse_field_set", "walk_field_set"]

# visit(parent type name, field name) -> the field's named type to descend into, or None.
FieldVisitor = Callable[[str, str], str | None]


@lru_cache(maxsize=1024)
def parse_field_set(field_set: str) -> SelectionSetNode:
    """The field set as a selection set (raises GraphQLSyntaxError if it does not parse).

    Composition, supergraph loading and planning all read field sets here. Text after
    the selection set (``"id } query Q { x"``) is a syntax error, not ignored."""
    parser = Parser("{" + field_set + "}", no_location=True)
    parser.expect_token(TokenKind.SOF)
    selection_set = parser.parse_selection_set()
    parser.expect_token(TokenKind.EOF)
    return selection_set


def walk_field_set(field_set: str, parent: str, visit: FieldVisitor) -> bool:
    """Call ``visit`` for every field the set selects, depth first; False if it does not parse."""
    try:
        selection_set = parse_field_set(field_set)
    except GraphQLSyntaxError:
        return False
    _walk(selection_set, parent, visit)
    return True


def _walk(selection_set: SelectionSetNode, parent: str, visit: FieldVisitor) -> None:
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            if selection.name.value == "__typename":
                continue
            child = visit(parent, selection.name.value)
            if child is not None and selection.selection_set is not None:
                _walk(selection.selection_set, child, visit)
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            _walk(
                selection.selection_set,
                condition.name.value if condition else parent,
                visit,
            )
