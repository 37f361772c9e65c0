"""Data-driven cases for `diff_schemas`: object and interface fields (output
positions), field arguments and input object fields (input positions).
"""

from __future__ import annotations

from schema_diff_cases_types import Case

__all__ = ["MEMBER_CASES"]


def _field(old_type: str, new_type: str, criticality: str) -> Case:
    """A case changing `Query.f` from `old_type` to `new_type`."""
    return Case(
        f"field_{old_type}_to_{new_type}",
        f"type Query {{ f: {old_type} }}",
        f"type Query {{ f: {new_type} }}",
        ((criticality, "FIELD_TYPE_CHANGED", "Query.f"),),
    )


def _arg(old_arg: str, new_arg: str, *expected: tuple[str, str]) -> Case:
    """A case changing argument `x` of `Query.f` from `old_arg` to `new_arg`."""
    return Case(
        f"arg_{old_arg}_to_{new_arg}",
        f"type Query {{ f(x: {old_arg}): Int }}",
        f"type Query {{ f(x: {new_arg}): Int }}",
        tuple((level, code, "Query.f(x:)") for level, code in expected),
    )


def _input(old_field: str, new_field: str, *expected: tuple[str, str]) -> Case:
    """A case changing input field `In.x` from `old_field` to `new_field`."""
    return Case(
        f"input_{old_field}_to_{new_field}",
        f"type Query {{ f(i: In): Int }} input In {{ k: Int {old_field} }}",
        f"type Query {{ f(i: In): Int }} input In {{ k: Int {new_field} }}",
        tuple((level, code, "In.x") for level, code in expected),
    )


