"""Operation handling: picking the operation, variables, introspection, root __typename,
and what reaches the client of a subgraph's errors."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from server_harness import Router, write_config

TWO_OPERATIONS = "query A { me { id } } query B { me { name } }"


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


def test_operation_is_picked_by_name(shared_router: Router) -> None:
    body = shared_router.query(TWO_OPERATIONS, operationName="B")
    assert body == {"data": {"me": {"name": "Ada Lovelace"}}}


def test_unknown_operation_name_is_coded_like_apollo(shared_router: Router) -> None:
    body = shared_router.query(TWO_OPERATIONS, operationName="C")
    assert codes(body) == ["GRAPHQL_UNKNOWN_OPERATION_NAME"]
    assert body["errors"][0]["message"] == 'Unknown operation named "C"'


def test_several_operations_need_a_name(shared_router: Router) -> None:
    body = shared_router.query(TWO_OPERATIONS)
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "Must provide operation name" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({}, id="missing-required"),
        pytest.param({"id": None}, id="null-for-non-null"),
        pytest.param({"id": {"nested": 1}}, id="object-for-id"),
        pytest.param({"id": [1]}, id="list-for-id"),
    ],
)
def test_variables_that_do_not_coerce_are_bad_user_input(
    shared_router: Router, variables: dict[str, Any]
) -> None:
    body = shared_router.query(
        "query ($id: ID!) { user(id: $id) { id } }", variables=variables
    )
    assert codes(body) == ["BAD_USER_INPUT"]
    assert "data" not in body


def test_out_of_range_int_is_bad_user_input(shared_router: Router) -> None:
    body = shared_router.query(
        "query ($n: Int!) { users(first: $n) { id } }", variables={"n": 2**40}
    )
    assert codes(body) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("depth", "code"),
    [
        pytest.param(900, "BAD_USER_INPUT", id="900-levels"),
        # Deeper than the JSON decoder goes: refused as a body, before GraphQL.
        pytest.param(10_000, "INVALID_GRAPHQL_REQUEST", id="10000-levels"),
    ],
)
def test_deeply_nested_variable_values_are_refused_with_a_code(
    shared_router: Router, depth: int, code: str
) -> None:
    query = json.dumps("query ($id: ID!) { user(id: $id) { id } }")
    body = f'{{"query": {query}, "variables": {{"id": {"[" * depth}"1"{"]" * depth}}}}}'
    reply = shared_router.post(body.encode())
    assert reply.status == 400
    assert codes(reply.json()) == [code]


def test_variable_defaults_apply(shared_router: Router) -> None:
    body = shared_router.query("query ($n: Int = 2) { users(first: $n) { id } }")
    assert body == {"data": {"users": [{"id": "1"}, {"id": "2"}]}}


def test_introspection_is_answered_locally_from_the_api_schema(
    shared_router: Router,
) -> None:
    body = shared_router.query(
        '{ __schema { queryType { name } } __type(name: "User") { fields { name } } }'
    )
    assert body["data"]["__schema"] == {"queryType": {"name": "Query"}}
    fields = {f["name"] for f in body["data"]["__type"]["fields"]}
    assert {"id", "name", "reviews"} <= fields
    # The API schema hides the federation machinery.
    hidden = shared_router.query('{ __type(name: "join__Graph") { name } }')
    assert hidden == {"data": {"__type": None}}


def test_introspection_is_off_by_default(
    subgraph_urls: dict[str, str], start_router: Callable[..., Router], tmp_path: Path
) -> None:
    router = start_router("--config", str(write_config(tmp_path, subgraph_urls)))
    body = router.query("{ __schema { queryType { name } } }")
    assert codes(body) == ["INTROSPECTION_DISABLED"]
    assert router.query("{ __typename }") == {"data": {"__typename": "Query"}}


def test_root_typename_is_filled_beside_subgraph_fields(shared_router: Router) -> None:
    body = shared_router.query("{ __typename me { __typename id } }")
    assert body == {
        "data": {"__typename": "Query", "me": {"__typename": "User", "id": "1"}}
    }


def test_mutation_root_typename_is_answered_locally(shared_router: Router) -> None:
    assert shared_router.query("mutation { __typename }") == {
        "data": {"__typename": "Mutation"}
    }


def test_subscription_is_refused_with_a_code(shared_router: Router) -> None:
    body = shared_router.query("subscription { __typename }")
    assert body["errors"] and all(code for code in codes(body))
    assert "data" not in body


def test_introspection_beside_subgraph_fields_is_answered_in_one_response(
    shared_router: Router,
) -> None:
    body = shared_router.query(
        'query { s: __schema { queryType { name } } me { id } __type(name: "User") '
        "{ name } }"
    )
    assert body == {
        "data": {
            "s": {"queryType": {"name": "Query"}},
            "me": {"id": "1"},
            "__type": {"name": "User"},
        }
    }


def test_introspection_inside_a_root_fragment_beside_subgraph_fields_is_refused(
    shared_router: Router,
) -> None:
    body = shared_router.query(
        "{ ...Q me { id } } fragment Q on Query { __schema { queryType { name } } }"
    )
    assert codes(body) == ["GRAPHQL_VALIDATION_FAILED"]


class _LeakyUsers(BaseHTTPRequestHandler):
    """A `users` subgraph whose every answer is an error with a secret in it."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        body = json.dumps(
            {
                "data": {"me": None},
                "errors": [
                    {
                        "message": "db password is hunter2",
                        "path": ["me"],
                        "extensions": {"code": "DB_DOWN"},
                    }
                ],
            }
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def leaky_users() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _LeakyUsers)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("include", "message"),
    [
        pytest.param("", "Subgraph errors redacted", id="default-redacts"),
        pytest.param(
            "include_subgraph_errors:\n  all: true\n",
            "db password is hunter2",
            id="all-true-includes",
        ),
        pytest.param(
            "include_subgraph_errors:\n  all: true\n  subgraphs:\n    users: false\n",
            "Subgraph errors redacted",
            id="subgraph-overrides-all",
        ),
    ],
)
def test_subgraph_error_messages_follow_include_subgraph_errors(
    leaky_users: str,
    start_router: Callable[..., Router],
    tmp_path: Path,
    include: str,
    message: str,
) -> None:
    config = write_config(tmp_path, {"users": leaky_users}, include)
    router = start_router("--config", str(config))
    body = router.query("{ me { id } }")
    error = body["errors"][0]
    assert error["message"] == message
    assert error["path"] == ["me"]
    assert error["extensions"]["code"] == "DB_DOWN"
    assert error["extensions"]["serviceName"] == "users"
