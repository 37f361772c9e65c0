"""GraphQL type references as printed strings ("[Int!]!"), and the subtype rules merging needs."""

from __future__ import annotations

__all__ = [
    "is_list",
    "is_non_null",
    "named_type",
    "nullable",
    "of_type",
    "same_shape",
]


def is_non_null(ref: str) -> bool:
    return ref.endswith("!")


def nullable(ref: str) -> str:
    return ref[:-1] if ref.endswith("!") else ref


def is_list(ref: str) -> bool:
    return nullable(ref).startswith("[")


def of_type(ref: str) -> str:
    """The item type of a list reference (nullability of the list itself ignored)."""
    inner = nullable(ref)
    return inner[1:-1]


def named_type(ref: str) -> str:
    return ref.strip("[]!")


def same_shape(a: str, b: str) -> bool:
    """Same list nesting, ignoring nullability and the named type."""
    return a.replace("!", "").count("[") == b.replace("!", "").count("[")
