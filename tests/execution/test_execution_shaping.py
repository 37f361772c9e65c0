"""Result shaping: the executor's tree projected onto the client operation (§4.6).

Pure tests against a small schema: what is output and in which order, fragments by
runtime type, @skip/@include, leaf checks, null propagation, and where shaping errors go
(Apollo's gateway: `extensions.valueCompletion`, and only without execution errors).
"""

from __future__ import annotations

from typing import Any

import pytest
from graphql import build_schema, parse, validate

from router.execution import ResponseShaper

SCHEMA = build_schema(
    """
    type Query {
      me: User!
      maybeUser: User
      node: Node
      items: [Item!]
      things: [Thing]!
      search: [Result!]!
      count: Int
      ratio: Float
      flag: Boolean
      status: Status
      title: String!
      ids: [ID!]
      blob: JSON
    }
    scalar JSON
    enum Status { ON OFF }
    interface Node { id: ID! }
    type User implements Node { id: ID! name: String! nick: String friends: [User!]! }
    type Item implements Node { id: ID! price: Float }
    type Thing { a: Int }
    union Result = User | Item
    """
)


def shape(
    query: str,
    data: dict[str, Any] | None,
    errors: list[dict[str, Any]] | None = None,
    variables: dict[str, Any] | None = None,
    operation_name: str | None = None,
) -> dict[str, Any]:
    document = parse(query)
    assert not validate(SCHEMA, document)
    shaper = ResponseShaper.compile(SCHEMA, document, operation_name)
    return shaper.shape(data, errors or [], variables or {})


def completion_errors(response: dict[str, Any]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = response["extensions"]["valueCompletion"]
    assert all(e["extensions"]["code"] == "INVALID_GRAPHQL" for e in errors)
    return errors


def test_outputs_only_requested_fields_in_query_order() -> None:
    data = {"me": {"__typename": "User", "id": "1", "nick": "a", "name": "Ada", "k": 1}}

    response = shape("{ me { name id } }", data)

    assert response == {"data": {"me": {"name": "Ada", "id": "1"}}}
    assert list(response["data"]["me"]) == ["name", "id"]


def test_aliases_and_root_typename() -> None:
    data = {"who": {"n": "Ada", "__typename": "User"}}

    response = shape("{ __typename who: me { kind: __typename n: name } }", data)

    assert response == {
        "data": {"__typename": "Query", "who": {"kind": "User", "n": "Ada"}}
    }


def test_fragments_apply_by_runtime_typename() -> None:
    query = """
      { search { __typename ... on User { name } ... on Item { price } ...N } }
      fragment N on Node { id }
    """
    data = {
        "search": [
            {"__typename": "Item", "id": "i1", "price": 2.5, "name": "leak"},
            {"__typename": "User", "id": "u1", "name": "Ada", "price": 9},
        ]
    }

    response = shape(query, data)

    assert response["data"]["search"] == [
        {"__typename": "Item", "price": 2.5, "id": "i1"},
        {"__typename": "User", "name": "Ada", "id": "u1"},
    ]


def test_fragment_without_typename_uses_the_static_type() -> None:
    data = {"node": {"id": "1", "name": "Ada"}}

    response = shape("{ node { id ... on User { name } } }", data)

    assert response == {"data": {"node": {"id": "1"}}}


def test_same_response_name_merges_sub_selections() -> None:
    query = "{ me { friends { id } ... on User { friends { name } } } }"
    data = {"me": {"friends": [{"id": "2", "name": "Bo", "nick": None}]}}

    response = shape(query, data)

    assert response == {"data": {"me": {"friends": [{"id": "2", "name": "Bo"}]}}}


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"a": True}, {"name": "Ada", "id": "1"}),
        ({"a": False}, {"id": "1"}),
        ({"a": True, "b": True}, {"name": "Ada"}),
        ({"a": False, "b": True}, {}),
    ],
)
def test_skip_and_include_are_applied_again(
    variables: dict[str, Any], expected: dict[str, Any]
) -> None:
    query = "query($a: Boolean!, $b: Boolean = false) { me { name @include(if: $a) id @skip(if: $b) } }"
    data = {"me": {"name": "Ada", "id": "1"}}

    assert shape(query, data, variables=variables) == {"data": {"me": expected}}


def test_one_shaper_serves_every_condition_valuation() -> None:
    document = parse("query($a: Boolean!) { me { name @include(if: $a) id } }")
    shaper = ResponseShaper.compile(SCHEMA, document, None)
    data = {"me": {"name": "Ada", "id": "1"}}

    shown = shaper.shape(data, [], {"a": True})
    hidden = shaper.shape(data, [], {"a": False})

    assert shown == {"data": {"me": {"name": "Ada", "id": "1"}}}
    assert hidden == {"data": {"me": {"id": "1"}}}


