"""Persisted-query lists from local manifests (Apollo's format and Relay's): operations
by id, `log_unknown`, the safelist and `require_id`, as Apollo Router does them
(persisted_queries/mod.rs and freeform_graphql_behavior.rs).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cache_harness import (
    Router,
    apollo_manifest,
    apq_get,
    apq_post,
    sha256,
)

from tests.server.server_harness import write_config

TOP = "query Top { topProducts(first: 2) { upc name } }"
ME = "query Me { me { id username } }"
# TOP as another client might format it: other whitespace, commas and a comment.
TOP_REFORMATTED = (
    "query Top {\n  topProducts(first: 2) , { upc\n name } # best sellers\n}"
)
TOP_REORDERED = "query Top { topProducts(first: 2) { name upc } }"
UNLISTED = "query Unlisted { topProducts(first: 1) { upc } }"

APOLLO = {"top-id": TOP, "me-id": ME}
RELAY = {"relay-top": TOP}


def start(
    router_with: Callable[..., Router],
    folder: Path,
    settings: str,
    manifest: str | None = None,
    name: str = "manifest.json",
    introspection: bool = False,
) -> Router:
    """A router over `manifest` (Apollo's format of APOLLO by default) with
    `persisted_queries` set to `settings` (indented under it)."""
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(manifest or apollo_manifest(APOLLO), encoding="utf-8")
    return router_with(
        f"persisted_queries:\n  enabled: true\n  local_manifests: [{name}]\n{settings}",
        folder=folder,
        introspection=introspection,
    )


def data(reply: Any) -> Any:
    body = reply.json()
    assert "errors" not in body, body
    return body["data"]


def error(reply: Any) -> tuple[int, str, str]:
    body = reply.json()
    assert "data" not in body, body
    (first,) = body["errors"]
    return reply.status, first["extensions"]["code"], first["message"]


@pytest.mark.parametrize("manifest", ["apollo", "relay"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_operation_sent_by_its_manifest_id_runs(
    router_with: Callable[..., Router], tmp_path: Path, manifest: str, method: str
) -> None:
    text = apollo_manifest(APOLLO) if manifest == "apollo" else json.dumps(RELAY)
    router = start(router_with, tmp_path / "r", "", text)
    id_ = "top-id" if manifest == "apollo" else "relay-top"
    send = apq_get if method == "GET" else apq_post
    assert data(send(router, id_)) == router.query(TOP)["data"]


def test_unknown_id_goes_to_apq_while_apq_is_on(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    router = start(router_with, tmp_path / "r", "")
    assert error(apq_post(router, sha256(UNLISTED))) == (
        200,
        "PERSISTED_QUERY_NOT_FOUND",
        "PersistedQueryNotFound",
    )
    assert data(apq_post(router, sha256(UNLISTED), UNLISTED))  # APQ registers it
    assert data(apq_get(router, sha256(UNLISTED)))


def test_unknown_id_is_not_in_the_list_while_apq_is_off(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    router = start(router_with, tmp_path / "r", "apq:\n  enabled: false\n")
    reply = apq_get(router, "nope")
    assert error(reply) == (
        404,
        "PERSISTED_QUERY_NOT_IN_LIST",
        "Persisted query 'nope' not found in the persisted query list",
    )
    assert reply.headers["cache-control"] == "private, no-cache, must-revalidate"
    assert error(apq_post(router, "top-id", TOP))[:2] == (
        400,
        "CANNOT_SEND_PQ_ID_AND_BODY",
    )


def test_operation_listed_for_one_client_is_served_to_that_client_only(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    manifest = json.dumps(
        {
            "format": "apollo-persisted-query-manifest",
            "version": 1,
            "operations": [
                {"id": "shared", "body": TOP, "clientName": "web"},
                {"id": "shared", "body": ME},
            ],
        }
    )
    router = start(router_with, tmp_path / "r", "apq:\n  enabled: false\n", manifest)
    web = {"apollographql-client-name": "web"}
    assert data(apq_get(router, "shared", headers=web)) == router.query(TOP)["data"]
    assert "me" in data(apq_get(router, "shared"))


def test_log_unknown_logs_operations_not_in_the_list_and_runs_them(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    router = start(router_with, tmp_path / "r", "  log_unknown: true\n")
    assert data(router.post({"query": UNLISTED}))
    assert data(router.post({"query": TOP_REFORMATTED}))
    assert data(apq_get(router, "me-id"))
    logged = [
        line for line in router.stderr().splitlines() if "unknown operation" in line
    ]
    assert len(logged) == 1, logged
    assert json.dumps(UNLISTED) in logged[0]


def safelisted(
    router_with: Callable[..., Router],
    folder: Path,
    extra: str,
    introspection: bool = False,
) -> Router:
    return start(
        router_with,
        folder,
        f"  safelist:\n    enabled: true\n{extra}apq:\n  enabled: false\n",
        introspection=introspection,
    )


def test_safelist_runs_listed_ids_and_equal_bodies_only(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    router = safelisted(router_with, tmp_path / "r", "")
    expected = router.query(TOP)["data"]
    assert data(apq_post(router, "top-id")) == expected
    assert data(router.post({"query": TOP_REFORMATTED})) == expected
    for body in (UNLISTED, TOP_REORDERED, "{ this is not graphql"):
        reply = router.post({"query": body})
        assert error(reply) == (
            403,
            "QUERY_NOT_IN_SAFELIST",
            "The operation body was not found in the persisted query safelist",
        ), body
        # 403 under the legacy media type too: a refusal, not a GraphQL failure.
        assert router.post({"query": body}, accept="application/json").status == 403


@pytest.mark.parametrize("introspection", [True, False])
def test_safelist_lets_introspection_through_only_while_introspection_is_on(
    router_with: Callable[..., Router], tmp_path: Path, introspection: bool
) -> None:
    router = safelisted(router_with, tmp_path / "r", "", introspection)
    for body in ("{ __schema { queryType { name } } }", "query T { __typename }"):
        reply = router.post({"query": body})
        if introspection:
            assert data(reply), body
        else:
            assert error(reply)[:2] == (403, "QUERY_NOT_IN_SAFELIST"), body


def test_safelist_with_log_unknown_logs_what_it_refuses(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    router = safelisted(router_with, tmp_path / "r", "  log_unknown: true\n")
    assert error(router.post({"query": UNLISTED}))[1] == "QUERY_NOT_IN_SAFELIST"
    assert json.dumps(UNLISTED) in router.stderr()


def test_require_id_refuses_bodies_even_listed_ones(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    router = safelisted(router_with, tmp_path / "r", "    require_id: true\n")
    assert data(apq_get(router, "top-id"))
    for body in (TOP, UNLISTED):
        assert error(router.post({"query": body})) == (
            400,
            "PERSISTED_QUERY_ID_REQUIRED",
            "This endpoint does not allow freeform GraphQL requests; operations must "
            "be sent by ID in the persisted queries GraphQL extension.",
        )
    assert error(apq_get(router, sha256(TOP)))[:2] == (
        404,
        "PERSISTED_QUERY_NOT_IN_LIST",
    )


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (
            json.dumps(
                {
                    "format": "apollo-persisted-query-manifest",
                    "version": 1,
                    "operations": [
                        {"id": "a", "body": TOP},
                        {"id": "b", "body": "query Broken { me {"},
                    ],
                }
            ),
            "persisted_queries.local_manifests[0]: operations[1].body: not valid "
            "GraphQL: Syntax Error",
        ),
        (
            json.dumps({"format": "apollo-persisted-query-manifest", "version": 2}),
            "persisted_queries.local_manifests[0]: version: must be 1 (got 2)",
        ),
        (
            json.dumps({"relay-a": TOP, "relay-b": 42}),
            'persisted_queries.local_manifests[0]: ["relay-b"]: must be a string',
        ),
        (
            json.dumps(
                {
                    "format": "apollo-persisted-query-manifest",
                    "version": 1,
                    "operations": [{"id": "a", "body": TOP}, {"id": "a", "body": ME}],
                }
            ),
            "persisted_queries.local_manifests[0]: operations[1].id: 'a' is already "
            "the id of another operation",
        ),
    ],
    ids=["body", "version", "relay-value", "duplicate-id"],
)
def test_serve_refuses_a_malformed_manifest_naming_where(
    tmp_path: Path, manifest: str, message: str
) -> None:
    (tmp_path / "manifest.json").write_text(manifest, encoding="utf-8")
    config = write_config(
        tmp_path,
        None,
        "persisted_queries:\n  enabled: true\n  local_manifests: [manifest.json]\n",
    )
    done = run_serve(config)
    assert done.returncode == 1
    assert message in done.stderr
    if "already the id" not in message:  # a duplicate names both places instead
        assert "(in manifest.json)" in done.stderr


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (
            "persisted_queries:\n  enabled: true\n  local_manifests: [m.json]\n"
            "  safelist:\n    enabled: true\n",
            "apq.enabled: must be false while persisted_queries.safelist.enabled is "
            "true",
        ),
        (
            "persisted_queries:\n  enabled: true\n  local_manifests: [m.json]\n"
            "  safelist:\n    require_id: true\napq:\n  enabled: false\n",
            "persisted_queries.safelist.require_id: needs "
            "persisted_queries.safelist.enabled: true",
        ),
        (
            "persisted_queries:\n  enabled: true\n",
            "persisted_queries.local_manifests: give at least one manifest file",
        ),
        (
            "persisted_queries:\n  log_unknown: true\n",
            "persisted_queries.log_unknown: needs persisted_queries.enabled: true",
        ),
        (
            "persisted_queries:\n  enabled: true\n  local_manifests: [missing.json]\n",
            "persisted_queries.local_manifests[0]: cannot read: No such file or "
            "directory (in missing.json)",
        ),
        (
            "apq:\n  router:\n    cache:\n      redis:\n        urls: [http://x]\n",
            "apq.router.cache.redis.urls: 'http://x': expected a redis://, rediss:// "
            "or unix:// URL",
        ),
        (
            "apq:\n  router:\n    cache:\n      in_memory:\n        limit: 0\n",
            "apq.router.cache.in_memory.limit: Input should be greater than or equal "
            "to 1",
        ),
    ],
    ids=[
        "safelist-with-apq",
        "require-id-alone",
        "no-manifest",
        "log-unknown-alone",
        "missing-file",
        "redis-url",
        "limit",
    ],
)
def test_serve_refuses_bad_config_naming_the_key(
    tmp_path: Path, settings: str, message: str
) -> None:
    (tmp_path / "m.json").write_text(apollo_manifest(APOLLO), encoding="utf-8")
    done = run_serve(write_config(tmp_path, None, settings))
    assert done.returncode == 1
    assert message in done.stderr, done.stderr


def run_serve(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "router.cli",
            "serve",
            "--config",
            str(config),
            "--listen",
            "127.0.0.1:0",
        ],
        cwd=config.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
