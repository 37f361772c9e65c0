"""Deduplication, counted at the instance: identical queries in flight at once reach
the subgraph once (`deduplicate_query`, on by default), identical client operations
share one execution (`traffic_shaping.router.deduplicate_requests`), and neither ever
folds mutations or requests whose headers differ.

The instance holds every answer until the test has seen all requests arrive (at the
instance, or in the router's deduplication counters), so the requests are truly in
flight together; no test waits on a clock.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from traffic_harness import Instance, fire, free_port, metric, router_with, wait_until

WHOAMI = {"query": "query Who { whoami }"}
BUMP = {"query": "mutation Bump { bump }"}


async def _held_then_released(
    instance: Instance,
    url: str,
    payloads: list[dict[str, Any]],
    arrived: Any,
    what: str,
    headers: list[dict[str, str]] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """Sends every payload at once while `instance` holds its answers; releases them
    once `arrived()` holds."""
    instance.mode("hold")
    if headers is None:
        sending = asyncio.ensure_future(fire(url, payloads, concurrency=len(payloads)))
    else:
        sending = asyncio.ensure_future(
            asyncio.gather(
                *(
                    fire(url, [p], headers=h)
                    for p, h in zip(payloads, headers, strict=True)
                )
            )
        )
    try:
        await wait_until(arrived, what)
    finally:
        instance.release()
    results = await sending
    if headers is not None:
        return [result for [result] in results]
    return results


async def test_fifty_identical_queries_in_flight_reach_the_subgraph_once(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue = fresh["blue"]
    port = free_port()
    router = router_with(tmp_path, [blue.url], metrics_port=port)
    try:
        results = await _held_then_released(
            blue,
            router.url,
            [WHOAMI] * 50,
            lambda: (
                blue.stats()["held"] == 1
                and metric(port, "api_upstream_deduplicated_total", subgraph="echo")
                == 49
            ),
            "one request held and 49 waiting on it",
        )
    finally:
        router.stop()
    assert results == [(200, {"data": {"whoami": "blue"}})] * 50
    assert blue.stats()["queries"] == 1


async def test_without_deduplicate_query_each_query_reaches_the_subgraph(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue = fresh["blue"]
    router = router_with(tmp_path, [blue.url], {"deduplicate_query": False})
    try:
        results = await _held_then_released(
            blue,
            router.url,
            [WHOAMI] * 50,
            lambda: blue.stats()["held"] == 50,
            "50 requests held",
        )
    finally:
        router.stop()
    assert results == [(200, {"data": {"whoami": "blue"}})] * 50
    assert blue.stats()["queries"] == 50


async def test_identical_client_operations_in_flight_share_one_execution(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue = fresh["blue"]
    port = free_port()
    router = router_with(
        tmp_path,
        [blue.url],
        {"deduplicate_query": False},  # inbound deduplication alone
        router={"deduplicate_requests": True},
        metrics_port=port,
    )
    try:
        results = await _held_then_released(
            blue,
            router.url,
            [WHOAMI] * 50,
            lambda: (
                blue.stats()["held"] == 1
                and metric(port, "api_deduplicated_requests_total") == 49
            ),
            "one execution held and 49 operations waiting on it",
        )
    finally:
        router.stop()
    assert results == [(200, {"data": {"whoami": "blue"}})] * 50
    assert blue.stats()["queries"] == 1


async def test_client_operations_with_different_authorization_run_apart(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue = fresh["blue"]
    port = free_port()
    router = router_with(
        tmp_path,
        [blue.url],
        {"deduplicate_query": False},
        router={"deduplicate_requests": True},
        metrics_port=port,
    )
    # Same operation; two callers, each also with its own correlation id and client.
    headers = [
        {
            "authorization": f"Bearer {'ab'[n % 2]}",
            "x-request-id": f"r{n}",
            "user-agent": f"client/{n}",
        }
        for n in range(20)
    ]
    try:
        results = await _held_then_released(
            blue,
            router.url,
            [WHOAMI] * 20,
            lambda: (
                blue.stats()["held"] == 2
                and metric(port, "api_deduplicated_requests_total") == 18
            ),
            "one execution held per caller",
            headers=headers,
        )
    finally:
        router.stop()
    assert results == [(200, {"data": {"whoami": "blue"}})] * 20
    assert blue.stats()["queries"] == 2


async def test_identical_mutations_are_never_deduplicated(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue = fresh["blue"]
    router = router_with(tmp_path, [blue.url], router={"deduplicate_requests": True})
    try:
        results = await _held_then_released(
            blue,
            router.url,
            [BUMP] * 5,
            lambda: blue.stats()["held"] == 5,
            "5 mutations held",
        )
    finally:
        router.stop()
    assert sorted(body["data"]["bump"] for _, body in results) == [5] * 5
    assert blue.stats()["mutations"] == 5
