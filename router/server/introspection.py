"""Schema introspection beside subgraph fields: `{ __schema { ... } me { id } }`.

The planner plans subgraph fields only, so an operation that mixes both is split: the
root `__schema`/`__type` fields are executed locally by graphql-core on the API schema,
the rest is planned and executed, and their values meet in the data tree the shaper
reads (which copies introspection values as they are).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    REMOVE,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    visit,
)

from router.server.operation import INTROSPECTION_FIELDS

__all__ = ["SplitOperation", "split_introspection", "without_defer"]


@dataclass(frozen=True, slots=True)
class SplitOperation:
    """The operation without its root introspection fields, and those fields alone."""

    planned: DocumentNode
    introspection: DocumentNode


def split_introspection(
    document: DocumentNode, operation: OperationDefinitionNode
) -> SplitOperation | None:
    """None when introspection fields are not all directly in the root selection set
    (e.g. inside a root fragment): such operations are refused rather than split."""
    introspection: list[FieldNode] = []
    others = []
    for selection in operation.selection_set.selections:
        if (
            isinstance(selection, FieldNode)
            and selection.name.value in INTROSPECTION_FIELDS
        ):
            introspection.append(selection)
        else:
            others.append(selection)
    if not introspection:
        return None
    fragments = [
        d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    ]

    def with_selections(selections: list[Any]) -> DocumentNode:
        root = OperationDefinitionNode(
            operation=operation.operation,
            name=operation.name,
            variable_definitions=operation.variable_definitions,
            directives=operation.directives,
            selection_set=SelectionSetNode(selections=tuple(selections)),
        )
        return DocumentNode(definitions=(root, *fragments))

    planned = with_selections(others)
    if _mentions_introspection(planned, fragments):
        return None
    return SplitOperation(planned, with_selections(introspection))


def _mentions_introspection(
    document: DocumentNode, fragments: list[FragmentDefinitionNode]
) -> bool:
    """Whether a root fragment of the planned part still selects __schema or __type."""
    by_name = {f.name.value: f for f in fragments}
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    pending = [operation.selection_set]
    seen: set[str] = set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                if selection.name.value in INTROSPECTION_FIELDS:
                    return True
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in by_name:
                    seen.add(name)
                    pending.append(by_name[name].selection_set)
    return False


class _DropDefer(Visitor):
    def enter_directive(self, node: DirectiveNode, *_args: Any) -> Any:
        return REMOVE if node.name.value == "defer" else None


def without_defer(document: DocumentNode) -> DocumentNode:
    """`document` without its `@defer`s: what local execution runs, as the router answers
    a deferred operation in one merged response (issue 16)."""
    stripped: DocumentNode = visit(document, _DropDefer())
    return stripped
