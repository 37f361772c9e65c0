"""Parsed and validated documents, cached by query text (an LRU per loaded schema).

A repeated query must not be parsed or validated again; failures are cached too, so a
client repeating a broken query costs one dictionary lookup. The cache belongs to one
schema generation and is dropped with it on reload.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
)

from router.server.errors import (
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    graphql_error,
)
from router.server.selection_fanout import excessive_fanout
from router.telemetry.active import observe_cache, stage_span
from router.validation import validate_document

__all__ = ["DocumentCache", "PreparedDocument"]

_MAX_VALIDATION_ERRORS = 100


@dataclass(slots=True)
class PreparedDocument:
    """A query's parse and validation outcome: a document, or the coded errors."""

    document_hash: str
    document: DocumentNode | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    operations: dict[str | None, OperationDefinitionNode] = field(default_factory=dict)
    # Per operation name: whatever the pipeline derives once (e.g. a compiled shaper).
    derived: dict[Hashable, Any] = field(default_factory=dict)


class DocumentCache:
    """LRU of `PreparedDocument` keyed by query text, for one API schema."""

    def __init__(
        self, schema: GraphQLSchema, max_entries: int, max_tokens: int
    ) -> None:
        self._schema = schema
        self._max_entries = max_entries
        self._max_tokens = max_tokens
        self._entries: OrderedDict[str, PreparedDocument] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, query: str) -> PreparedDocument:
        entry = self.cached(query)
        if entry is not None:
            return entry
        observe_cache("document", False)
        entry = self._prepare(query)
        self._entries[query] = entry
        if len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return entry

    def cached(self, query: str) -> PreparedDocument | None:
        """The entry for `query` if it is cached (counted as a hit), else None."""
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
            observe_cache("document", True)
        return entry

    def _prepare(self, query: str) -> PreparedDocument:
        digest = hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()
        try:
            with stage_span("parse"):
                document = parse(
                    query,
                    no_location=False,
                    max_tokens=self._max_tokens,
                    allow_empty_selection_sets=False,
                )
        except GraphQLError as exc:
            return PreparedDocument(digest, errors=[_coded(exc, GRAPHQL_PARSE_FAILED)])
        except RecursionError:
            return PreparedDocument(
                digest,
                errors=[
                    graphql_error(
                        GRAPHQL_PARSE_FAILED,
                        "Syntax Error: the document is nested too deeply.",
                    )
                ],
            )
        fanout = excessive_fanout(document)
        if fanout is not None:
            return PreparedDocument(
                digest, errors=[graphql_error(GRAPHQL_VALIDATION_FAILED, fanout)]
            )
        try:
            with stage_span("validate"):
                errors = validate_document(
                    self._schema, document, max_errors=_MAX_VALIDATION_ERRORS
                )
        except RecursionError:
            errors = [GraphQLError("The document is nested too deeply to validate.")]
        if errors:
            return PreparedDocument(
                digest, errors=[_coded(e, GRAPHQL_VALIDATION_FAILED) for e in errors]
            )
        operations: dict[str | None, OperationDefinitionNode] = {}
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                name = definition.name.value if definition.name else None
                operations[name] = definition
        return PreparedDocument(digest, document, operations=operations)


def _coded(error: GraphQLError, code: str) -> dict[str, Any]:
    formatted = graphql_error(code, error.message)
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    return formatted
