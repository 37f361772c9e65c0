"""One classified difference between two API schemas: its record, how it is built
from the catalogue, how a list of them is ordered and printed.

The description and deprecation builders live here because every element kind
(type, field, argument, input field, enum value, directive) shares them. They are
always SAFE: neither affects whether an operation validates or what it returns,
but reviewers want a deprecation in the same report as the later removal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLUnionType,
)

from .codes import CHANGE_CODES, Criticality

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from graphql import GraphQLNamedType

__all__ = [
    "SchemaChange",
    "capitalize",
    "deprecation_changes",
    "description_change",
    "format_changes_text",
    "kind_name",
    "make_change",
    "sort_changes",
]


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """A change `router check` reports: its level, catalogue code, where, and what.

    `coordinate` is a schema coordinate (https://spec.graphql.org/draft/#sec-Schema-Coordinates):
    `Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`, `Input.field`,
    `@directive` or `@directive(arg:)`. Root operation changes, which the spec gives
    no coordinate, use `schema.query`, `schema.mutation` and `schema.subscription`.
    """

    criticality: Criticality
    code: str
    coordinate: str
    message: str


def make_change(
    code: str, coordinate: str, message: str, criticality: Criticality | None = None
) -> SchemaChange:
    """Build a change whose level comes from the catalogue.

    Codes with one level take it from `CHANGE_CODES`; codes judged per change (type
    changes) must pass `criticality`, which must be one of the code's levels.
    Violations are bugs in the diff, so they raise.
    """
    rule = CHANGE_CODES[code]
    level = criticality if criticality is not None else rule.fixed
    if level is None or level not in rule.levels:
        msg = f"{code} cannot carry criticality {level}"
        raise ValueError(msg)
    return SchemaChange(level, code, coordinate, message)


def sort_changes(changes: Iterable[SchemaChange]) -> list[SchemaChange]:
    """Order changes by coordinate, then code, then message, so output is stable."""
    return sorted(changes, key=lambda c: (c.coordinate, c.code, c.message))


def format_changes_text(changes: Iterable[SchemaChange]) -> str:
    """One line per change: `BREAKING FIELD_REMOVED Query.users: <message>`.

    Returns '' for no changes; otherwise lines are joined by newlines with no
    trailing newline, in the order given.
    """
    return "\n".join(
        f"{c.criticality.value} {c.code} {c.coordinate}: {c.message}" for c in changes
    )


_KIND_NAMES: tuple[tuple[type[GraphQLNamedType], str], ...] = (
    (GraphQLObjectType, "object type"),
    (GraphQLInterfaceType, "interface type"),
    (GraphQLUnionType, "union type"),
    (GraphQLEnumType, "enum type"),
    (GraphQLInputObjectType, "input object type"),
)


def kind_name(type_: GraphQLNamedType) -> str:
    """'object type', 'interface type', ... as messages name a type's kind."""
    for cls, name in _KIND_NAMES:
        if isinstance(type_, cls):
            return name
    return "scalar type"


def capitalize(phrase: str) -> str:
    """Upper-case the first letter only, keeping quoted names intact."""
    return phrase[:1].upper() + phrase[1:]


def description_change(
    prefix: str, coordinate: str, label: str, old: str | None, new: str | None
) -> Iterator[SchemaChange]:
    """`<prefix>_DESCRIPTION_CHANGED` when the description differs (None == '')."""
    if (old or "") == (new or ""):
        return
    verb = "added" if not old else "removed" if not new else "changed"
    yield make_change(
        f"{prefix}_DESCRIPTION_CHANGED",
        coordinate,
        f"Description of {label} was {verb}",
    )


def deprecation_changes(
    prefix: str, coordinate: str, label: str, old: str | None, new: str | None
) -> Iterator[SchemaChange]:
    """`<prefix>_DEPRECATION_ADDED/REMOVED/REASON_CHANGED` from deprecation reasons.

    A reason of None means not deprecated; `@deprecated` without a reason already
    carries the spec's default "No longer supported".
    """
    if old == new:
        return
    if old is None:
        yield make_change(
            f"{prefix}_DEPRECATION_ADDED",
            coordinate,
            f"{capitalize(label)} was deprecated (reason: '{new}')",
        )
    elif new is None:
        yield make_change(
            f"{prefix}_DEPRECATION_REMOVED",
            coordinate,
            f"{capitalize(label)} is no longer deprecated",
        )
    else:
        yield make_change(
            f"{prefix}_DEPRECATION_REASON_CHANGED",
            coordinate,
            f"Deprecation reason of {label} changed from '{old}' to '{new}'",
        )