MEMBER_CASES: tuple[Case, ...] = (
    # Object and interface fields.
    Case(
        "field_added",
        "type Query { a: Int }",
        "type Query { a: Int b: String }",
        (("SAFE", "FIELD_ADDED", "Query.b"),),
    ),
    Case(
        "field_removed",
        "type Query { a: Int users: [String] }",
        "type Query { a: Int }",
        (("BREAKING", "FIELD_REMOVED", "Query.users"),),
    ),
    Case(
        "interface_field_removed",
        "type Query { n: Node } interface Node { id: ID name: String }",
        "type Query { n: Node } interface Node { id: ID }",
        (("BREAKING", "FIELD_REMOVED", "Node.name"),),
    ),
    _field("String", "String!", "SAFE"),
    _field("String!", "String", "BREAKING"),
    _field("String", "[String]", "BREAKING"),
    _field("[String]", "String", "BREAKING"),
    _field("[String]", "[[String]]", "BREAKING"),
    _field("[String]", "[String!]!", "SAFE"),
    _field("[String!]", "[String]", "BREAKING"),
    _field("[String]!", "[String!]", "BREAKING"),
    _field("String", "Int", "BREAKING"),
    _field("String!", "Int!", "BREAKING"),
    Case(
        "field_deprecation_added",
        "type Query { a: Int }",
        'type Query { a: Int @deprecated(reason: "Use b") }',
        (("SAFE", "FIELD_DEPRECATION_ADDED", "Query.a"),),
    ),
    Case(
        "field_deprecation_removed",
        "type Query { a: Int @deprecated }",
        "type Query { a: Int }",
        (("SAFE", "FIELD_DEPRECATION_REMOVED", "Query.a"),),
    ),
    Case(
        "field_deprecation_reason_changed",
        'type Query { a: Int @deprecated(reason: "Use b") }',
        'type Query { a: Int @deprecated(reason: "Use c") }',
        (("SAFE", "FIELD_DEPRECATION_REASON_CHANGED", "Query.a"),),
    ),
    Case(
        "field_description_removed",
        'type Query { "The answer." a: Int }',
        "type Query { a: Int }",
        (("SAFE", "FIELD_DESCRIPTION_CHANGED", "Query.a"),),
    ),
    # Field arguments.
    _arg("Int", "Int", *()),
    Case(
        "arg_added_required",
        "type Query { user: String }",
        "type Query { user(id: ID!): String }",
        (("BREAKING", "ARG_ADDED_REQUIRED", "Query.user(id:)"),),
    ),
    Case(
        "arg_added_optional",
        "type Query { users: [String] }",
        "type Query { users(first: Int): [String] }",
        (("SAFE", "ARG_ADDED_OPTIONAL", "Query.users(first:)"),),
    ),
    Case(
        "arg_added_non_null_with_default_is_optional",
        "type Query { users: [String] }",
        "type Query { users(first: Int! = 10): [String] }",
        (("SAFE", "ARG_ADDED_OPTIONAL", "Query.users(first:)"),),
    ),
    Case(
        "arg_removed",
        "type Query { users(first: Int): [String] }",
        "type Query { users: [String] }",
        (("BREAKING", "ARG_REMOVED", "Query.users(first:)"),),
    ),
    _arg("Int!", "Int", ("SAFE", "ARG_TYPE_CHANGED")),
    _arg("Int", "Int!", ("BREAKING", "ARG_TYPE_CHANGED")),
    _arg("[Int!]!", "[Int]", ("SAFE", "ARG_TYPE_CHANGED")),
    _arg("[Int]", "[Int!]", ("BREAKING", "ARG_TYPE_CHANGED")),
    _arg("Int", "[Int]", ("BREAKING", "ARG_TYPE_CHANGED")),
    _arg("Int", "String", ("BREAKING", "ARG_TYPE_CHANGED")),
    _arg("Int = 1", "Int = 2", ("DANGEROUS", "ARG_DEFAULT_CHANGED")),
    _arg("Int", "Int = 2", ("DANGEROUS", "ARG_DEFAULT_CHANGED")),
    _arg("Int = 1", "Int", ("DANGEROUS", "ARG_DEFAULT_CHANGED")),
    _arg("Int! = 1", "Int!", ("BREAKING", "ARG_BECAME_REQUIRED")),
    _arg(
        "Int = 1",
        "Int!",
        ("BREAKING", "ARG_BECAME_REQUIRED"),
        ("BREAKING", "ARG_TYPE_CHANGED"),
    ),
    _arg(
        "Int!",
        "Int = 1",
        ("DANGEROUS", "ARG_DEFAULT_CHANGED"),
        ("SAFE", "ARG_TYPE_CHANGED"),
    ),
    _arg("[Int] = [1,2]", "[Int] = [1, 2]"),
    _arg('String = "a"', 'String = "b"', ("DANGEROUS", "ARG_DEFAULT_CHANGED")),
    Case(
        "enum_arg_default_changed",
        "type Query { f(c: Color = RED): Int } enum Color { RED GREEN }",
        "type Query { f(c: Color = GREEN): Int } enum Color { RED GREEN }",
        (("DANGEROUS", "ARG_DEFAULT_CHANGED", "Query.f(c:)"),),
    ),
    Case(
        "arg_description_changed",
        'type Query { f("Max items." x: Int): Int }',
        'type Query { f("Maximum items." x: Int): Int }',
        (("SAFE", "ARG_DESCRIPTION_CHANGED", "Query.f(x:)"),),
    ),
    _arg("Int", "Int @deprecated", ("SAFE", "ARG_DEPRECATION_ADDED")),
    _arg("Int @deprecated", "Int", ("SAFE", "ARG_DEPRECATION_REMOVED")),
    _arg(
        "Int @deprecated",
        'Int @deprecated(reason: "Use y")',
        ("SAFE", "ARG_DEPRECATION_REASON_CHANGED"),
    ),
    # Input object fields.
    _input("", "x: String!", ("BREAKING", "INPUT_FIELD_ADDED_REQUIRED")),
    _input("", "x: String", ("SAFE", "INPUT_FIELD_ADDED_OPTIONAL")),
    _input("", 'x: String! = "n/a"', ("SAFE", "INPUT_FIELD_ADDED_OPTIONAL")),
    _input("x: String", "", ("BREAKING", "INPUT_FIELD_REMOVED")),
    _input("x: String!", "x: String", ("SAFE", "INPUT_FIELD_TYPE_CHANGED")),
    _input("x: String", "x: String!", ("BREAKING", "INPUT_FIELD_TYPE_CHANGED")),
    _input("x: [String]", "x: String", ("BREAKING", "INPUT_FIELD_TYPE_CHANGED")),
    _input("x: Int = 1", "x: Int = 5", ("DANGEROUS", "INPUT_FIELD_DEFAULT_CHANGED")),
    _input("x: Int! = 1", "x: Int!", ("BREAKING", "INPUT_FIELD_BECAME_REQUIRED")),
    _input(
        '"Old." x: Int', '"New." x: Int', ("SAFE", "INPUT_FIELD_DESCRIPTION_CHANGED")
    ),
    _input("x: Int", "x: Int @deprecated", ("SAFE", "INPUT_FIELD_DEPRECATION_ADDED")),
    _input("x: Int @deprecated", "x: Int", ("SAFE", "INPUT_FIELD_DEPRECATION_REMOVED")),
    _input(
        'x: Int @deprecated(reason: "a")',
        'x: Int @deprecated(reason: "b")',
        ("SAFE", "INPUT_FIELD_DEPRECATION_REASON_CHANGED"),
    ),
    Case(
        "input_object_default_changed",
        "type Query { f(p: Page = {size: 10}): Int } input Page { size: Int }",
        "type Query { f(p: Page = {size: 20}): Int } input Page { size: Int }",
        (("DANGEROUS", "ARG_DEFAULT_CHANGED", "Query.f(p:)"),),
    ),
    Case(
        "input_became_one_of",
        "type Query { f(by: By): Int } input By { id: ID name: String }",
        "type Query { f(by: By): Int } input By @oneOf { id: ID name: String }",
        (("BREAKING", "INPUT_ONE_OF_ADDED", "By"),),
    ),
    Case(
        "input_no_longer_one_of",
        "type Query { f(by: By): Int } input By @oneOf { id: ID name: String }",
        "type Query { f(by: By): Int } input By { id: ID name: String }",
        (("SAFE", "INPUT_ONE_OF_REMOVED", "By"),),
    ),
)
