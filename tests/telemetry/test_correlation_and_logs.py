"""Correlation ids on every request, and the JSON access log on stdout."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable

from telemetry_harness import RecordingProxy, Router

JOIN = "query Join { topProducts(first: 1) { name reviews { author { name } } } }"
ACCESS_LOG = """
telemetry:
  exporters:
    logging:
      stdout:
        enabled: true
"""


def _urls(proxies: dict[str, RecordingProxy]) -> dict[str, str]:
    return {name: proxy.url for name, proxy in proxies.items()}


def _log_lines(router: Router, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 5
    while len(router.lines) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return [json.loads(line) for line in router.lines]


def test_a_request_without_an_id_gets_a_uuid_sent_to_every_subgraph_and_echoed(
    proxies: dict[str, RecordingProxy], shared_router: Callable[[str], Router]
) -> None:
    router = shared_router("")
    first = router.post({"query": JOIN})
    second = router.post({"query": JOIN})
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert ids[0] != ids[1]
    for value in ids:
        assert str(uuid.UUID(value)) == value
    for name in ("products", "reviews", "users"):
        assert [r["x-request-id"] for r in proxies[name].requests] == ids, name


def test_a_client_request_id_is_kept_unless_it_is_not_a_sane_token(
    proxies: dict[str, RecordingProxy], shared_router: Callable[[str], Router]
) -> None:
    router = shared_router("")
    kept = router.post({"query": JOIN}, headers={"x-request-id": "order-7f3a"})
    assert kept.headers["x-request-id"] == "order-7f3a"
    replaced = router.post({"query": JOIN}, headers={"x-request-id": "x" * 500})
    assert str(uuid.UUID(replaced.headers["x-request-id"]))
    sent = [r["x-request-id"] for r in proxies["products"].requests]
    assert sent == ["order-7f3a", replaced.headers["x-request-id"]]


def test_refused_requests_carry_a_request_id_too(
    shared_router: Callable[[str], Router],
) -> None:
    router = shared_router("")
    reply = router.post({"query": "{ nope"}, headers={"x-request-id": "bad-1"})
    assert reply.status == 400
    assert reply.headers["x-request-id"] == "bad-1"


def test_access_log_writes_one_json_line_per_request(
    proxies: dict[str, RecordingProxy], start_router: Callable[..., Router]
) -> None:
    router = start_router(_urls(proxies), ACCESS_LOG)
    router.post({"query": JOIN}, headers={"x-request-id": "log-1"})
    router.post({"query": "{ nope"}, headers={"x-request-id": "log-2"})
    first, second = _log_lines(router, 2)
    assert first["request_id"] == "log-1"
    assert first["method"] == "POST"
    assert first["path"] == "/graphql"
    assert first["status"] == 200
    assert first["operation_name"] == "Join"
    assert first["operation_type"] == "query"
    assert first["subgraphs"] == ["products", "reviews", "users"]
    assert first["client_address"] == "127.0.0.1"
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0
    assert first["trace_id"] is None  # tracing is off
    assert str(first["timestamp"]).endswith("+00:00")
    assert second["request_id"] == "log-2"
    assert second["status"] == 400
    assert second["operation_name"] is None
    assert second["subgraphs"] == []
    assert second["error_codes"] == ["GRAPHQL_PARSE_FAILED"]


def test_no_access_log_unless_enabled(shared_router: Callable[[str], Router]) -> None:
    router = shared_router("")
    router.post({"query": "{ __typename }"})
    time.sleep(0.3)
    assert router.lines == []
