"""Picking the operation of a document, coercing its variables, classing its root fields."""

from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from graphql.execution.values import get_variable_values

from router.server.documents import PreparedDocument
from router.server.errors import (
    BAD_USER_INPUT,
    GRAPHQL_UNKNOWN_OPERATION_NAME,
    GRAPHQL_VALIDATION_FAILED,
    RequestFailure,
    graphql_error,
)

__all__ = [
    "INTROSPECTION_FIELDS",
    "coerce_variables",
    "root_field_names",
    "select_operation",
]

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
_MAX_VARIABLE_ERRORS = 50


def select_operation(
    prepared: PreparedDocument, operation_name: str | None
) -> OperationDefinitionNode:
    """The operation `operation_name` names, or the only one (spec: GetOperation)."""
    if operation_name is not None:
        operation = prepared.operations.get(operation_name)
        if operation is None:
            raise RequestFailure.of(
                GRAPHQL_UNKNOWN_OPERATION_NAME,
                f'Unknown operation named "{operation_name}"',
                well_formed=True,
            )
        return operation
    if len(prepared.operations) == 1:
        return next(iter(prepared.operations.values()))
    raise RequestFailure.of(
        GRAPHQL_VALIDATION_FAILED,
        "Must provide operation name if query contains multiple operations.",
        well_formed=True,
    )


def coerce_variables(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    variables: dict[str, Any] | None,
) -> dict[str, Any]:
    """Variable values coerced to their declared types, defaults applied."""
    if not operation.variable_definitions:
        return {}  # values for undeclared variables are ignored, as graphql-core does
    try:
        result = get_variable_values(
            schema,
            operation.variable_definitions or (),
            variables or {},
            max_errors=_MAX_VARIABLE_ERRORS,
        )
    except RecursionError:
        raise RequestFailure.of(
            BAD_USER_INPUT, "Variable values are nested too deeply.", well_formed=True
        ) from None
    if isinstance(result, list):
        raise RequestFailure(
            [_bad_input(error) for error in result], 400, well_formed=True
        )
    coerced: dict[str, Any] = result.coerced
    return coerced


def _bad_input(error: GraphQLError) -> dict[str, Any]:
    formatted = graphql_error(BAD_USER_INPUT, error.message)
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    return formatted


def root_field_names(
    prepared: PreparedDocument, operation: OperationDefinitionNode
) -> set[str]:
    """Names of the fields the operation selects on its root type, through fragments."""
    fragments = {
        d.name.value: d
        for d in (prepared.document.definitions if prepared.document else ())
        if isinstance(d, FragmentDefinitionNode)
    }
    names: set[str] = set()
    seen: set[str] = set()
    pending: list[SelectionSetNode] = [operation.selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    pending.append(fragments[name].selection_set)
    return names
