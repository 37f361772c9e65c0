"""`diff_schemas` classes every schema change as graphql-inspector and Apollo do."""

from __future__ import annotations

import pytest
from graphql import build_schema
from schema_diff_cases_members import MEMBER_CASES
from schema_diff_cases_types import TYPE_CASES, Case

from planner.schema_diff import CHANGE_CODES, Criticality, diff_schemas

ALL_CASES = TYPE_CASES + MEMBER_CASES

RICH_SDL = """
"Entry points."
type Query {
  users(first: Int = 10, after: String, filter: UserFilter): [User!]!
  node(id: ID!): Node
  search(text: String!): [SearchResult!]! @deprecated(reason: "Use find")
}
type Mutation { addUser(input: NewUser!): User }
interface Node { id: ID! }
"A person."
type User implements Node { id: ID! name: String email(verified: Boolean): String }
type Post implements Node { id: ID! title: String! }
union SearchResult = User | Post
enum Role { ADMIN EDITOR VIEWER @deprecated }
input UserFilter { role: Role = VIEWER, tags: [String!] = ["a", "b"] }
input NewUser { name: String!, role: Role! = VIEWER }
input By @oneOf { id: ID, email: String }
scalar DateTime @specifiedBy(url: "https://example.com/datetime")
directive @cached(ttl: Int = 60) repeatable on FIELD | QUERY
"""

# The same schema with every definition, field, argument and value reordered.
RICH_SDL_REORDERED = """
directive @cached(ttl: Int = 60) repeatable on QUERY | FIELD
scalar DateTime @specifiedBy(url: "https://example.com/datetime")
input By @oneOf { email: String, id: ID }
input NewUser { role: Role! = VIEWER, name: String! }
input UserFilter { tags: [String!] = ["a", "b"], role: Role = VIEWER }
enum Role { VIEWER @deprecated EDITOR ADMIN }
union SearchResult = Post | User
type Post implements Node { title: String! id: ID! }
"A person."
type User implements Node { email(verified: Boolean): String name: String id: ID! }
interface Node { id: ID! }
type Mutation { addUser(input: NewUser!): User }
"Entry points."
type Query {
  search(text: String!): [SearchResult!]! @deprecated(reason: "Use find")
  node(id: ID!): Node
  users(filter: UserFilter, after: String, first: Int = 10): [User!]!
}
"""


def _summary(old_sdl: str, new_sdl: str) -> list[tuple[str, str, str]]:
    changes = diff_schemas(build_schema(old_sdl), build_schema(new_sdl))
    return [(c.criticality.value, c.code, c.coordinate) for c in changes]


@pytest.mark.parametrize("case", ALL_CASES, ids=[case.name for case in ALL_CASES])
def test_change_is_classified(case: Case) -> None:
    assert _summary(case.old, case.new) == list(case.expected)


def test_case_names_are_unique() -> None:
    names = [case.name for case in ALL_CASES]
    assert len(names) == len(set(names))


def test_every_catalogue_code_has_a_case() -> None:
    covered = {code for case in ALL_CASES for _, code, _ in case.expected}
    assert covered == set(CHANGE_CODES)


def test_every_level_of_every_code_has_a_case() -> None:
    covered = {(code, level) for case in ALL_CASES for level, code, _ in case.expected}
    required = {
        (code, level.value)
        for code, rule in CHANGE_CODES.items()
        for level in rule.levels
    }
    assert covered == required


def test_identical_schemas_give_no_changes() -> None:
    assert diff_schemas(build_schema(RICH_SDL), build_schema(RICH_SDL)) == []


def test_same_schema_object_gives_no_changes() -> None:
    schema = build_schema(RICH_SDL)
    assert diff_schemas(schema, schema) == []


def test_definition_order_is_not_a_change() -> None:
    old, new = build_schema(RICH_SDL), build_schema(RICH_SDL_REORDERED)
    assert diff_schemas(old, new) == []


def test_output_is_sorted_by_coordinate_then_code() -> None:
    changes = diff_schemas(build_schema(RICH_SDL), build_schema(_rich_changed()))
    assert len(changes) > 10
    keys = [(c.coordinate, c.code, c.message) for c in changes]
    assert keys == sorted(keys)


def test_output_order_does_not_depend_on_definition_order() -> None:
    new = build_schema(_rich_changed())
    from_original = diff_schemas(build_schema(RICH_SDL), new)
    from_reordered = diff_schemas(build_schema(RICH_SDL_REORDERED), new)
    assert from_original == from_reordered
    assert from_original == diff_schemas(build_schema(RICH_SDL), new)


def test_type_change_message_names_old_and_new_types() -> None:
    [change] = diff_schemas(
        build_schema("type Query { users: [User!]! } type User { id: ID }"),
        build_schema("type Query { users: [User] } type User { id: ID }"),
    )
    assert change.criticality is Criticality.BREAKING
    assert "'[User!]!'" in change.message
    assert "'[User]'" in change.message


def test_named_type_change_message_says_which_types() -> None:
    [change] = diff_schemas(
        build_schema("type Query { f(x: [Int!]): Int }"),
        build_schema("type Query { f(x: [String!]): Int }"),
    )
    assert change.message == (
        "Argument 'x' of field 'Query.f' changed type from '[Int!]' to '[String!]': "
        "the named type changed from 'Int' to 'String'"
    )


def test_removed_field_message_names_field_and_type() -> None:
    [change] = diff_schemas(
        build_schema("type Query { a: Int users: [String] }"),
        build_schema("type Query { a: Int }"),
    )
    assert change.message == "Field 'users' was removed from object type 'Query'"


def test_removed_deprecated_field_message_says_it_was_deprecated() -> None:
    [change] = diff_schemas(
        build_schema("type Query { a: Int old: Int @deprecated }"),
        build_schema("type Query { a: Int }"),
    )
    assert change.message.endswith("(it was deprecated)")


def test_default_change_message_prints_graphql_literals() -> None:
    [change] = diff_schemas(
        build_schema('type Query { f(x: [String] = ["a"]): Int }'),
        build_schema('type Query { f(x: [String] = ["a", "b"]): Int }'),
    )
    assert change.message == (
        "Default value of argument 'x' of field 'Query.f' changed from "
        '\'["a"]\' to \'["a", "b"]\''
    )


def _rich_changed() -> str:
    """RICH_SDL with many changes of every level, for order tests."""
    return (
        RICH_SDL.replace("first: Int = 10", "first: Int = 20, last: Int!")
        .replace("union SearchResult = User | Post", "union SearchResult = Post")
        .replace("EDITOR VIEWER", "VIEWER GUEST")
        .replace("name: String email", "name: String! email")
        .replace(
            "directive @cached(ttl: Int = 60) repeatable", "directive @cached(ttl: Int)"
        )
        .replace("input By @oneOf", "input By")
        .replace('"A person."', '"A human."')
        .replace("type Post implements Node", "type Post")
    )
