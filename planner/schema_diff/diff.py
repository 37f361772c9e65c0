"""Classify every difference between two API schemas for `router check`.

The walk follows graphql-js's findBreakingChanges/findSchemaChanges and
graphql-inspector's diff: root operation types, then each named type by kind
(fields with their arguments, interfaces, union members, enum values, input
fields), then directive definitions (locations, repeatability, arguments).
Introspection types, built-in scalars and built-in directives are part of every
schema and are skipped. A type that changed kind is reported once as
TYPE_KIND_CHANGED; its members are not compared, since nothing about them
carries over.
"""

from __future__ import annotations

from itertools import chain
from typing import TYPE_CHECKING

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
    is_introspection_type,
    is_specified_scalar_type,
    specified_directives,
)

from ._members import argument_changes, field_changes, input_field_changes
from .change import (
    capitalize,
    deprecation_changes,
    description_change,
    kind_name,
    make_change,
    sort_changes,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from graphql import GraphQLDirective, GraphQLNamedType, GraphQLSchema

    from .change import SchemaChange

__all__ = ["diff_schemas"]

# Built-in directives (@skip, @include, @deprecated, @specifiedBy, @oneOf) exist in
# every schema graphql-core builds, so they are never reported.
_BUILT_IN_DIRECTIVES = frozenset(directive.name for directive in specified_directives)


def diff_schemas(old: GraphQLSchema, new: GraphQLSchema) -> list[SchemaChange]:
    """Every change from `old` to `new`, classed BREAKING, DANGEROUS or SAFE.

    Both schemas should be API schemas (what clients see). The result is sorted by
    coordinate, then code, then message, so equal inputs give equal output.
    """
    return sort_changes(
        chain(
            _root_changes(old, new),
            _type_changes(old, new),
            _directive_changes(old, new),
        )
    )


def _root_changes(old: GraphQLSchema, new: GraphQLSchema) -> Iterator[SchemaChange]:
    roots = (
        ("query", old.query_type, new.query_type),
        ("mutation", old.mutation_type, new.mutation_type),
        ("subscription", old.subscription_type, new.subscription_type),
    )
    for operation, old_root, new_root in roots:
        coordinate = f"schema.{operation}"
        if old_root is not None and new_root is None:
            yield make_change(
                "ROOT_TYPE_REMOVED",
                coordinate,
                f"Root {operation} type '{old_root.name}' was removed",
            )
        elif old_root is None and new_root is not None:
            yield make_change(
                "ROOT_TYPE_ADDED",
                coordinate,
                f"Root {operation} type '{new_root.name}' was added",
            )
        elif (
            old_root is not None
            and new_root is not None
            and old_root.name != new_root.name
        ):
            yield make_change(
                "ROOT_TYPE_CHANGED",
                coordinate,
                f"Root {operation} type changed from '{old_root.name}' to "
                f"'{new_root.name}'",
            )


def _type_changes(old: GraphQLSchema, new: GraphQLSchema) -> Iterator[SchemaChange]:
    old_types, new_types = _named_types(old), _named_types(new)
    for name in sorted(old_types.keys() | new_types.keys()):
        old_type, new_type = old_types.get(name), new_types.get(name)
        if new_type is None:
            kind = capitalize(kind_name(old_types[name]))
            yield make_change("TYPE_REMOVED", name, f"{kind} '{name}' was removed")
        elif old_type is None:
            kind = capitalize(kind_name(new_type))
            yield make_change("TYPE_ADDED", name, f"{kind} '{name}' was added")
        elif kind_name(old_type) != kind_name(new_type):
            yield make_change(
                "TYPE_KIND_CHANGED",
                name,
                f"Type '{name}' changed from {kind_name(old_type)} to "
                f"{kind_name(new_type)}",
            )
        else:
            label = f"{kind_name(old_type)} '{name}'"
            yield from description_change(
                "TYPE", name, label, old_type.description, new_type.description
            )
            yield from _same_kind_changes(old_type, new_type)


def _same_kind_changes(
    old: GraphQLNamedType, new: GraphQLNamedType
) -> Iterator[SchemaChange]:
    if isinstance(old, GraphQLObjectType | GraphQLInterfaceType) and isinstance(
        new, GraphQLObjectType | GraphQLInterfaceType
    ):
        yield from _interface_changes(old, new)
        yield from field_changes(old, new)
    elif isinstance(old, GraphQLUnionType) and isinstance(new, GraphQLUnionType):
        yield from _union_changes(old, new)
    elif isinstance(old, GraphQLEnumType) and isinstance(new, GraphQLEnumType):
        yield from _enum_changes(old, new)
    elif isinstance(old, GraphQLInputObjectType) and isinstance(
        new, GraphQLInputObjectType
    ):
        yield from _one_of_changes(old, new)
        yield from input_field_changes(old, new)


def _interface_changes(
    old: GraphQLObjectType | GraphQLInterfaceType,
    new: GraphQLObjectType | GraphQLInterfaceType,
) -> Iterator[SchemaChange]:
    owner = f"{capitalize(kind_name(old))} '{old.name}'"
    old_names = {interface.name for interface in old.interfaces}
    new_names = {interface.name for interface in new.interfaces}
    for name in sorted(old_names - new_names):
        yield make_change(
            "IMPLEMENTED_INTERFACE_REMOVED",
            old.name,
            f"{owner} no longer implements interface '{name}'",
        )
    for name in sorted(new_names - old_names):
        yield make_change(
            "IMPLEMENTED_INTERFACE_ADDED",
            old.name,
            f"{owner} now implements interface '{name}'",
        )


def _union_changes(
    old: GraphQLUnionType, new: GraphQLUnionType
) -> Iterator[SchemaChange]:
    owner = f"union type '{old.name}'"
    old_names = {member.name for member in old.types}
    new_names = {member.name for member in new.types}
    for name in sorted(old_names - new_names):
        yield make_change(
            "UNION_MEMBER_REMOVED",
            old.name,
            f"Member '{name}' was removed from {owner}",
        )
    for name in sorted(new_names - old_names):
        yield make_change(
            "UNION_MEMBER_ADDED", old.name, f"Member '{name}' was added to {owner}"
        )


def _enum_changes(old: GraphQLEnumType, new: GraphQLEnumType) -> Iterator[SchemaChange]:
    owner = f"enum type '{old.name}'"
    for name in sorted(old.values.keys() | new.values.keys()):
        coordinate = f"{old.name}.{name}"
        old_value, new_value = old.values.get(name), new.values.get(name)
        if new_value is None:
            was_deprecated = old.values[name].deprecation_reason is not None
            deprecated = " (it was deprecated)" if was_deprecated else ""
            yield make_change(
                "ENUM_VALUE_REMOVED",
                coordinate,
                f"Enum value '{name}' was removed from {owner}{deprecated}",
            )
        elif old_value is None:
            yield make_change(
                "ENUM_VALUE_ADDED",
                coordinate,
                f"Enum value '{name}' was added to {owner}",
            )
        else:
            label = f"enum value '{coordinate}'"
            yield from description_change(
                "ENUM_VALUE",
                coordinate,
                label,
                old_value.description,
                new_value.description,
            )
            yield from deprecation_changes(
                "ENUM_VALUE",
                coordinate,
                label,
                old_value.deprecation_reason,
                new_value.deprecation_reason,
            )


def _one_of_changes(
    old: GraphQLInputObjectType, new: GraphQLInputObjectType
) -> Iterator[SchemaChange]:
    # graphql-core 3.2 has no @oneOf; getattr keeps both versions working.
    was_one_of = bool(getattr(old, "is_one_of", False))
    is_one_of = bool(getattr(new, "is_one_of", False))
    owner = f"Input object type '{old.name}'"
    if is_one_of and not was_one_of:
        yield make_change(
            "INPUT_ONE_OF_ADDED",
            old.name,
            f"{owner} is now @oneOf, so inputs setting more than one field fail",
        )
    elif was_one_of and not is_one_of:
        yield make_change(
            "INPUT_ONE_OF_REMOVED", old.name, f"{owner} is no longer @oneOf"
        )


def _named_types(schema: GraphQLSchema) -> dict[str, GraphQLNamedType]:
    return {
        name: type_
        for name, type_ in schema.type_map.items()
        if not is_introspection_type(type_) and not is_specified_scalar_type(type_)
    }


def _directive_changes(
    old: GraphQLSchema, new: GraphQLSchema
) -> Iterator[SchemaChange]:
    """Directives removed, added or changed between two schemas."""
    old_directives, new_directives = _custom(old), _custom(new)
    for name in sorted(old_directives.keys() | new_directives.keys()):
        coordinate = f"@{name}"
        old_directive = old_directives.get(name)
        new_directive = new_directives.get(name)
        if new_directive is None:
            yield make_change(
                "DIRECTIVE_REMOVED", coordinate, f"Directive '@{name}' was removed"
            )
        elif old_directive is None:
            yield make_change(
                "DIRECTIVE_ADDED", coordinate, f"Directive '@{name}' was added"
            )
        else:
            yield from _changed_directive(coordinate, old_directive, new_directive)


def _changed_directive(
    coordinate: str, old: GraphQLDirective, new: GraphQLDirective
) -> Iterator[SchemaChange]:
    label = f"directive '{coordinate}'"
    old_locations = {location.name for location in old.locations}
    new_locations = {location.name for location in new.locations}
    for location in sorted(old_locations - new_locations):
        yield make_change(
            "DIRECTIVE_LOCATION_REMOVED",
            coordinate,
            f"Location '{location}' was removed from {label}",
        )
    for location in sorted(new_locations - old_locations):
        yield make_change(
            "DIRECTIVE_LOCATION_ADDED",
            coordinate,
            f"Location '{location}' was added to {label}",
        )
    if old.is_repeatable and not new.is_repeatable:
        yield make_change(
            "DIRECTIVE_REPEATABLE_REMOVED",
            coordinate,
            f"Directive '{coordinate}' is no longer repeatable",
        )
    elif new.is_repeatable and not old.is_repeatable:
        yield make_change(
            "DIRECTIVE_REPEATABLE_ADDED",
            coordinate,
            f"Directive '{coordinate}' is now repeatable",
        )
    yield from description_change(
        "DIRECTIVE", coordinate, label, old.description, new.description
    )
    yield from argument_changes(old.args, new.args, coordinate, label)


def _custom(schema: GraphQLSchema) -> dict[str, GraphQLDirective]:
    return {d.name: d for d in schema.directives if d.name not in _BUILT_IN_DIRECTIVES}
