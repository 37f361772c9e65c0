"""Retries, counted at the instances: a mutation is never sent twice once it reached a
subgraph, a request that reached nothing goes to another instance, and queries are
retried within `experimental_retry`'s budget, whose spending shows on the fetch span
and in the metrics."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.ports import refusing_url
from traffic_harness import Instance, fire, free_port, metric, router_with

from tests.telemetry.telemetry_harness import OtlpReceiver

BUMP = {"query": "mutation Bump { bump }"}


def _echo(text: str) -> dict[str, Any]:
    return {
        "query": "query Echo($t: String!) { whoami echo(text: $t) }",
        "variables": {"t": text},
    }


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


def _mutations(*instances: Instance) -> int:
    return sum(instance.stats()["mutations"] for instance in instances)


@pytest.fixture
def receiver() -> Iterator[OtlpReceiver]:
    started = OtlpReceiver("http")
    try:
        yield started
    finally:
        started.stop()


@pytest.mark.parametrize("failure", ["status500", "close"])
async def test_a_mutation_that_reached_the_subgraph_is_never_sent_again(
    fresh: dict[str, Instance], tmp_path: Path, failure: str
) -> None:
    blue, green = fresh["blue"], fresh["green"]
    blue.mode(failure)
    green.mode(failure)
    router = router_with(tmp_path, [blue.url, green.url], {"experimental_retry": {}})
    try:
        [(_, body)] = await fire(router.url, [BUMP])
    finally:
        router.stop()
    assert body["data"] is None
    assert _codes(body) == ["SUBREQUEST_HTTP_ERROR"]
    assert _mutations(blue, green) == 1


async def test_a_mutation_refused_a_connection_goes_to_the_other_instance(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue = fresh["blue"]
    # No `experimental_retry`: a request that reached nothing needs no budget.
    router = router_with(tmp_path, [refusing_url(), blue.url])
    try:
        results = await fire(router.url, [BUMP] * 4, concurrency=1)
    finally:
        router.stop()
    assert [body for _, body in results] == [
        {"data": {"bump": n}} for n in (1, 2, 3, 4)
    ]
    assert blue.stats()["mutations"] == 4


async def test_a_query_answered_500_once_is_retried_and_the_span_says_where(
    fresh: dict[str, Instance], tmp_path: Path, receiver: OtlpReceiver
) -> None:
    blue = fresh["blue"]
    blue.mode("status500", times=1)
    metrics = free_port()
    router = router_with(
        tmp_path,
        [blue.url],
        {"experimental_retry": {}},
        metrics_port=metrics,
        tracing={
            "common": {"sampler": 1.0},
            "otlp": {
                "enabled": True,
                "endpoint": receiver.endpoint,
                "protocol": "http",
                "batch_processor": {"scheduled_delay": "50ms"},
            },
        },
    )
    try:
        [(status, body)] = await fire(router.url, [_echo("once")])
        retries = metric(
            metrics, "api_upstream_retries_total", subgraph="echo", reason="http_5xx"
        )
        tries = metric(
            metrics, "api_upstream_requests_total", subgraph="echo", instance=blue.url
        )
        spans = receiver.wait_for(lambda got: any(s.name == "fetch" for s in got))
    finally:
        router.stop()
    assert (status, body) == (200, {"data": {"whoami": "blue", "echo": "once"}})
    assert blue.stats()["queries"] == 2
    assert (retries, tries) == (1, 2)
    [fetch] = [s for s in spans if s.name == "fetch"]
    assert fetch.attributes["url.full"] == blue.url
    assert fetch.attributes["http.request.resend_count"] == 1


async def test_without_experimental_retry_a_failed_query_is_not_retried(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue = fresh["blue"]
    blue.mode("status500", times=1)
    router = router_with(tmp_path, [blue.url])
    try:
        [(_, body)] = await fire(router.url, [_echo("once")])
    finally:
        router.stop()
    assert _codes(body) == ["SUBREQUEST_HTTP_ERROR"]
    assert blue.stats()["queries"] == 1


async def test_the_retry_budget_stops_retries_once_it_is_spent(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue = fresh["blue"]
    # No free retries; a retry costs two answered fetches (retry_percent 0.5), and
    # answers count for a minute.
    budget = {"min_per_sec": 0, "ttl": "60s", "retry_percent": 0.5}
    router = router_with(tmp_path, [blue.url], {"experimental_retry": budget})
    try:
        answered = await fire(router.url, [_echo(f"ok{n}") for n in range(10)])
        blue.mode("status500")
        failed = await fire(
            router.url, [_echo(f"ko{n}") for n in range(10)], concurrency=1
        )
    finally:
        router.stop()
    assert all("errors" not in body for _, body in answered)
    assert all(_codes(body) == ["SUBREQUEST_HTTP_ERROR"] for _, body in failed)
    # Ten answers bought five retries: the first five failures were tried twice.
    assert blue.stats()["queries"] == 10 + 10 + 5
