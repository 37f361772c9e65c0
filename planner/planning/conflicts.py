"""Aliases for response-name conflicts the planner creates in a subgraph query.

Planner-added fields (keys, required fields, exploded fragments) can put two fields with
different types under one response name in sibling fragments (``... on Shirt { owner {
id } }`` where ``id: ID!`` and ``... on Shoe { owner { id } }`` where ``id: String!``),
which the subgraph would reject. The later one is aliased ``<name>__alias_<n>`` and an
output ``KeyRenamer`` renames it back before the result is merged
(QUERY_PLANNING.md §2.6).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from graphql import GraphQLSchema, get_named_type, is_composite_type

from planner.planning.selection import (
    FieldSelection,
    FragmentSelection,
    SelectionTree,
    arguments_key,
)
from planner.query_plan import KeyRenamer

__all__ = ["alias_conflicts"]


@dataclass
class _Occurrence:
    item: FieldSelection
    tree: SelectionTree
    parent_type: str
    type_text: str
    path: tuple[str, ...]


DeclaredType = Callable[[str, str], str | None]
"""(type, field) -> the field's type as the fetched subgraph declares it, when that
differs from the supergraph's (``@join__field(type:)``)."""


def alias_conflicts(
    schema: GraphQLSchema,
    tree: SelectionTree,
    parent_type: str,
    entity: bool,
    declared_type: DeclaredType | None = None,
) -> tuple[KeyRenamer, ...]:
    """Aliases conflicting fields in ``tree`` in place; the renamers that undo it.

    Types are compared as the fetched subgraph declares them: ``code: String!`` on one
    type and ``code: String`` on another conflict there even where the supergraph
    merged both to ``String``."""
    renamers: list[KeyRenamer] = []
    counter = [0]
    lookup = _Types(schema, declared_type or (lambda _type, _field: None))
    _check(lookup, [(tree, parent_type, ())], renamers, counter)
    return tuple(renamers)


class _Types:
    __slots__ = ("declared", "schema")

    def __init__(self, schema: GraphQLSchema, declared: DeclaredType) -> None:
        self.schema = schema
        self.declared = declared


def _check(
    schema: _Types,
    slices: list[tuple[SelectionTree, str, tuple[str, ...]]],
    renamers: list[KeyRenamer],
    counter: list[int],
) -> None:
    entries: dict[str, list[_Occurrence]] = {}
    for tree, parent_type, path in slices:
        _collect(schema, tree, parent_type, path, entries)
    for response_name, occurrences in entries.items():
        reference = occurrences[0]
        kept = [reference]
        for occurrence in occurrences[1:]:
            if _conflicts(schema, reference, occurrence):
                alias = f"{occurrence.item.name}__alias_{counter[0]}"
                counter[0] += 1
                _rename(occurrence, alias)
                renamers.append(KeyRenamer((*occurrence.path, alias), response_name))
            else:
                kept.append(occurrence)
        nested = [
            (o.item.children, _named(schema, o), (*o.path, response_name))
            for o in kept
            if o.item.children is not None
        ]
        if nested:
            _check(schema, nested, renamers, counter)


def _collect(
    schema: _Types,
    tree: SelectionTree,
    parent_type: str,
    path: tuple[str, ...],
    entries: dict[str, list[_Occurrence]],
) -> None:
    for item in tree:
        if isinstance(item, FragmentSelection):
            condition = item.type_condition or parent_type
            _collect(
                schema,
                item.children,
                condition,
                (*path, f"... on {condition}"),
                entries,
            )
            continue
        entries.setdefault(item.response_name, []).append(
            _Occurrence(
                item, tree, parent_type, _type_text(schema, parent_type, item), path
            )
        )


def _type_text(types: _Types, parent_type: str, item: FieldSelection) -> str:
    if item.name == "__typename":
        return "String!"
    declared = types.declared(parent_type, item.name)
    if declared is not None:
        return declared
    parent = types.schema.get_type(parent_type)
    fields = getattr(parent, "fields", None)
    if not fields or item.name not in fields:
        return "?"
    return str(fields[item.name].type)


def _named(types: _Types, occurrence: _Occurrence) -> str:
    parent = types.schema.get_type(occurrence.parent_type)
    fields = getattr(parent, "fields", None) or {}
    field = fields.get(occurrence.item.name)
    return get_named_type(field.type).name if field is not None else "?"


def _conflicts(types: _Types, first: _Occurrence, second: _Occurrence) -> bool:
    """Whether the two fields cannot share a response name in one query."""
    if first.item.name != second.item.name or arguments_key(
        first.item.arguments
    ) != arguments_key(second.item.arguments):
        return True
    if first.type_text == second.type_text:
        return False
    first_name = first.type_text.strip("[]!")
    second_name = second.type_text.strip("[]!")
    same_wrapping = first.type_text.replace(
        first_name, "T"
    ) == second.type_text.replace(second_name, "T")
    first_type = types.schema.get_type(first_name)
    second_type = types.schema.get_type(second_name)
    both_composite = is_composite_type(first_type) and is_composite_type(second_type)
    return not (same_wrapping and both_composite)


def _rename(occurrence: _Occurrence, alias: str) -> None:
    tree = occurrence.tree
    items = list(tree.items.items())
    for index, (key, value) in enumerate(items):
        if value is occurrence.item:
            occurrence.item.alias = alias
            items[index] = (f"{alias}:{key}", value)
            break
    tree.items = dict(items)
