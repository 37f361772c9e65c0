"""APQ registrations in Redis: shared by every router process, kept across restarts.

Each test gets a key namespace of its own (`redis_prefix`, tests/conftest.py: skipped
without Redis, failed under CI).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import redis
from cache_harness import REDIS_URL, Router, apq_get, apq_post, sha256

NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"


def redis_config(namespace: str, extra: str = "") -> str:
    return (
        "apq:\n  router:\n    cache:\n      redis:\n"
        f"        urls: [{REDIS_URL}]\n"
        f"        namespace: {namespace}\n" + extra
    )


def fresh_query() -> str:
    return f"query Me {{ me {{ id username }} }} # {uuid.uuid4()}"


def code(router: Router, hash_: str) -> str | None:
    errors = apq_get(router, hash_).json().get("errors")
    return errors[0]["extensions"]["code"] if errors else None


def test_query_registered_through_one_router_is_run_by_another(
    router_with: Callable[..., Router], redis_prefix: str
) -> None:
    config = redis_config(redis_prefix.rstrip(":"))
    first, second = router_with(config), router_with(config)
    query = fresh_query()
    assert code(second, sha256(query)) == NOT_FOUND_CODE

    registered = apq_post(first, sha256(query), query)
    assert registered.json()["data"]["me"]["username"]

    assert apq_get(second, sha256(query)).json() == registered.json()


def test_registration_outlives_the_router_that_made_it(
    router_with: Callable[..., Router], redis_prefix: str
) -> None:
    config = redis_config(redis_prefix.rstrip(":"))
    first = router_with(config)
    query = fresh_query()
    expected = apq_post(first, sha256(query), query).json()
    first.stop()
    assert apq_get(router_with(config), sha256(query)).json() == expected


def test_keys_are_namespaced_and_expire_after_ttl(
    router_with: Callable[..., Router], redis_prefix: str
) -> None:
    router = router_with(redis_config(redis_prefix.rstrip(":"), "        ttl: 1h\n"))
    query = fresh_query()
    apq_post(router, sha256(query), query)
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        key = f"{redis_prefix}apq:{sha256(query)}"
        assert client.get(key) == query
        assert 0 < client.ttl(key) <= 3600
    finally:
        client.close()


def test_other_namespaces_do_not_share_registrations(
    router_with: Callable[..., Router], redis_prefix: str
) -> None:
    first = router_with(redis_config(f"{redis_prefix}a"))
    second = router_with(redis_config(f"{redis_prefix}b"))
    query = fresh_query()
    apq_post(first, sha256(query), query)
    assert code(second, sha256(query)) == NOT_FOUND_CODE


def test_unreachable_redis_leaves_apq_working_in_memory(
    router_with: Callable[..., Router],
) -> None:
    # Port 1 on loopback: nothing listens there; every Redis call fails at once.
    router = router_with(
        "apq:\n  router:\n    cache:\n      redis:\n"
        "        urls: [redis://127.0.0.1:1]\n        timeout: 200ms\n"
    )
    query = fresh_query()
    assert apq_post(router, sha256(query), query).json()["data"]["me"]
    assert apq_get(router, sha256(query)).json()["data"]["me"]
    assert code(router, sha256(fresh_query())) == NOT_FOUND_CODE
    assert "Redis cache unavailable" in router.stderr()
