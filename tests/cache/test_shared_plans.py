"""The plan cache shared through Redis, and warmed up across a schema reload.

Real `router serve` processes over the example subgraphs; what they planned is read
from their Prometheus endpoints (`api_query_planning_duration_seconds_count` counts
plans computed, `api_cache_hits_total{cache="query_planning"}` plans served from a
cache). Each Redis test has a key namespace of its own (`redis_prefix`).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from cache_harness import REDIS_URL, Router, eventually
from prometheus_client.parser import text_string_to_metric_families

from tests.server.server_harness import http, write_config

TOP = "query Top { topProducts(first: 2) { name price } }"
JOIN = "query Join { topProducts(first: 1) { name reviews { body author { name } } } }"
PROMETHEUS = (
    "telemetry:\n  exporters:\n    metrics:\n      prometheus:\n"
    "        enabled: true\n        listen: 127.0.0.1:0\n        path: /metrics\n"
)


def redis_planning(namespace: str, url: str = REDIS_URL) -> str:
    return (
        "  query_planning:\n    cache:\n      redis:\n"
        f"        urls: [{url}]\n        namespace: {namespace}\n"
        "        timeout: 300ms\n"
    )


@pytest.fixture
def start(
    example_urls: dict[str, str], tmp_path: Path
) -> Iterator[Callable[..., Router]]:
    """`start(planning_yaml, folder=None)`: a router whose `supergraph:` section gets
    `planning_yaml`, with Prometheus on; all stop after the test."""
    started: list[Router] = []

    def run(planning: str = "", folder: Path | None = None) -> Router:
        where = folder or tmp_path / f"r{len(started)}"
        where.mkdir(exist_ok=True)
        config = write_config(where, example_urls, PROMETHEUS)
        text = config.read_text()
        assert text.count("supergraph:\n") == 1
        config.write_text(text.replace("supergraph:\n", "supergraph:\n" + planning))
        router = Router(
            ["--config", str(config), "--listen", "127.0.0.1:0"], where
        ).wait_ready()
        started.append(router)
        return router

    yield run
    for router in started:
        router.stop()


def metric(router: Router, name: str, **labels: str) -> float:
    """A sample's value from the router's scrape endpoint (0 when not there yet)."""
    deadline = time.monotonic() + 20
    while (
        found := re.search(r"Prometheus metrics served at (\S+)", router.stderr())
    ) is None:
        assert time.monotonic() < deadline, router.stderr()
        time.sleep(0.05)
    body = http(found.group(1)).body.decode()
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            # An empty label is an absent one (the entity cache's `subgraph`, `type`).
            present = {k: v for k, v in sample.labels.items() if v}
            if sample.name == name and present == {
                k: v for k, v in labels.items() if v
            }:
                return float(sample.value)
    return 0.0


def planned(router: Router) -> float:
    return metric(router, "api_query_planning_duration_seconds_count")


def plan_hits(router: Router) -> float:
    return metric(router, "api_cache_hits_total", cache="query_planning")


def data(router: Router, query: str) -> object:
    body = router.query(query)
    assert "errors" not in body, body
    return body["data"]


def test_second_router_plans_nothing_the_first_planned(
    start: Callable[..., Router], redis_prefix: str
) -> None:
    config = redis_planning(redis_prefix.rstrip(":"))
    first, second = start(config), start(config)
    expected = {query: data(first, query) for query in (TOP, JOIN)}
    assert planned(first) == 2

    for query in (TOP, JOIN):
        assert data(second, query) == expected[query]
    assert planned(second) == 0
    assert plan_hits(second) == 2


def test_restarted_router_plans_nothing_it_planned_before(
    start: Callable[..., Router], redis_prefix: str
) -> None:
    config = redis_planning(redis_prefix.rstrip(":"))
    first = start(config)
    expected = data(first, JOIN)
    first.stop()

    restarted = start(config)
    assert data(restarted, JOIN) == expected
    assert planned(restarted) == 0


def test_plans_are_stored_under_the_namespace_by_schema(
    start: Callable[..., Router], redis_prefix: str
) -> None:
    router = start(redis_planning(redis_prefix.rstrip(":")))
    data(router, TOP)
    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    try:
        keys = eventually(
            lambda: list(client.scan_iter(f"{redis_prefix}plan:*")), "a stored plan"
        )
        assert len(keys) == 1
        assert re.fullmatch(
            rf"{redis_prefix}plan:v11:[0-9a-f]{{64}}:[0-9a-f]{{64}}", keys[0]
        )
        assert '"kind":"QueryPlan"' in client.get(keys[0])
    finally:
        client.close()


def test_unreachable_redis_plans_locally_and_logs_once(
    start: Callable[..., Router],
) -> None:
    # Port 1 on loopback: nothing listens there; every Redis call fails at once.
    router = start(redis_planning("x", "redis://127.0.0.1:1"))
    for query in (TOP, JOIN, TOP, JOIN):
        assert data(router, query)
    assert planned(router) == 2
    assert router.stderr().count("Redis plan cache unavailable") == 1


def test_reload_warms_up_the_previous_schemas_operations(
    start: Callable[..., Router], tmp_path: Path
) -> None:
    folder = tmp_path / "warm"
    folder.mkdir()
    router = start("", folder)
    data(router, JOIN)
    assert planned(router) == 1

    # A new schema (its hash covers the file's text): the reload plans JOIN for it.
    supergraph = folder / "supergraph.graphql"
    supergraph.write_text(supergraph.read_text() + "\n# changed\n")
    eventually(lambda: "plan cache warmed up: 1 of 1" in router.stderr(), "warm-up", 60)
    eventually(lambda: "reloaded:" in router.stderr(), "the reload", 60)

    hits, misses = (
        plan_hits(router),
        metric(router, "api_cache_misses_total", cache="query_planning"),
    )
    data(router, JOIN)
    assert plan_hits(router) == hits + 1
    assert metric(router, "api_cache_misses_total", cache="query_planning") == misses


@pytest.mark.parametrize(
    ("planning", "message"),
    [
        (
            "  query_planning:\n    cache:\n      redis:\n        urls: [http://x]\n",
            "supergraph.query_planning.cache.redis.urls: 'http://x': expected a "
            "redis://, rediss:// or unix:// URL",
        ),
        (
            "  query_planning:\n    cache:\n      redis:\n        urls: [redis://x]\n"
            "        ttl: 0s\n",
            "supergraph.query_planning.cache.redis.ttl: ",
        ),
        (
            "  query_planning:\n    warmed_up_queries: -1\n",
            "supergraph.query_planning.warmed_up_queries: Input should be greater "
            "than or equal to 0",
        ),
    ],
    ids=["redis-url", "ttl", "warmed-up-queries"],
)
def test_serve_refuses_bad_plan_cache_config_naming_the_key(
    tmp_path: Path, planning: str, message: str
) -> None:
    config = write_config(tmp_path)
    config.write_text(
        config.read_text().replace("supergraph:\n", "supergraph:\n" + planning)
    )
    done = subprocess.run(
        [sys.executable, "-m", "router.cli", "serve", "--config", str(config)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert message in done.stderr, done.stderr


def test_bad_plan_cache_config_on_reload_keeps_serving(
    start: Callable[..., Router], tmp_path: Path
) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    router = start("", folder)
    expected = data(router, TOP)
    config = folder / "router.yaml"
    config.write_text(
        config.read_text().replace(
            "supergraph:\n",
            "supergraph:\n  query_planning:\n    cache:\n      redis:\n"
            "        urls: [http://x]\n",
        )
    )
    eventually(
        lambda: "supergraph.query_planning.cache.redis.urls" in router.stderr(),
        "the refused reload",
        60,
    )
    assert data(router, TOP) == expected
