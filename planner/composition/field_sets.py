"""Field sets (`@key(fields:)`, `@requires`, `@provides`): parsing and walking them against a subgraph."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from graphql import FieldNode, GraphQLSyntaxError, InlineFragmentNode, SelectionSetNode

from planner.composition.subgraph_model import FieldDef, Subgraph, TypeDef
from planner.composition.type_refs import named_type
from planner.supergraph import fieldsets

__all__ = ["FieldSetError", "SelectedField", "parse_field_set", "walk_field_set"]


class FieldSetError(Exception):
    """The field set does not parse, or selects something that does not exist."""


@dataclass(frozen=True, slots=True)
class SelectedField:
    parent: TypeDef
    field: FieldDef
    node: FieldNode
    depth: int  # 0 for fields of the field set's own type


def parse_field_set(text: str) -> SelectionSetNode:
    try:
        return fieldsets.parse_field_set(text)
    except GraphQLSyntaxError as exc:
        raise FieldSetError(f"syntax error: {exc.message}") from None


def walk_field_set(
    subgraph: Subgraph, type_name: str, text: str
) -> list[SelectedField]:
    """Every field a field set selects, resolved against the subgraph's types."""
    selection_set = parse_field_set(text)
    return list(_walk(subgraph, subgraph.types[type_name], selection_set, 0))


def _walk(
    subgraph: Subgraph, parent: TypeDef, selection_set: SelectionSetNode, depth: int
) -> Iterator[SelectedField]:
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = (
                selection.type_condition.name.value
                if selection.type_condition
                else parent.name
            )
            target = subgraph.types.get(condition)
            if target is None:
                raise FieldSetError(f'Unknown type "{condition}"')
            yield from _walk(subgraph, target, selection.selection_set, depth)
            continue
        if not isinstance(selection, FieldNode):
            raise FieldSetError("field sets cannot use fragment spreads")
        name = selection.name.value
        if name == "__typename":
            continue
        if parent.kind not in ("OBJECT", "INTERFACE"):
            raise FieldSetError(f'Cannot query field "{name}" on type "{parent.name}"')
        field = parent.fields.get(name)
        if field is None:
            raise FieldSetError(
                f'Cannot query field "{name}" on type "{parent.name}" (if the field is defined in another subgraph, you need to add it to this subgraph with @external).'
            )
        yield SelectedField(parent, field, selection, depth)
        target = subgraph.types.get(named_type(field.type))
        if selection.selection_set is not None:
            if target is None or target.kind not in ("OBJECT", "INTERFACE", "UNION"):
                raise FieldSetError(
                    f'Field "{parent.name}.{name}" of type "{field.type}" must not have a selection since type "{named_type(field.type)}" has no subfields.'
                )
            yield from _walk(subgraph, target, selection.selection_set, depth + 1)
        elif target is not None and target.kind in ("OBJECT", "INTERFACE", "UNION"):
            raise FieldSetError(
                f'Field "{parent.name}.{name}" of type "{field.type}" must have a selection of subfields. Did you mean "{name} {{ ... }}"?'
            )
