"""GraphQL over HTTP at /graphql: methods, media types, status codes, bodies, batching.

https://graphql.github.io/graphql-over-http/draft/ ; one router for the module, with
batching on (maximum_size 3), in front of the real example subgraphs.
"""

from __future__ import annotations

import json
import socket
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from server_harness import Reply, Router, http, write_config

TYPENAME = {"query": "{ __typename }"}
GRAPHQL_RESPONSE = "application/graphql-response+json"


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body["errors"]]


def get(
    router: Router, params: dict[str, str], accept: str = GRAPHQL_RESPONSE
) -> Reply:
    return http(
        f"{router.url}?{urllib.parse.urlencode(params)}", headers={"accept": accept}
    )


def test_post_json_answers_with_the_accepted_media_type(shared_router: Router) -> None:
    reply = shared_router.post(TYPENAME, accept=GRAPHQL_RESPONSE)
    assert reply.status == 200
    assert reply.headers["content-type"].startswith(GRAPHQL_RESPONSE)
    assert reply.json() == {"data": {"__typename": "Query"}}


@pytest.mark.parametrize("accept", [None, "application/json", "*/*", "application/*"])
def test_legacy_or_missing_accept_gets_application_json(
    shared_router: Router, accept: str | None
) -> None:
    reply = shared_router.post(TYPENAME, accept=accept)
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("application/json")


def test_accept_prefers_the_higher_quality(shared_router: Router) -> None:
    reply = shared_router.post(
        TYPENAME, accept=f"{GRAPHQL_RESPONSE};q=0.5, application/json;q=0.9"
    )
    assert reply.headers["content-type"].startswith("application/json")


def test_unacceptable_accept_is_406(shared_router: Router) -> None:
    reply = shared_router.post(TYPENAME, accept="text/html")
    assert reply.status == 406
    assert codes(reply.json()) == ["INVALID_ACCEPT_HEADER"]


def test_get_runs_a_query_with_variables(shared_router: Router) -> None:
    reply = get(
        shared_router,
        {
            "query": "query Q($id: ID!) { user(id: $id) { id } }",
            "variables": json.dumps({"id": "2"}),
            "operationName": "Q",
        },
    )
    assert reply.status == 200
    assert reply.json() == {"data": {"user": {"id": "2"}}}


def test_mutation_over_get_is_405_with_allow_post(shared_router: Router) -> None:
    reply = get(shared_router, {"query": "mutation { __typename }"})
    assert reply.status == 405
    assert reply.headers["allow"] == "POST"
    assert codes(reply.json()) == ["MUTATION_FORBIDDEN"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_405(shared_router: Router, method: str) -> None:
    reply = http(shared_router.url, b"{}", method=method)
    assert reply.status == 405
    assert reply.headers["allow"] == "GET, POST"
    assert codes(reply.json()) == ["METHOD_NOT_ALLOWED"]


@pytest.mark.parametrize(
    ("body", "why"),
    [
        pytest.param(b"{not json", "not JSON", id="not-json"),
        pytest.param(b"\xef\xbb\xbf" + json.dumps(TYPENAME).encode(), "BOM", id="bom"),
        pytest.param(b'"{ __typename }"', "a JSON string", id="json-string"),
        pytest.param(b"42", "a JSON number", id="json-number"),
        pytest.param(b"{}", "no query", id="missing-query"),
        pytest.param(b'{"query": null}', "null query", id="null-query"),
        pytest.param(b'{"query": 1}', "query not a string", id="query-number"),
        pytest.param(
            b'{"query": "{ __typename }", "variables": [1]}',
            "variables not an object",
            id="variables-list",
        ),
        pytest.param(
            b'{"query": "{ __typename }", "variables": "{}"}',
            "variables a string",
            id="variables-string",
        ),
        pytest.param(
            b'{"query": "{ __typename }", "operationName": 3}',
            "operationName not a string",
            id="operation-name-number",
        ),
        pytest.param(b"", "empty body", id="empty"),
    ],
)
@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE, "application/json"])
def test_malformed_requests_are_400_with_a_coded_error(
    shared_router: Router, body: bytes, why: str, accept: str
) -> None:
    reply = shared_router.post(body, accept=accept)
    assert reply.status == 400, why
    assert codes(reply.json()) == ["INVALID_GRAPHQL_REQUEST"], why
    assert "data" not in reply.json()


def test_post_without_json_content_type_is_415(shared_router: Router) -> None:
    reply = shared_router.post(
        json.dumps(TYPENAME).encode(), headers={"content-type": "text/plain"}
    )
    assert reply.status == 415
    assert codes(reply.json()) == ["INVALID_CONTENT_TYPE_HEADER"]


