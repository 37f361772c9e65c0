"""Apollo Client's persisted-query link, unchanged, against the router.

`oracle/apollo_client_apq.mjs` runs `@apollo/client` (pinned in oracle/package.json)
with `PersistedQueryLink` and `HttpLink` in node and records every request it sends:
the router must answer each the way the link expects (a miss it retries with the
query, then hits), under the router's default CSRF prevention.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
from cache_harness import REDIS_URL, REPO, Router
from support.oracle import require_oracle

QUERY = "query TopNames { topProducts(first: 3) { upc name } }"
# What Apollo Client sends for QUERY: its cache adds `__typename` to each selection.
SENT = "query TopNames { topProducts(first: 3) { upc name __typename } }"
SCRIPT = REPO / "oracle" / "apollo_client_apq.mjs"


@pytest.fixture(scope="module")
def node() -> str:
    path = require_oracle()
    if not (REPO / "oracle" / "node_modules" / "@apollo" / "client").is_dir():
        reason = "oracle/node_modules/@apollo/client is missing: run `make oracle`"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


def run_client(node: str, router: Router, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        [node, str(SCRIPT), "--url", router.url, "--query", QUERY, *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def shape(request: dict[str, Any]) -> tuple[str, bool, bool]:
    """(method, sends the query, sends a persistedQuery extension)."""
    if request["method"] == "GET":
        params = request["params"]
        extensions = json.loads(params.get("extensions", "{}"))
        return ("GET", "query" in params, "persistedQuery" in extensions)
    body = request["body"]
    return ("POST", "query" in body, "persistedQuery" in body.get("extensions", {}))


@pytest.mark.parametrize("get", [True, False], ids=["get-for-hashes", "post"])
def test_apollo_client_registers_on_a_miss_then_sends_the_hash_alone(
    node: str, router_with: Callable[..., Router], get: bool
) -> None:
    router = router_with("")
    expected = router.query(SENT)
    assert expected["data"]["topProducts"], expected
    hashed = "GET" if get else "POST"
    run = run_client(node, router, "--times", "3", *(["--get"] if get else []))
    assert [shape(r) for r in run["requests"]] == [
        (hashed, False, True),  # the hash alone: PersistedQueryNotFound
        ("POST", True, True),  # the link's retry with the query registers it
        (hashed, False, True),  # then the hash alone is enough
        (hashed, False, True),
    ]
    assert run["results"] == [{"data": expected["data"], "error": None}] * 3


def test_a_second_client_hits_what_the_first_registered_through_another_router(
    node: str, router_with: Callable[..., Router], redis_prefix: str
) -> None:
    config = (
        "apq:\n  router:\n    cache:\n      redis:\n"
        f"        urls: [{REDIS_URL}]\n        namespace: {redis_prefix.rstrip(':')}\n"
    )
    first, second = router_with(config), router_with(config)
    registered = run_client(node, first, "--get")
    assert len(registered["requests"]) == 2
    later = run_client(node, second, "--get")
    assert [shape(r) for r in later["requests"]] == [("GET", False, True)]
    assert later["results"] == registered["results"]
    assert later["results"][0]["data"]["topProducts"]
