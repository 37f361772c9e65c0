"""Load balancing over a subgraph's instances, counted at the instances themselves:
round robin, weighted canary splits, least request, header routes, and an instance
killed under load."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from traffic_harness import Instance, fire, router_with, start_instances, wait_until

# Distinct variables make every subgraph request distinct, so that deduplication of
# identical requests in flight never folds two into one.
ECHO = "query Echo($text: String!) { whoami echo(text: $text) }"


def _echoes(count: int, tag: str = "") -> list[dict[str, Any]]:
    return [{"query": ECHO, "variables": {"text": f"{tag}{n}"}} for n in range(count)]


def _served_by(results: list[tuple[int, dict[str, Any]]]) -> list[str]:
    """The instance that answered each request; every answer must be a clean 200."""
    names = []
    for status, body in results:
        assert status == 200 and "errors" not in body, body
        names.append(body["data"]["whoami"])
    return names


async def test_round_robin_is_the_default_and_takes_instances_in_turn(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue, green = fresh["blue"], fresh["green"]
    router = router_with(tmp_path, [blue.url, green.url])
    try:
        results = await fire(router.url, _echoes(100), concurrency=4)
    finally:
        router.stop()
    served = _served_by(results)
    assert served.count("blue") == served.count("green") == 50
    assert blue.stats()["queries"] == green.stats()["queries"] == 50


async def test_a_90_10_weighted_split_lands_within_three_points(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue, canary = fresh["blue"], fresh["canary"]
    router = router_with(
        tmp_path,
        [{"url": blue.url, "weight": 90}, {"url": canary.url, "weight": 10}],
        {"load_balancing": {"policy": "weighted"}},
    )
    try:
        results = await fire(router.url, _echoes(2000), concurrency=8)
    finally:
        router.stop()
    _served_by(results)
    at_blue, at_canary = blue.stats()["queries"], canary.stats()["queries"]
    assert at_blue + at_canary == 2000
    assert abs(at_canary / 2000 - 0.10) <= 0.03, (at_blue, at_canary)


async def test_header_route_sends_every_canary_request_to_the_canary_and_no_other(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue, green, canary = fresh["blue"], fresh["green"], fresh["canary"]
    router = router_with(
        tmp_path,
        [
            blue.url,
            green.url,
            {"url": canary.url, "labels": {"track": "canary"}},
        ],
        {
            "routes": [
                {"header": "x-canary", "value": "1", "labels": {"track": "canary"}}
            ]
        },
    )
    try:
        flagged = await fire(
            router.url, _echoes(60, "c"), headers={"X-Canary": "1"}, concurrency=4
        )
        other_value = await fire(
            router.url, _echoes(30, "z"), headers={"x-canary": "0"}, concurrency=4
        )
        plain = await fire(router.url, _echoes(60, "p"), concurrency=4)
    finally:
        router.stop()
    assert set(_served_by(flagged)) == {"canary"}
    assert "canary" not in _served_by(other_value) + _served_by(plain)
    # Requests without the header are spread over the instances no route selects.
    assert set(_served_by(plain)) == {"blue", "green"}
    assert canary.stats()["queries"] == 60


async def test_least_request_sends_around_an_instance_that_is_busy(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue, green = fresh["blue"], fresh["green"]
    blue.mode("hold")  # whatever reaches blue waits there
    router = router_with(
        tmp_path,
        [blue.url, green.url],
        {"load_balancing": {"policy": "least_request"}},
    )
    try:
        # Two at a time: while one request may wait at blue, the others find blue
        # busy and green idle.
        sending = asyncio.create_task(fire(router.url, _echoes(40), concurrency=2))
        await wait_until(
            lambda: green.stats()["queries"] >= 39, "green to serve the rest"
        )
        blue.release()
        results = await sending
    finally:
        blue.release()
        router.stop()
    _served_by(results)
    assert blue.stats()["queries"] <= 1
    assert green.stats()["queries"] >= 39


async def test_no_request_fails_while_one_of_two_instances_is_killed_under_load(
    tmp_path: Path,
) -> None:
    survivor, victim = start_instances("survivor", "victim")
    router = router_with(
        tmp_path, [survivor.url, victim.url], {"experimental_retry": {}}
    )

    def kill_midway(answered: int) -> None:
        if answered == 60:
            victim.kill()

    try:
        results = await fire(router.url, _echoes(200), concurrency=4, each=kill_midway)
        served = _served_by(results)  # every one a 200 without errors
    finally:
        router.stop()
        survivor.stop()
        victim.stop()
    assert not victim.service.alive
    assert served.count("victim") >= 20  # it took its share before it died
    assert served[-40:] == ["survivor"] * 40
