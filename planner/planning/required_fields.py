"""A ``@requires`` field set as fetched and represented: aliases for fields that take
arguments, and ``__typename`` where a type condition needs it.

A required field fetched next to the client's own selection of the same field would
share its response name: ``price(currency: EUR)`` for the condition and ``price`` for
the client clash in the subgraph query, and renaming one back after the fetch would
overwrite the other. So every required field whose definition takes arguments is
fetched under an alias of its own (``price__req_<digest of its arguments>``, the same
for the same arguments), and an input ``KeyRenamer`` gives the representation the
field's real name back (QUERY_PLANNING.md §3, rewrites).

An abstract-typed required field selected through type conditions
(``named { ... on Review { title } }``) also carries ``__typename``: without it, the
requiring subgraph cannot tell an Author's ``{}`` from a Review's, and cannot apply
the condition (Apollo leaves it out).
"""

from __future__ import annotations

import hashlib

from graphql import (
    FieldNode,
    GraphQLSchema,
    InlineFragmentNode,
    NameNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    print_ast,
)

from planner.query_plan import KeyRenamer

__all__ = ["alias_required_arguments"]


def alias_required_arguments(
    field_set: SelectionSetNode, type_name: str, schema: GraphQLSchema
) -> tuple[SelectionSetNode, tuple[KeyRenamer, ...]]:
    """``field_set`` (a ``@requires`` on ``type_name``) with aliased argument fields and
    the typenames type conditions need, and the input renamers that undo the aliases
    in the representation."""
    renamers: list[KeyRenamer] = []
    aliased = _alias(field_set, type_name, schema, (f"... on {type_name}",), renamers)
    return aliased, tuple(renamers)


def required_alias(node: FieldNode) -> str:
    printed = ",".join(print_ast(argument) for argument in node.arguments or ())
    digest = hashlib.sha1(printed.encode()).hexdigest()[:6]
    return f"{node.name.value}__req_{digest}"


def _alias(
    selection_set: SelectionSetNode,
    type_name: str,
    schema: GraphQLSchema,
    path: tuple[str, ...],
    renamers: list[KeyRenamer],
) -> SelectionSetNode:
    parent = schema.get_type(type_name)
    fields = getattr(parent, "fields", None) or {}
    selections = []
    for node in selection_set.selections:
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            inner_type = condition or type_name
            inner_path = (*path, f"... on {condition}") if condition else path
            node = InlineFragmentNode(
                type_condition=node.type_condition,
                directives=node.directives,
                selection_set=_alias(
                    node.selection_set, inner_type, schema, inner_path, renamers
                ),
            )
        elif isinstance(node, FieldNode) and node.alias is None:
            name = node.name.value
            definition = fields.get(name)
            alias = None
            if definition is not None and definition.args:
                alias = required_alias(node)
                renamers.append(KeyRenamer((*path, alias), name))
            selection = node.selection_set
            if selection is not None and definition is not None:
                field_type = get_named_type(definition.type)
                selection = _alias(
                    selection, field_type.name, schema, (*path, alias or name), renamers
                )
                if is_abstract_type(field_type) and _needs_typename(selection):
                    selection = SelectionSetNode(
                        selections=(_TYPENAME, *selection.selections)
                    )
            node = FieldNode(
                alias=NameNode(value=alias) if alias else None,
                name=node.name,
                arguments=node.arguments,
                directives=node.directives,
                selection_set=selection,
            )
        selections.append(node)
    return SelectionSetNode(selections=tuple(selections))


_TYPENAME = FieldNode(name=NameNode(value="__typename"))


def _needs_typename(selection_set: SelectionSetNode) -> bool:
    """Whether an abstract value's selection has a type condition and no typename."""
    conditioned = False
    for node in selection_set.selections:
        if isinstance(node, FieldNode) and node.name.value == "__typename":
            return False
        if isinstance(node, InlineFragmentNode) and node.type_condition is not None:
            conditioned = True
    return conditioned
