"""Checking a persisted-query list against a schema: does every operation still run?

`router persisted-queries check` runs it against a supergraph's API schema, and `router
check` against the API schema a change would serve, so that a change breaking an
operation registered clients send fails CI, naming the operation. Each operation is
parsed and validated exactly as the router does for a request (`DocumentCache`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLSchema

from router.cache.codes import PERSISTED_QUERY_INVALID
from router.cache.manifest import ManifestOperation

__all__ = ["PERSISTED_QUERY_INVALID", "InvalidOperation", "invalid_operations"]

# The router's default `limits.parser_max_tokens`.
_MAX_TOKENS = 15_000


@dataclass(frozen=True, slots=True)
class InvalidOperation:
    """A manifest operation and the coded GraphQL errors the schema gives it."""

    operation: ManifestOperation
    errors: list[dict[str, Any]]

    @property
    def title(self) -> str:
        """`Name (id ..., source where)`: how reports name the operation."""
        op = self.operation
        name = op.name or "(anonymous)"
        return f"{name} (id {op.id}, {op.source} {op.where})"

    def to_json(self) -> dict[str, Any]:
        op = self.operation
        return {
            "id": op.id,
            "name": op.name,
            "type": op.type,
            "clientName": op.client_name,
            "manifest": op.source,
            "where": op.where,
            "errors": self.errors,
        }


def invalid_operations(
    operations: Sequence[ManifestOperation],
    schema: GraphQLSchema,
    max_tokens: int = _MAX_TOKENS,
) -> list[InvalidOperation]:
    """The operations that do not parse or validate against `schema`, in list order."""
    # Imported here: router.server pulls in the HTTP server, which CLI checks need not.
    from router.server.documents import DocumentCache

    documents = DocumentCache(schema, max(1, len(operations)), max_tokens=max_tokens)
    invalid = []
    for operation in operations:
        prepared = documents.get(operation.body)
        if prepared.errors:
            invalid.append(InvalidOperation(operation, prepared.errors))
    return invalid
