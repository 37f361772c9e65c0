"""Printing GraphQL literals the way graphql-js does (`{a: 1}`, `[1, 2]`), for default values."""

from __future__ import annotations

from graphql import (
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableNode,
    print_ast,
)
from graphql.language.print_string import print_string

__all__ = ["print_value"]


def print_value(node: ValueNode) -> str:
    if isinstance(node, ObjectValueNode):
        return (
            "{"
            + ", ".join(f"{f.name.value}: {print_value(f.value)}" for f in node.fields)
            + "}"
        )
    if isinstance(node, ListValueNode):
        return "[" + ", ".join(print_value(v) for v in node.values) + "]"
    if isinstance(node, StringValueNode):
        return print_string(node.value)
    if isinstance(node, IntValueNode | FloatValueNode | EnumValueNode):
        return node.value
    if isinstance(node, BooleanValueNode):
        return "true" if node.value else "false"
    if isinstance(node, NullValueNode):
        return "null"
    if isinstance(node, VariableNode):
        return "$" + node.name.value
    return print_ast(node)
