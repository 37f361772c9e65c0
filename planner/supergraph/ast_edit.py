"""Small helpers for reading and rewriting graphql-core AST nodes.

Supergraph loading and extraction work on the AST so that descriptions, default values and
directive applications survive untouched; these helpers copy a node with some attributes
changed and build the few nodes we create ourselves.
"""

from __future__ import annotations

from typing import TypeVar

from graphql import (
    BooleanValueNode,
    ConstArgumentNode,
    ConstDirectiveNode,
    ConstListValueNode,
    ListTypeNode,
    NamedTypeNode,
    NameNode,
    NonNullTypeNode,
    StringValueNode,
    TypeNode,
)
from graphql.language import ConstValueNode, Node

__all__ = ["directive_node", "named_type", "replace_node"]

_N = TypeVar("_N", bound=Node)


def replace_node(node: _N, **changes: object) -> _N:
    """A copy of ``node`` with some attributes changed (nodes are immutable in 3.3)."""
    values = {key: getattr(node, key) for key in node.keys}
    values.update(changes)
    return type(node)(**values)


def named_type(node: TypeNode) -> str:
    """The named type under any list and non-null wrappers."""
    while isinstance(node, ListTypeNode | NonNullTypeNode):
        node = node.type
    assert isinstance(node, NamedTypeNode)
    return node.name.value


def directive_node(name: str, /, **args: object) -> ConstDirectiveNode:
    """``@name(arg: value, ...)`` from plain strings, booleans and lists of strings."""
    return ConstDirectiveNode(
        name=NameNode(value=name),
        arguments=tuple(
            ConstArgumentNode(name=NameNode(value=arg), value=_value(value))
            for arg, value in args.items()
        ),
    )


def _value(value: object) -> ConstValueNode:
    if isinstance(value, bool):
        return BooleanValueNode(value=value)
    if isinstance(value, str):
        return StringValueNode(value=value)
    if isinstance(value, list | tuple):
        return ConstListValueNode(values=tuple(_value(item) for item in value))
    raise TypeError(f"no GraphQL literal for {value!r}")