def test_null_in_non_null_field_nulls_the_nearest_nullable_parent() -> None:
    response = shape(
        "{ maybeUser { id name } }", {"maybeUser": {"id": "1", "name": None}}
    )

    assert response["data"] == {"maybeUser": None}
    assert completion_errors(response) == [
        {
            "message": "Cannot return null for non-nullable field User.name.",
            "path": ["maybeUser", "name"],
            "extensions": {"code": "INVALID_GRAPHQL"},
        }
    ]


def test_null_bubbles_to_data_when_every_ancestor_is_non_null() -> None:
    response = shape(
        "{ me { friends { name } } }", {"me": {"friends": [{"name": None}]}}
    )

    assert response["data"] is None
    assert [e["path"] for e in completion_errors(response)] == [
        ["me", "friends", 0, "name"]
    ]


def test_null_item_in_a_list_of_non_null_items_nulls_the_list() -> None:
    response = shape("{ items { id } }", {"items": [{"id": "1"}, None]})

    assert response["data"] == {"items": None}
    (error,) = completion_errors(response)
    assert error["path"] == ["items", 1]
    assert error["message"] == (
        "Cannot return null for non-nullable array element of type Item at index 1."
    )


def test_null_items_of_nullable_lists_stay() -> None:
    response = shape("{ things { a } }", {"things": [None, {"a": 1}]})

    assert response == {"data": {"things": [None, {"a": 1}]}}


def test_missing_fields_are_null() -> None:
    assert shape("{ maybeUser { nick } count }", {"maybeUser": {}}) == {
        "data": {"maybeUser": {"nick": None}, "count": None}
    }


def test_shaping_errors_are_dropped_when_execution_failed() -> None:
    failure = {
        "message": "HTTP fetch failed from 'users': 500",
        "path": ["maybeUser"],
        "extensions": {"code": "SUBREQUEST_HTTP_ERROR", "serviceName": "users"},
    }

    response = shape("{ maybeUser { name } }", {"maybeUser": {}}, errors=[failure])

    assert response == {"errors": [failure], "data": {"maybeUser": None}}


@pytest.mark.parametrize(
    ("field", "value", "valid"),
    [
        ("count", 3, True),
        ("count", 3.0, True),
        ("count", 3.5, False),
        ("count", "3", False),
        ("count", True, False),
        ("ratio", 2, True),
        ("ratio", 2.5, True),
        ("ratio", "2.5", False),
        ("flag", False, True),
        ("flag", 0, False),
        ("status", "ON", True),
        ("status", "MAYBE", False),
        ("status", 1, False),
        ("blob", {"any": ["thing"]}, True),
        ("ids", [1, "two"], True),
        ("ids", [1.5], False),
    ],
)
def test_leaf_values_are_checked_against_their_type(
    field: str, value: Any, valid: bool
) -> None:
    response = shape(f"{{ {field} }}", {field: value})

    if valid:
        assert response == {"data": {field: value}}
    else:
        assert response["data"] == {field: None}
        (error,) = completion_errors(response)
        assert error["message"].startswith("Invalid value found for ")


def test_invalid_leaf_in_a_non_null_position_propagates() -> None:
    response = shape("{ title count }", {"title": 5, "count": 1})

    assert response["data"] is None
    (error,) = completion_errors(response)
    assert error == {
        "message": "Invalid value found for field Query.title.",
        "path": ["title"],
        "extensions": {"code": "INVALID_GRAPHQL"},
    }


def test_unknown_or_inaccessible_typename_gives_null_without_the_name() -> None:
    response = shape("{ node { id } }", {"node": {"__typename": "Secret", "id": "1"}})

    assert response["data"] == {"node": None}
    (error,) = completion_errors(response)
    assert (
        error["message"] == "Invalid __typename found for object at field Query.node."
    )
    assert "Secret" not in str(response)


def test_interface_name_as_runtime_type_nulls_an_object_asking_typename() -> None:
    data = {"node": {"__typename": "Node", "id": "1"}}

    assert shape("{ node { id } }", data) == {"data": {"node": {"id": "1"}}}
    assert shape("{ node { __typename id } }", data) == {"data": {"node": None}}


def test_introspection_root_fields_are_copied_as_they_are() -> None:
    schema_answer = {"queryType": {"name": "Query"}}
    data = {"__schema": schema_answer, "me": {"id": "1", "name": "Ada"}}

    response = shape("{ __schema { queryType { name } } me { id } }", data)

    assert response == {"data": {"__schema": schema_answer, "me": {"id": "1"}}}


def test_no_data_keeps_the_errors() -> None:
    failure = {"message": "boom", "extensions": {"code": "X"}}

    assert shape("{ count }", None, errors=[failure]) == {
        "errors": [failure],
        "data": None,
    }


def test_operation_is_picked_by_name() -> None:
    query = "query A { count } query B { title }"

    assert shape(query, {"count": 1, "title": "t"}, operation_name="B") == {
        "data": {"title": "t"}
    }
    with pytest.raises(ValueError, match="No operation"):
        ResponseShaper.compile(SCHEMA, parse(query), "C")
