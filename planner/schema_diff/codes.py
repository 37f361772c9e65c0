"""Catalogue of the schema-change codes that `router check` reports.

Each code names one kind of change between two API schemas and the criticality it
carries for existing client operations. The names follow graphql-inspector's change
types (https://the-guild.dev/graphql/inspector/docs/essentials/diff) and the levels
follow its rules and Apollo's schema checks
(https://www.apollographql.com/docs/graphos/platform/schema-management/checks/reference):

- BREAKING: some valid operation becomes invalid, or receives data it cannot handle;
- DANGEROUS: operations stay valid but may behave differently at run time;
- SAFE: no existing operation is affected.

Add a code here, with its rule and one-line description, before emitting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["CHANGE_CODES", "CodeRule", "Criticality"]


class Criticality(Enum):
    """How a schema change affects operations that were valid against the old schema."""

    BREAKING = "BREAKING"
    DANGEROUS = "DANGEROUS"
    SAFE = "SAFE"


@dataclass(frozen=True, slots=True)
class CodeRule:
    """The levels a code may carry, how one is chosen, and what the code means.

    `levels` holds one criticality for most codes; codes whose level depends on the
    change (type changes, judged by variance) hold several and say why in `rule`.
    """

    levels: frozenset[Criticality]
    rule: str
    description: str

    @property
    def fixed(self) -> Criticality | None:
        """The code's only level, or None when the diff chooses per change."""
        return next(iter(self.levels)) if len(self.levels) == 1 else None


_B = Criticality.BREAKING
_D = Criticality.DANGEROUS
_S = Criticality.SAFE


def _always(level: Criticality, description: str) -> CodeRule:
    return CodeRule(frozenset({level}), f"always {level.value}", description)


def _either(rule: str, description: str) -> CodeRule:
    return CodeRule(frozenset({_B, _S}), rule, description)


_OUTPUT_VARIANCE = (
    "SAFE when only nullability tightened (nullable to non-null: output positions are "
    "covariant); BREAKING for loosened nullability, changed list wrapping or a different "
    "named type"
)
_INPUT_VARIANCE = (
    "SAFE when only nullability relaxed (non-null to nullable: input positions are "
    "contravariant); BREAKING for tightened nullability, changed list wrapping or a "
    "different named type"
)

