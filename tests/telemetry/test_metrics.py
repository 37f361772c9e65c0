"""The Prometheus endpoint after known traffic: counts, histogram buckets, error codes,
upstream signals, the plan cache, 429s, and a label set no client can grow."""

from __future__ import annotations

import secrets
import socket
import time
from collections.abc import Callable
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from telemetry_harness import RecordingProxy, Router, http

from router.config.telemetry import DEFAULT_BUCKETS
from router.telemetry.metrics import MAX_OPERATION_NAMES, OTHER_OPERATION

PROMETHEUS = """
telemetry:
  exporters:
    metrics:
      prometheus:
        enabled: true
        listen: 127.0.0.1:0
        path: /metrics
"""
TOP = "query Top { topProducts(first: 1) { name } }"
JOIN = "query Join { topProducts(first: 1) { name reviews { author { name } } } }"


def _scrape(router: Router) -> list[Sample]:
    reply = http(router.metrics_url())
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/plain")
    samples: list[Sample] = []
    for family in text_string_to_metric_families(reply.body.decode()):
        samples += family.samples
    return samples


def _value(samples: list[Sample], name: str, **labels: str) -> float:
    # An empty label is an absent one (the entity cache's `subgraph`, `type`).
    wanted = {k: v for k, v in labels.items() if v}
    found = [
        s.value
        for s in samples
        if s.name == name and {k: v for k, v in s.labels.items() if v} == wanted
    ]
    assert len(found) == 1, (name, labels, [s for s in samples if s.name == name])
    return found[0]


def test_metrics_count_requests_errors_latency_and_upstreams(
    proxies: dict[str, RecordingProxy], start_router: Callable[..., Router]
) -> None:
    urls = {name: proxy.url for name, proxy in proxies.items()}
    urls["users"] = "http://127.0.0.1:9/graphql"  # nobody listens: a subgraph error
    router = start_router(urls, PROMETHEUS)
    for _ in range(3):
        reply = router.post({"query": TOP})
        assert reply.status == 200 and "errors" not in reply.json()
    joined = router.post({"query": JOIN}).json()
    assert joined["errors"][0]["extensions"]["code"] == "SUBREQUEST_HTTP_ERROR"
    assert router.post({"query": "{ topProducts("}).status == 400

    samples = _scrape(router)
    top = {"operation_name": "Top", "operation_type": "query", "status_code": "200"}
    assert _value(samples, "api_requests_total", **top) == 3
    assert _value(samples, "api_request_duration_seconds_count", **top) == 3
    buckets = sorted(
        float(s.labels["le"])
        for s in samples
        if s.name == "api_request_duration_seconds_bucket"
        and {k: v for k, v in s.labels.items() if k != "le"} == top
    )
    assert buckets == [*DEFAULT_BUCKETS, float("inf")]
    assert _value(samples, "api_request_duration_seconds_bucket", **top, le="+Inf") == 3
    assert _value(samples, "api_request_duration_seconds_bucket", **top, le="10.0") == 3
    join = {"operation_name": "Join", "operation_type": "query", "status_code": "200"}
    assert _value(samples, "api_requests_total", **join) == 1
    refused = {
        "operation_name": "(unknown)",
        "operation_type": "",
        "status_code": "400",
    }
    assert _value(samples, "api_requests_total", **refused) == 1
    assert _value(samples, "api_errors_total", code="GRAPHQL_PARSE_FAILED") == 1
    assert _value(samples, "api_errors_total", code="SUBREQUEST_HTTP_ERROR") == 1
    assert _value(samples, "api_active_requests") == 0

    assert (
        _value(samples, "api_upstream_latency_seconds_count", subgraph="products") == 4
    )
    assert (
        _value(samples, "api_upstream_latency_seconds_count", subgraph="reviews") == 1
    )
    assert _value(samples, "api_upstream_latency_seconds_count", subgraph="users") == 1
    assert (
        _value(
            samples,
            "api_upstream_errors_total",
            subgraph="users",
            code="SUBREQUEST_HTTP_ERROR",
        )
        == 1
    )
    assert not [
        s
        for s in samples
        if s.name == "api_upstream_errors_total" and s.labels["subgraph"] != "users"
    ]

    # Two operations planned once each; Top twice more from the plan cache.
    assert _value(samples, "api_cache_misses_total", cache="query_planning") == 2
    assert _value(samples, "api_cache_hits_total", cache="query_planning") == 2
    assert _value(samples, "api_query_planning_duration_seconds_count") == 2
    assert _value(samples, "api_cache_hits_total", cache="document") == 2
    assert _value(samples, "api_cache_misses_total", cache="document") == 3
    assert _value(samples, "api_rate_limit_hits_total") == 0


