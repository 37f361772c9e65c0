"""Automatic persisted queries (Apollo's protocol) over HTTP, GET and POST.

Apollo Router's behaviour (services/layers/apq.rs): a hash alone that is not registered
is answered `PersistedQueryNotFound` / `PERSISTED_QUERY_NOT_FOUND` with HTTP 200 and
`Cache-Control: private, no-cache, must-revalidate`; the query sent with its hash is
registered and run; a hash that is not the query's SHA-256 is refused (HTTP 400,
`PERSISTED_QUERY_HASH_MISMATCH`) and nothing is stored.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from cache_harness import Router, apq_get, apq_post, eventually, sha256

TOP_PRODUCTS = "query Top { topProducts(first: 2) { upc name } }"
NOT_FOUND = {
    "errors": [
        {
            "message": "PersistedQueryNotFound",
            "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"},
        }
    ]
}
SEND = {"GET": apq_get, "POST": apq_post}


def fresh_query() -> str:
    """A query text no earlier test registered (its hash is new)."""
    return f"query Top {{ topProducts(first: 2) {{ upc name }} }} # {uuid.uuid4()}"


@pytest.fixture
def router(module_router_with: Callable[..., Router]) -> Router:
    """Apollo's defaults: APQ on, in memory."""
    return module_router_with("")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unregistered_hash_is_persisted_query_not_found_with_status_200(
    router: Router, method: str
) -> None:
    reply = SEND[method](router, sha256(fresh_query()))
    assert reply.status == 200
    assert reply.json() == NOT_FOUND
    assert reply.headers["cache-control"] == "private, no-cache, must-revalidate"


def test_not_found_is_status_200_under_the_legacy_media_type_too(
    router: Router,
) -> None:
    reply = apq_post(
        router, sha256(fresh_query()), headers={"accept": "application/json"}
    )
    assert (reply.status, reply.json()) == (200, NOT_FOUND)


@pytest.mark.parametrize("register", ["GET", "POST"])
@pytest.mark.parametrize("hit", ["GET", "POST"])
def test_query_sent_with_its_hash_is_registered_and_the_hash_alone_then_runs_it(
    router: Router, register: str, hit: str
) -> None:
    query = fresh_query()
    expected = router.query(query)
    assert expected["data"]["topProducts"], expected
    assert SEND[hit](router, sha256(query)).json() == NOT_FOUND

    registered = SEND[register](router, sha256(query), query)
    assert registered.status == 200
    assert registered.json() == expected
    assert "cache-control" not in registered.headers

    answered = SEND[hit](router, sha256(query))
    assert answered.status == 200
    assert answered.json() == expected


def test_hash_case_does_not_matter(router: Router) -> None:
    query = fresh_query()
    apq_post(router, sha256(query).upper(), query)
    assert apq_get(router, sha256(query)).json()["data"]["topProducts"]


def test_hash_of_another_query_is_refused_and_nothing_is_stored(
    router: Router,
) -> None:
    query, other = fresh_query(), fresh_query()
    reply = apq_post(router, sha256(other), query)
    assert reply.status == 400
    assert reply.json() == {
        "errors": [
            {
                "message": "provided sha does not match query",
                "extensions": {"code": "PERSISTED_QUERY_HASH_MISMATCH"},
            }
        ]
    }
    assert apq_get(router, sha256(other)).json() == NOT_FOUND
    assert apq_get(router, sha256(query)).json() == NOT_FOUND


def test_a_hash_that_is_not_hexadecimal_is_refused_with_the_query(
    router: Router,
) -> None:
    reply = apq_post(router, "not-a-sha256", fresh_query())
    assert reply.status == 400
    assert reply.json()["errors"][0]["extensions"]["code"] == (
        "PERSISTED_QUERY_HASH_MISMATCH"
    )
    assert apq_get(router, "not-a-sha256").json() == NOT_FOUND


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_unsupported_protocol_version_is_refused(router: Router, method: str) -> None:
    query = fresh_query()
    reply = SEND[method](router, sha256(query), query, version=2)
    assert reply.status == 400
    assert reply.json() == {
        "errors": [
            {
                "message": "Unsupported persisted query version",
                "extensions": {"code": "UNSUPPORTED_PERSISTED_QUERY_VERSION"},
            }
        ]
    }
    assert apq_get(router, sha256(query)).json() == NOT_FOUND


def test_persisted_query_that_is_not_an_object_is_a_bad_request(
    router: Router,
) -> None:
    reply = router.post({"extensions": {"persistedQuery": "abc"}})
    assert reply.status == 400
    assert reply.json()["errors"][0]["extensions"]["code"] == "INVALID_GRAPHQL_REQUEST"


def test_registered_query_is_validated_like_any_other(router: Router) -> None:
    query = "query Broken { topProducts { nope } }"
    reply = apq_post(router, sha256(query), query)
    assert reply.json()["errors"][0]["extensions"]["code"] == (
        "GRAPHQL_VALIDATION_FAILED"
    )
    # Registered all the same (Apollo Router stores before validating): the hash
    # alone now gets the same validation error, not PERSISTED_QUERY_NOT_FOUND.
    again = apq_get(router, sha256(query)).json()
    assert again["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_apq_disabled_answers_persisted_query_not_supported(
    module_router_with: Callable[..., Router],
) -> None:
    router = module_router_with("apq:\n  enabled: false\n")
    query = fresh_query()
    reply = apq_post(router, sha256(query), query)
    assert reply.status == 200
    assert reply.json() == {
        "errors": [
            {
                "message": "PersistedQueryNotSupported",
                "extensions": {"code": "PERSISTED_QUERY_NOT_SUPPORTED"},
            }
        ]
    }
    assert router.query(query)["data"]["topProducts"]


def test_in_memory_store_keeps_only_the_most_recently_used_limit(
    module_router_with: Callable[..., Router],
) -> None:
    router = module_router_with(
        "apq:\n  router:\n    cache:\n      in_memory:\n        limit: 2\n"
    )
    first, second, third = fresh_query(), fresh_query(), fresh_query()
    for query in (first, second):
        assert apq_post(router, sha256(query), query).status == 200
    assert apq_get(router, sha256(first)).json()["data"]  # first is now the newest
    assert apq_post(router, sha256(third), third).status == 200  # drops second
    assert apq_get(router, sha256(second)).json() == NOT_FOUND
    assert apq_get(router, sha256(first)).json()["data"]
    assert apq_get(router, sha256(third)).json()["data"]


def test_registrations_survive_a_reload_of_router_yaml(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    router = router_with("", folder=tmp_path)
    query = fresh_query()
    apq_post(router, sha256(query), query)
    config = tmp_path / "router.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "limits:\n  max_depth: 40\n",
        encoding="utf-8",
    )
    eventually(lambda: "reloaded:" in router.stderr(), "router.yaml reloaded")
    assert apq_get(router, sha256(query)).json()["data"]["topProducts"]
