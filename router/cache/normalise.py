"""The form in which a safelist compares operation bodies (Apollo Router's).

Apollo Router's `FreeformGraphQLSafelist` (persisted_queries/freeform_graphql_behavior.rs)
compares documents after sorting the operations by name, then the fragments by name,
and printing them in the default format: ignored tokens (whitespace, commas, comments)
and the order of definitions do not matter; the order of fields does. A body that does
not parse is compared as it is, byte for byte.
"""

from __future__ import annotations

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLError,
    OperationDefinitionNode,
    parse,
    print_ast,
)

__all__ = ["normalised_body", "normalised_text"]


def normalised_body(document: DocumentNode) -> str:
    """`document`'s operations sorted by name (anonymous first), then its fragments
    sorted by name, printed by graphql-core."""
    operations = sorted(
        (d for d in document.definitions if isinstance(d, OperationDefinitionNode)),
        key=lambda op: (op.name is not None, op.name.value if op.name else ""),
    )
    fragments = sorted(
        (d for d in document.definitions if isinstance(d, FragmentDefinitionNode)),
        key=lambda fragment: fragment.name.value,
    )
    return print_ast(DocumentNode(definitions=(*operations, *fragments)))


def normalised_text(text: str, max_tokens: int | None = None) -> str:
    """`text` normalised, or `text` itself when it does not parse."""
    try:
        document = parse(text, no_location=True, max_tokens=max_tokens)
    except (GraphQLError, RecursionError):
        return text
    return normalised_body(document)