def test_compressed_body_is_refused_not_inflated(shared_router: Router) -> None:
    reply = shared_router.post(TYPENAME, headers={"content-encoding": "gzip"})
    assert reply.status == 415


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ me { id ", "GRAPHQL_PARSE_FAILED"),
        ("{ nope }", "GRAPHQL_VALIDATION_FAILED"),
    ],
)
def test_graphql_request_errors_are_400_under_graphql_response_json_200_under_json(
    shared_router: Router, query: str, code: str
) -> None:
    strict = shared_router.post({"query": query}, accept=GRAPHQL_RESPONSE)
    legacy = shared_router.post({"query": query}, accept="application/json")
    assert (strict.status, legacy.status) == (400, 200)
    assert codes(strict.json()) == codes(legacy.json()) == [code]
    assert "data" not in strict.json()


def test_body_over_the_limit_is_413(shared_router: Router) -> None:
    query = "{ __typename }" + " " * 2_100_000
    reply = shared_router.post({"query": query})
    assert reply.status == 413
    assert codes(reply.json()) == ["INVALID_GRAPHQL_REQUEST"]


def test_unknown_path_is_404_with_a_coded_error(shared_router: Router) -> None:
    reply = http(f"{shared_router.base}/nowhere")
    assert reply.status == 404
    assert codes(reply.json()) == ["NOT_FOUND"]


def test_batch_answers_each_operation_in_order(shared_router: Router) -> None:
    reply = shared_router.post(
        [
            {"query": "{ me { id } }"},
            {
                "query": "query ($id: ID!) { user(id: $id) { id } }",
                "variables": {"id": "3"},
            },
            {"query": "{ nope }"},
        ]
    )
    assert reply.status == 200
    first, second, third = reply.json()
    assert first == {"data": {"me": {"id": "1"}}}
    assert second == {"data": {"user": {"id": "3"}}}
    assert codes(third) == ["GRAPHQL_VALIDATION_FAILED"]


def test_batch_over_maximum_size_is_422(shared_router: Router) -> None:
    reply = shared_router.post([TYPENAME] * 4)
    assert reply.status == 422
    assert codes(reply.json()) == ["BATCH_LIMIT_EXCEEDED"]


def test_empty_batch_is_400(shared_router: Router) -> None:
    reply = shared_router.post([])
    assert reply.status == 400
    assert codes(reply.json()) == ["INVALID_GRAPHQL_REQUEST"]


def test_batch_with_an_entry_that_is_not_a_request_fails_whole(
    shared_router: Router,
) -> None:
    reply = shared_router.post([TYPENAME, 7])
    assert reply.status == 400
    assert codes(reply.json()) == ["INVALID_GRAPHQL_REQUEST"]


def test_batch_is_refused_when_batching_is_off(
    subgraph_urls: dict[str, str],
    start_router: Callable[..., Router],
    tmp_path: Path,
) -> None:
    router = start_router("--config", str(write_config(tmp_path, subgraph_urls)))
    reply = router.post([TYPENAME])
    assert reply.status == 400
    assert codes(reply.json()) == ["BATCHING_NOT_ENABLED"]


def _half_closed_exchange(router: Router, head: bytes, body: bytes) -> bytes:
    """Sends `head` and `body`, shuts the sending side down, and reads until the
    router closes (a generous deadline: the router must not wait for its own)."""
    parts = urllib.parse.urlsplit(router.url)
    assert parts.hostname is not None and parts.port is not None
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head + body)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def _post_head(router: Router, length: int) -> bytes:
    path = urllib.parse.urlsplit(router.url).path
    return (
        f"POST {path} HTTP/1.1\r\nhost: localhost\r\n"
        f"content-type: application/json\r\ncontent-length: {length}\r\n\r\n"
    ).encode()


def test_a_client_half_closing_mid_body_gets_a_coded_400_at_once(
    shared_router: Router,
) -> None:
    answer = _half_closed_exchange(
        shared_router, _post_head(shared_router, 100), b'{"query": "{ __ty'
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert codes(json.loads(body)) == ["INVALID_GRAPHQL_REQUEST"]


def test_a_client_half_closing_after_its_request_still_gets_the_answer(
    shared_router: Router,
) -> None:
    query = json.dumps(
        {"query": 'query { user(id: "1") { id } }'}, separators=(",", ":")
    ).encode()
    answer = _half_closed_exchange(
        shared_router, _post_head(shared_router, len(query)), query
    )
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert json.loads(body) == {"data": {"user": {"id": "1"}}}
