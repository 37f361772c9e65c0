"""Changes to the members of types: object and interface fields (output positions),
and field arguments, directive arguments and input object fields (input positions).

Output positions are covariant: a client reading a field copes with any value the
old type allowed, so the new type may only narrow it (nullable to non-null).
Input positions are contravariant: every value a client could send before must
still be accepted, so the new type may only widen it (non-null to nullable). Any
change of list wrapping or of the named type is breaking either way. These are
graphql-js's `isChangeSafeForObjectOrInterfaceField` and
`isChangeSafeForInputObjectFieldOrFieldArg` (src/utilities/findBreakingChanges.ts).

Arguments and input fields share their rules: adding a required one (non-null, no
default) breaks operations that do not send it, and a changed default silently
changes what omitting it means.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import (
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLType,
    get_named_type,
    print_ast,
)

from .change import (
    capitalize,
    deprecation_changes,
    description_change,
    kind_name,
    make_change,
)
from .codes import Criticality

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from graphql import (
        ConstValueNode,
        GraphQLArgument,
        GraphQLField,
        GraphQLInputField,
        GraphQLInputObjectType,
        GraphQLInterfaceType,
        GraphQLObjectType,
    )

    from .change import SchemaChange

try:  # graphql-core 3.3 keeps the default literal as written in the SDL.
    from graphql.utilities import get_default_value_ast
except ImportError:  # pragma: no cover - graphql-core 3.2 keeps the coerced value only
    from graphql import Undefined, ast_from_value

    def get_default_value_ast(
        arg_or_input_field: GraphQLArgument | GraphQLInputField,
    ) -> ConstValueNode | None:
        value = arg_or_input_field.default_value
        if value is Undefined:
            return None
        return ast_from_value(value, arg_or_input_field.type)


__all__ = [
    "argument_changes",
    "field_changes",
    "input_field_changes",
    "is_safe_input_change",
    "is_safe_output_change",
    "judge_type_change",
]


def field_changes(
    old: GraphQLObjectType | GraphQLInterfaceType,
    new: GraphQLObjectType | GraphQLInterfaceType,
) -> Iterator[SchemaChange]:
    """Fields removed, added or changed between two versions of one type."""
    owner = f"{kind_name(old)} '{old.name}'"
    for name in sorted(old.fields.keys() | new.fields.keys()):
        coordinate = f"{old.name}.{name}"
        old_field, new_field = old.fields.get(name), new.fields.get(name)
        if new_field is None:
            deprecated = " (it was deprecated)" if _deprecated(old_field) else ""
            yield make_change(
                "FIELD_REMOVED",
                coordinate,
                f"Field '{name}' was removed from {owner}{deprecated}",
            )
        elif old_field is None:
            yield make_change(
                "FIELD_ADDED", coordinate, f"Field '{name}' was added to {owner}"
            )
        else:
            yield from _changed_field(coordinate, old_field, new_field)


def _changed_field(
    coordinate: str, old: GraphQLField, new: GraphQLField
) -> Iterator[SchemaChange]:
    label = f"field '{coordinate}'"
    if str(old.type) != str(new.type):
        level, reason = judge_type_change(old.type, new.type, is_input=False)
        yield make_change(
            "FIELD_TYPE_CHANGED",
            coordinate,
            f"Field '{coordinate}' changed type from '{old.type}' to '{new.type}': "
            f"{reason}",
            level,
        )
    yield from description_change(
        "FIELD", coordinate, label, old.description, new.description
    )
    yield from deprecation_changes(
        "FIELD", coordinate, label, old.deprecation_reason, new.deprecation_reason
    )
    yield from argument_changes(old.args, new.args, coordinate, label)


def _deprecated(field: GraphQLField | None) -> bool:
    return field is not None and field.deprecation_reason is not None


def argument_changes(
    old: Mapping[str, GraphQLArgument],
    new: Mapping[str, GraphQLArgument],
    owner_coordinate: str,
    owner_label: str,
) -> Iterator[SchemaChange]:
    """Arguments of one field (`Type.field`) or directive (`@name`) that changed."""
    for name in sorted(old.keys() | new.keys()):
        yield from _input_value_changes(
            "ARG",
            "argument",
            name,
            f"{owner_coordinate}({name}:)",
            owner_label,
            old.get(name),
            new.get(name),
        )


def input_field_changes(
    old: GraphQLInputObjectType, new: GraphQLInputObjectType
) -> Iterator[SchemaChange]:
    """Fields of one input object type that changed."""
    owner_label = f"input object type '{old.name}'"
    for name in sorted(old.fields.keys() | new.fields.keys()):
        yield from _input_value_changes(
            "INPUT_FIELD",
            "input field",
            name,
            f"{old.name}.{name}",
            owner_label,
            old.fields.get(name),
            new.fields.get(name),
        )


def _input_value_changes(
    prefix: str,
    noun: str,
    name: str,
    coordinate: str,
    owner_label: str,
    old: GraphQLArgument | GraphQLInputField | None,
    new: GraphQLArgument | GraphQLInputField | None,
) -> Iterator[SchemaChange]:
    if new is None:
        yield make_change(
            f"{prefix}_REMOVED",
            coordinate,
            f"{capitalize(noun)} '{name}' was removed from {owner_label}",
        )
        return
    if old is None:
        required = _is_required(new)
        yield make_change(
            f"{prefix}_ADDED_{'REQUIRED' if required else 'OPTIONAL'}",
            coordinate,
            f"{'Required' if required else 'Optional'} {noun} '{name}: {new.type}' "
            f"was added to {owner_label}",
        )
        return
    label = f"{noun} '{name}' of {owner_label}"
    if str(old.type) != str(new.type):
        level, reason = judge_type_change(old.type, new.type, is_input=True)
        yield make_change(
            f"{prefix}_TYPE_CHANGED",
            coordinate,
            f"{capitalize(label)} changed type from '{old.type}' to '{new.type}': "
            f"{reason}",
            level,
        )
    yield from _default_changes(prefix, coordinate, label, old, new)
    yield from description_change(
        prefix, coordinate, label, old.description, new.description
    )
    yield from deprecation_changes(
        prefix, coordinate, label, old.deprecation_reason, new.deprecation_reason
    )


def _default_changes(
    prefix: str,
    coordinate: str,
    label: str,
    old: GraphQLArgument | GraphQLInputField,
    new: GraphQLArgument | GraphQLInputField,
) -> Iterator[SchemaChange]:
    old_default, new_default = _printed_default(old), _printed_default(new)
    if old_default == new_default:
        return
    if new_default is None and isinstance(new.type, GraphQLNonNull):
        yield make_change(
            f"{prefix}_BECAME_REQUIRED",
            coordinate,
            f"{capitalize(label)} lost its default value '{old_default}' and is now "
            "required",
        )
    elif old_default is None:
        yield make_change(
            f"{prefix}_DEFAULT_CHANGED",
            coordinate,
            f"{capitalize(label)} gained default value '{new_default}'",
        )
    elif new_default is None:
        yield make_change(
            f"{prefix}_DEFAULT_CHANGED",
            coordinate,
            f"{capitalize(label)} lost its default value '{old_default}'",
        )
    else:
        yield make_change(
            f"{prefix}_DEFAULT_CHANGED",
            coordinate,
            f"Default value of {label} changed from '{old_default}' to '{new_default}'",
        )


def _printed_default(value: GraphQLArgument | GraphQLInputField) -> str | None:
    """The default as a GraphQL literal, so `[1, 2]` and `{a: 1}` compare by text."""
    node = get_default_value_ast(value)
    return None if node is None else print_ast(node)


def _is_required(value: GraphQLArgument | GraphQLInputField) -> bool:
    return isinstance(value.type, GraphQLNonNull) and _printed_default(value) is None


def is_safe_output_change(old: GraphQLType, new: GraphQLType) -> bool:
    """True when every value of `new` is a valid value of `old` (covariance)."""
    if isinstance(old, GraphQLNonNull):
        return isinstance(new, GraphQLNonNull) and is_safe_output_change(
            old.of_type, new.of_type
        )
    if isinstance(new, GraphQLNonNull):
        return is_safe_output_change(old, new.of_type)
    if isinstance(old, GraphQLList):
        return isinstance(new, GraphQLList) and is_safe_output_change(
            old.of_type, new.of_type
        )
    return _same_named(old, new)


def is_safe_input_change(old: GraphQLType, new: GraphQLType) -> bool:
    """True when every value accepted by `old` is accepted by `new` (contravariance)."""
    if isinstance(old, GraphQLNonNull):
        relaxed = new.of_type if isinstance(new, GraphQLNonNull) else new
        return is_safe_input_change(old.of_type, relaxed)
    if isinstance(new, GraphQLNonNull):
        return False
    if isinstance(old, GraphQLList):
        return isinstance(new, GraphQLList) and is_safe_input_change(
            old.of_type, new.of_type
        )
    return _same_named(old, new)


def judge_type_change(
    old: GraphQLType, new: GraphQLType, *, is_input: bool
) -> tuple[Criticality, str]:
    """The criticality of a type change and a short reason a developer can act on."""
    safe = (
        is_safe_input_change(old, new) if is_input else is_safe_output_change(old, new)
    )
    if safe:
        direction = "relaxed" if is_input else "tightened"
        return Criticality.SAFE, f"only nullability was {direction}"
    old_named, new_named = get_named_type(old), get_named_type(new)
    if old_named.name != new_named.name:
        reason = f"the named type changed from '{old_named}' to '{new_named}'"
    elif _list_depth(old) != _list_depth(new):
        reason = "the list wrapping changed"
    elif is_input:
        reason = "a nullable position became non-null, so null is no longer accepted"
    else:
        reason = "a non-null position became nullable, so clients may receive null"
    return Criticality.BREAKING, reason


def _same_named(old: GraphQLType, new: GraphQLType) -> bool:
    return (
        isinstance(old, GraphQLNamedType)
        and isinstance(new, GraphQLNamedType)
        and old.name == new.name
    )


def _list_depth(type_: GraphQLType) -> int:
    depth = 0
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        depth += isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return depth