def test_a_flood_of_operation_names_leaves_the_label_set_bounded(
    start_router: Callable[..., Router],
) -> None:
    router = start_router({}, PROMETHEUS)
    flood = MAX_OPERATION_NAMES + 40
    for _ in range(flood):
        name = "Op" + secrets.token_hex(6)
        assert router.post({"query": f"query {name} {{ __typename }}"}).status == 200
    samples = [s for s in _scrape(router) if s.name == "api_requests_total"]
    names = {s.labels["operation_name"] for s in samples}
    assert len(names) == MAX_OPERATION_NAMES + 1
    assert sum(s.value for s in samples) == flood
    other = [s for s in samples if s.labels["operation_name"] == OTHER_OPERATION]
    assert sum(s.value for s in other) == 40
    # The scrape endpoint answers its path only, on its own listener.
    assert http(router.metrics_url().rsplit("/", 1)[0] + "/other").status == 404
    assert http(router.base + "/metrics").status == 404


def test_rate_limited_requests_are_counted(
    proxies: dict[str, RecordingProxy], start_router: Callable[..., Router]
) -> None:
    extra = PROMETHEUS + "ratelimit:\n  global:\n    capacity: 2\n    interval: 1m\n"
    router = start_router({n: p.url for n, p in proxies.items()}, extra)
    statuses = [router.post({"query": TOP}).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    samples = _scrape(router)
    assert _value(samples, "api_rate_limit_hits_total") == 1
    assert _value(samples, "api_errors_total", code="REQUEST_RATE_LIMITED") == 1
    assert (
        sum(
            s.value
            for s in samples
            if s.name == "api_requests_total" and s.labels["status_code"] == "429"
        )
        == 1
    )


def test_workers_share_one_set_of_metrics(
    start_router: Callable[..., Router],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    extra = PROMETHEUS.replace("127.0.0.1:0", f"127.0.0.1:{port}")
    router = start_router({}, extra, args=("--workers", "2"))
    sent = 30
    for _ in range(sent):
        assert router.post({"query": "query Hello { __typename }"}).status == 200
    url = f"http://127.0.0.1:{port}/metrics"
    # Whichever worker answers a scrape, it reports every worker's requests.
    for _ in range(6):
        reply = http(url)
        assert reply.status == 200
        samples = [
            s
            for family in text_string_to_metric_families(reply.body.decode())
            for s in family.samples
        ]
        total = _value(
            samples,
            "api_requests_total",
            operation_name="Hello",
            operation_type="query",
            status_code="200",
        )
        assert total == sent
        assert _value(samples, "api_active_requests") == 0


def _wait_for(check: Callable[[], bool], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_reload_opens_and_closes_the_metrics_endpoint(
    start_router: Callable[..., Router], tmp_path: Path
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/metrics"

    def serving() -> bool:
        try:
            return http(url, timeout=2).status == 200
        except OSError:
            return False

    router = start_router({}, "")
    assert not serving()
    config = tmp_path / "router.yaml"
    original = config.read_text("utf-8")
    config.write_text(
        original + PROMETHEUS.replace("127.0.0.1:0", f"127.0.0.1:{port}"), "utf-8"
    )
    assert _wait_for(serving), router.stderr()
    config.write_text(original, "utf-8")
    assert _wait_for(lambda: not serving()), router.stderr()
    assert router.post({"query": "{ __typename }"}).status == 200
