"""Helpers for the APQ and persisted-query tests: routers with a given router.yaml,
requests in the shapes Apollo's clients send, manifests written by the test.

A module of its own (not conftest.py) so tests import it by name.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.server.server_harness import REPO, Reply, Router, http, write_config

__all__ = [
    "REDIS_URL",
    "REPO",
    "Reply",
    "Router",
    "apollo_manifest",
    "apq_get",
    "apq_post",
    "eventually",
    "sha256",
    "start_router",
]

# The Redis `redis_prefix` (tests/conftest.py) checks.
REDIS_URL = "redis://127.0.0.1:6379"
# Apollo Client sends this on every request (`HttpLink`'s defaults), GET ones too; it
# is what lets a GET through CSRF prevention.
CLIENT_HEADERS = {
    "content-type": "application/json",
    "accept": "application/graphql-response+json,application/json;q=0.9",
}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def start_router(
    folder: Path, urls: Mapping[str, str], extra: str, introspection: bool = False
) -> Router:
    """`router serve` over the committed supergraph with `extra` router.yaml."""
    config = write_config(folder, urls, extra, introspection=introspection)
    return Router(
        ["--config", str(config), "--listen", "127.0.0.1:0"], folder
    ).wait_ready()


def _extensions(hash_: str, version: int = 1) -> dict[str, Any]:
    return {"persistedQuery": {"version": version, "sha256Hash": hash_}}


def apq_get(
    router: Router,
    hash_: str,
    query: str | None = None,
    *,
    version: int = 1,
    operation_name: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """A GET as Apollo Client's persisted-query link sends it with
    `useGETForHashedQueries`: `extensions` JSON-encoded in the URL, no `query`."""
    params: dict[str, str] = {
        "variables": "{}",
        "extensions": json.dumps(_extensions(hash_, version)),
    }
    if operation_name is not None:
        params["operationName"] = operation_name
    if query is not None:
        params["query"] = query
    url = f"{router.url}?{urllib.parse.urlencode(params)}"
    return http(url, headers={**CLIENT_HEADERS, **(headers or {})})


def apq_post(
    router: Router,
    hash_: str,
    query: str | None = None,
    *,
    version: int = 1,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """A POST as the link sends it: the hash alone, or with the query on a retry."""
    payload: dict[str, Any] = {
        "variables": {},
        "extensions": _extensions(hash_, version),
    }
    if query is not None:
        payload["query"] = query
    return http(
        router.url,
        json.dumps(payload).encode(),
        method="POST",
        headers={**CLIENT_HEADERS, **(headers or {})},
    )


def apollo_manifest(operations: Mapping[str, str]) -> str:
    """An Apollo-format manifest of `{id: body}` (named after each body's operation)."""
    entries = []
    for id_, body in operations.items():
        words = body.split()
        name = words[1].split("(")[0].split("{")[0] if words[0] == "query" else None
        entries.append({"id": id_, "body": body, "name": name, "type": "query"})
    return json.dumps(
        {
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": entries,
        }
    )


def eventually(
    check: Callable[[], Any], what: str, timeout: float = 30.0, interval: float = 0.1
) -> Any:
    """Polls `check` until it returns something truthy (returned); fails after
    `timeout` seconds saying `what` never happened."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout} s")
        time.sleep(interval)
