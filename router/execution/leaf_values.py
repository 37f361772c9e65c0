"""Is a subgraph's leaf value valid for its scalar or enum type? (QUERY_PLANNING.md §4.6)

The rules are Apollo gateway's (``isValidLeafValue``): JSON numbers that are integral are
valid ``Int`` and ``ID``, any finite number is a valid ``Float``, strings are valid for
``String``, ``ID`` and custom scalars, enum values must be values of the API schema's enum
(so an ``@inaccessible`` value is invalid), and custom scalars accept anything.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from graphql import GraphQLEnumType, GraphQLNamedType, GraphQLScalarType

__all__ = ["LeafCheck", "leaf_check", "leaf_exact_type"]

LeafCheck = Callable[[Any], bool]


def _is_int(value: Any) -> bool:
    kind = type(value)
    return kind is int or (kind is float and value.is_integer())


def _is_float(value: Any) -> bool:
    kind = type(value)
    return kind is int or (kind is float and math.isfinite(value))


def _is_string(value: Any) -> bool:
    return type(value) is str


def _is_boolean(value: Any) -> bool:
    return type(value) is bool


def _is_id(value: Any) -> bool:
    return type(value) is str or _is_int(value)


_BUILT_IN: dict[str, LeafCheck] = {
    "Int": _is_int,
    "Float": _is_float,
    "String": _is_string,
    "Boolean": _is_boolean,
    "ID": _is_id,
}


_EXACT: dict[str, type] = {
    "Int": int,
    "Float": float,
    "String": str,
    "Boolean": bool,
    "ID": str,
}


def leaf_exact_type(named_type: GraphQLNamedType) -> type | None:
    """The Python type that is always valid for a built-in scalar (a fast first test
    before ``leaf_check``); None for enums and custom scalars."""
    if isinstance(named_type, GraphQLScalarType):
        return _EXACT.get(named_type.name)
    return None


def leaf_check(named_type: GraphQLNamedType) -> LeafCheck | None:
    """The validity test for values of a leaf type; None when every value is valid."""
    if isinstance(named_type, GraphQLEnumType):
        values = frozenset(named_type.values)
        return lambda value: type(value) is str and value in values
    if isinstance(named_type, GraphQLScalarType):
        return _BUILT_IN.get(named_type.name)
    raise TypeError(f"{named_type} is not a leaf type")