CHANGE_CODES: dict[str, CodeRule] = {
    # Schema definition: coordinates `schema.query`, `schema.mutation`, ...
    "ROOT_TYPE_ADDED": _always(
        _S, "The schema gained a mutation or subscription root."
    ),
    "ROOT_TYPE_REMOVED": _always(_B, "The schema lost a root operation type."),
    "ROOT_TYPE_CHANGED": _always(_B, "A root operation now uses a different type."),
    # Named types: coordinate `Type`.
    "TYPE_ADDED": _always(_S, "A named type was added."),
    "TYPE_REMOVED": _always(_B, "A named type was removed."),
    "TYPE_KIND_CHANGED": _always(_B, "A type changed kind (e.g. object to interface)."),
    "TYPE_DESCRIPTION_CHANGED": _always(
        _S, "A type's description was added, changed or removed."
    ),
    "IMPLEMENTED_INTERFACE_ADDED": _always(
        _D, "A type now implements an interface; fragments on it may newly match."
    ),
    "IMPLEMENTED_INTERFACE_REMOVED": _always(
        _B, "A type no longer implements an interface."
    ),
    "UNION_MEMBER_ADDED": _always(
        _D,
        "A union gained a member that clients switching on __typename may not handle.",
    ),
    "UNION_MEMBER_REMOVED": _always(_B, "A union lost a member."),
    "INPUT_ONE_OF_ADDED": _always(
        _B, "An input object became @oneOf; inputs setting several fields fail."
    ),
    "INPUT_ONE_OF_REMOVED": _always(
        _S, "An input object is no longer @oneOf; every old input stays valid."
    ),
    # Object and interface fields: coordinate `Type.field`.
    "FIELD_ADDED": _always(_S, "A field was added to an object or interface type."),
    "FIELD_REMOVED": _always(
        _B, "A field was removed from an object or interface type."
    ),
    "FIELD_TYPE_CHANGED": _either(
        _OUTPUT_VARIANCE, "An object or interface field changed type."
    ),
    "FIELD_DESCRIPTION_CHANGED": _always(
        _S, "A field's description was added, changed or removed."
    ),
    "FIELD_DEPRECATION_ADDED": _always(_S, "A field was deprecated."),
    "FIELD_DEPRECATION_REMOVED": _always(_S, "A field is no longer deprecated."),
    "FIELD_DEPRECATION_REASON_CHANGED": _always(
        _S, "A field's deprecation reason changed."
    ),
    # Field and directive arguments: coordinate `Type.field(arg:)` or `@directive(arg:)`.
    "ARG_ADDED_REQUIRED": _always(_B, "A non-null argument without default was added."),
    # graphql-js 16 and graphql-inspector call this DANGEROUS; graphql-js 17
    # (findSchemaChanges) and Apollo treat it as safe, since no operation changes meaning.
    "ARG_ADDED_OPTIONAL": _always(_S, "A nullable or defaulted argument was added."),
    "ARG_REMOVED": _always(_B, "An argument was removed."),
    "ARG_TYPE_CHANGED": _either(_INPUT_VARIANCE, "An argument changed type."),
    "ARG_DEFAULT_CHANGED": _always(
        _D,
        "An argument's default was added, changed or removed; omitting it now means another value.",
    ),
    "ARG_BECAME_REQUIRED": _always(
        _B, "A non-null argument lost its default, so operations omitting it fail."
    ),
    "ARG_DESCRIPTION_CHANGED": _always(
        _S, "An argument's description was added, changed or removed."
    ),
    "ARG_DEPRECATION_ADDED": _always(_S, "An argument was deprecated."),
    "ARG_DEPRECATION_REMOVED": _always(_S, "An argument is no longer deprecated."),
    "ARG_DEPRECATION_REASON_CHANGED": _always(
        _S, "An argument's deprecation reason changed."
    ),
    # Input object fields: coordinate `Input.field`.
    "INPUT_FIELD_ADDED_REQUIRED": _always(
        _B, "A non-null input field without default was added."
    ),
    "INPUT_FIELD_ADDED_OPTIONAL": _always(
        _S, "A nullable or defaulted input field was added."
    ),
    "INPUT_FIELD_REMOVED": _always(_B, "An input field was removed."),
    "INPUT_FIELD_TYPE_CHANGED": _either(
        _INPUT_VARIANCE, "An input field changed type."
    ),
    "INPUT_FIELD_DEFAULT_CHANGED": _always(
        _D,
        "An input field's default was added, changed or removed; omitting it now means another value.",
    ),
    "INPUT_FIELD_BECAME_REQUIRED": _always(
        _B, "A non-null input field lost its default, so inputs omitting it fail."
    ),
    "INPUT_FIELD_DESCRIPTION_CHANGED": _always(
        _S, "An input field's description was added, changed or removed."
    ),
    "INPUT_FIELD_DEPRECATION_ADDED": _always(_S, "An input field was deprecated."),
    "INPUT_FIELD_DEPRECATION_REMOVED": _always(
        _S, "An input field is no longer deprecated."
    ),
    "INPUT_FIELD_DEPRECATION_REASON_CHANGED": _always(
        _S, "An input field's deprecation reason changed."
    ),
    # Enum values: coordinate `Enum.VALUE`.
    "ENUM_VALUE_ADDED": _always(
        _D, "An enum gained a value that clients switching on the enum may not handle."
    ),
    "ENUM_VALUE_REMOVED": _always(_B, "An enum lost a value."),
    "ENUM_VALUE_DESCRIPTION_CHANGED": _always(
        _S, "An enum value's description was added, changed or removed."
    ),
    "ENUM_VALUE_DEPRECATION_ADDED": _always(_S, "An enum value was deprecated."),
    "ENUM_VALUE_DEPRECATION_REMOVED": _always(
        _S, "An enum value is no longer deprecated."
    ),
    "ENUM_VALUE_DEPRECATION_REASON_CHANGED": _always(
        _S, "An enum value's deprecation reason changed."
    ),
    # Directive definitions: coordinate `@directive`.
    "DIRECTIVE_ADDED": _always(_S, "A directive was added."),
    "DIRECTIVE_REMOVED": _always(_B, "A directive was removed."),
    "DIRECTIVE_LOCATION_ADDED": _always(
        _S, "A directive may be used at a new location."
    ),
    "DIRECTIVE_LOCATION_REMOVED": _always(
        _B, "A directive may no longer be used at a location."
    ),
    "DIRECTIVE_REPEATABLE_ADDED": _always(_S, "A directive became repeatable."),
    "DIRECTIVE_REPEATABLE_REMOVED": _always(_B, "A directive is no longer repeatable."),
    "DIRECTIVE_DESCRIPTION_CHANGED": _always(
        _S, "A directive's description was added, changed or removed."
    ),
}
