"""Data-driven cases for `diff_schemas`: schema roots, named types, enums, unions,
interfaces and directives. Each case is (name, old SDL, new SDL, expected changes
as (criticality, code, coordinate) in output order).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["TYPE_CASES", "Case"]

Expected = tuple[tuple[str, str, str], ...]


class Case(NamedTuple):
    name: str
    old: str
    new: str
    expected: Expected


Q = "type Query { a: Int }\n"

TYPE_CASES: tuple[Case, ...] = (
    # Root operation types.
    Case(
        "root_type_added",
        Q,
        Q + "type Mutation { m: Int }",
        (
            ("SAFE", "TYPE_ADDED", "Mutation"),
            ("SAFE", "ROOT_TYPE_ADDED", "schema.mutation"),
        ),
    ),
    Case(
        "root_type_removed",
        Q + "type Subscription { s: Int }",
        Q,
        (
            ("BREAKING", "TYPE_REMOVED", "Subscription"),
            ("BREAKING", "ROOT_TYPE_REMOVED", "schema.subscription"),
        ),
    ),
    Case(
        "root_type_changed",
        Q,
        "schema { query: Root } type Root { a: Int }",
        (
            ("BREAKING", "TYPE_REMOVED", "Query"),
            ("SAFE", "TYPE_ADDED", "Root"),
            ("BREAKING", "ROOT_TYPE_CHANGED", "schema.query"),
        ),
    ),
    # Named types.
    Case(
        "object_type_added",
        Q,
        Q + "type User { id: ID }",
        (("SAFE", "TYPE_ADDED", "User"),),
    ),
    Case(
        "object_type_removed",
        Q + "type User { id: ID }",
        Q,
        (("BREAKING", "TYPE_REMOVED", "User"),),
    ),
    Case("scalar_added", Q, Q + "scalar Date", (("SAFE", "TYPE_ADDED", "Date"),)),
    Case(
        "scalar_removed", Q + "scalar Date", Q, (("BREAKING", "TYPE_REMOVED", "Date"),)
    ),
    Case(
        "built_in_scalar_newly_used_is_not_a_type_change",
        "type Query { a: String }",
        "type Query { a: String b: Float }",
        (("SAFE", "FIELD_ADDED", "Query.b"),),
    ),
    Case(
        "type_kind_changed_hides_member_changes",
        Q + "type Node { id: ID }",
        Q + "interface Node { key: String }",
        (("BREAKING", "TYPE_KIND_CHANGED", "Node"),),
    ),
    Case(
        "object_to_input_kind_changed",
        Q + "type Point { x: Int }",
        Q + "input Point { x: Int }",
        (("BREAKING", "TYPE_KIND_CHANGED", "Point"),),
    ),
    Case(
        "type_description_changed",
        Q + '"A person." type User { id: ID }',
        Q + '"A person or a bot." type User { id: ID }',
        (("SAFE", "TYPE_DESCRIPTION_CHANGED", "User"),),
    ),
    Case(
        "type_description_added",
        Q + "scalar Date",
        Q + '"ISO-8601." scalar Date',
        (("SAFE", "TYPE_DESCRIPTION_CHANGED", "Date"),),
    ),
    # Enums.
    Case(
        "enum_value_added",
        Q + "enum Color { RED }",
        Q + "enum Color { RED GREEN }",
        (("DANGEROUS", "ENUM_VALUE_ADDED", "Color.GREEN"),),
    ),
    Case(
        "enum_value_removed",
        Q + "enum Color { RED GREEN }",
        Q + "enum Color { RED }",
        (("BREAKING", "ENUM_VALUE_REMOVED", "Color.GREEN"),),
    ),
    Case(
        "enum_value_deprecated",
        Q + "enum Color { RED GREEN }",
        Q + 'enum Color { RED GREEN @deprecated(reason: "Use RED") }',
        (("SAFE", "ENUM_VALUE_DEPRECATION_ADDED", "Color.GREEN"),),
    ),
    Case(
        "enum_value_deprecation_removed",
        Q + "enum Color { RED @deprecated }",
        Q + "enum Color { RED }",
        (("SAFE", "ENUM_VALUE_DEPRECATION_REMOVED", "Color.RED"),),
    ),
    Case(
        "enum_value_deprecation_reason_changed",
        Q + "enum Color { RED @deprecated }",
        Q + 'enum Color { RED @deprecated(reason: "Gone in v3") }',
        (("SAFE", "ENUM_VALUE_DEPRECATION_REASON_CHANGED", "Color.RED"),),
    ),
    Case(
        "enum_value_description_changed",
        Q + 'enum Color { "warm" RED }',
        Q + 'enum Color { "hot" RED }',
        (("SAFE", "ENUM_VALUE_DESCRIPTION_CHANGED", "Color.RED"),),
    ),
    # Unions.
    Case(
        "union_member_added",
        Q + "type A { a: Int } type B { b: Int } union U = A",
        Q + "type A { a: Int } type B { b: Int } union U = A | B",
        (("DANGEROUS", "UNION_MEMBER_ADDED", "U"),),
    ),
    Case(
        "union_member_removed",
        Q + "type A { a: Int } type B { b: Int } union U = A | B",
        Q + "type A { a: Int } type B { b: Int } union U = B",
        (("BREAKING", "UNION_MEMBER_REMOVED", "U"),),
    ),
    # Interfaces.
    Case(
        "object_no_longer_implements_interface",
        Q + "interface Node { id: ID } type User implements Node { id: ID }",
        Q + "interface Node { id: ID } type User { id: ID }",
        (("BREAKING", "IMPLEMENTED_INTERFACE_REMOVED", "User"),),
    ),
    Case(
        "object_newly_implements_interface",
        Q + "interface Node { id: ID } type User { id: ID }",
        Q + "interface Node { id: ID } type User implements Node { id: ID }",
        (("DANGEROUS", "IMPLEMENTED_INTERFACE_ADDED", "User"),),
    ),
    Case(
        "interface_newly_implements_interface",
        Q + "interface Node { id: ID } interface Named { id: ID name: String }",
        Q
        + "interface Node { id: ID } interface Named implements Node { id: ID name: String }",
        (("DANGEROUS", "IMPLEMENTED_INTERFACE_ADDED", "Named"),),
    ),
    # Directive definitions.
    Case(
        "directive_added",
        Q,
        Q + "directive @cached on FIELD",
        (("SAFE", "DIRECTIVE_ADDED", "@cached"),),
    ),
    Case(
        "directive_removed",
        Q + "directive @cached on FIELD",
        Q,
        (("BREAKING", "DIRECTIVE_REMOVED", "@cached"),),
    ),
    Case(
        "directive_location_removed",
        Q + "directive @cached on FIELD | QUERY",
        Q + "directive @cached on FIELD",
        (("BREAKING", "DIRECTIVE_LOCATION_REMOVED", "@cached"),),
    ),
    Case(
        "directive_location_added",
        Q + "directive @cached on FIELD",
        Q + "directive @cached on FIELD | FRAGMENT_SPREAD",
        (("SAFE", "DIRECTIVE_LOCATION_ADDED", "@cached"),),
    ),
    Case(
        "directive_repeatable_added",
        Q + "directive @tag(name: String) on FIELD",
        Q + "directive @tag(name: String) repeatable on FIELD",
        (("SAFE", "DIRECTIVE_REPEATABLE_ADDED", "@tag"),),
    ),
    Case(
        "directive_repeatable_removed",
        Q + "directive @tag(name: String) repeatable on FIELD",
        Q + "directive @tag(name: String) on FIELD",
        (("BREAKING", "DIRECTIVE_REPEATABLE_REMOVED", "@tag"),),
    ),
    Case(
        "directive_description_changed",
        Q + '"Cache the field." directive @cached on FIELD',
        Q + '"Cache the field for ttl seconds." directive @cached on FIELD',
        (("SAFE", "DIRECTIVE_DESCRIPTION_CHANGED", "@cached"),),
    ),
    Case(
        "directive_required_arg_added",
        Q + "directive @cached on FIELD",
        Q + "directive @cached(ttl: Int!) on FIELD",
        (("BREAKING", "ARG_ADDED_REQUIRED", "@cached(ttl:)"),),
    ),
    Case(
        "directive_optional_arg_added",
        Q + "directive @cached on FIELD",
        Q + "directive @cached(ttl: Int! = 60) on FIELD",
        (("SAFE", "ARG_ADDED_OPTIONAL", "@cached(ttl:)"),),
    ),
    Case(
        "directive_arg_removed",
        Q + "directive @cached(ttl: Int) on FIELD",
        Q + "directive @cached on FIELD",
        (("BREAKING", "ARG_REMOVED", "@cached(ttl:)"),),
    ),
    Case(
        "directive_arg_type_tightened",
        Q + "directive @cached(ttl: Int) on FIELD",
        Q + "directive @cached(ttl: Int!) on FIELD",
        (("BREAKING", "ARG_TYPE_CHANGED", "@cached(ttl:)"),),
    ),
    Case(
        "directive_arg_default_changed",
        Q + "directive @cached(ttl: Int = 60) on FIELD",
        Q + "directive @cached(ttl: Int = 30) on FIELD",
        (("DANGEROUS", "ARG_DEFAULT_CHANGED", "@cached(ttl:)"),),
    ),
    Case(
        "several_locations_and_repeatable_on_one_directive",
        Q + "directive @d repeatable on FIELD | QUERY | MUTATION",
        Q + "directive @d on FIELD | SUBSCRIPTION | FRAGMENT_SPREAD",
        (
            ("SAFE", "DIRECTIVE_LOCATION_ADDED", "@d"),
            ("SAFE", "DIRECTIVE_LOCATION_ADDED", "@d"),
            ("BREAKING", "DIRECTIVE_LOCATION_REMOVED", "@d"),
            ("BREAKING", "DIRECTIVE_LOCATION_REMOVED", "@d"),
            ("BREAKING", "DIRECTIVE_REPEATABLE_REMOVED", "@d"),
        ),
    ),
)
