"""Instance health end to end: `router serve` in front of real `echo` instances whose
answers and health endpoints the tests switch. Outlier ejection takes an instance
answering 500 out and brings it back; active health checks take out an instance whose
`GET /health` fails and let it back after `healthy_after` passes. Waits are on the
router's metrics and the instances' counts, never on timing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from traffic_harness import Instance, fire, free_port, metric, router_with, wait_until

QUERY = {"query": "{ whoami }"}


def _healthy(port: int) -> float:
    return metric(port, "api_upstream_healthy_count", subgraph="echo")


def _ejections(port: int, instance: Instance) -> float:
    return metric(
        port, "api_upstream_ejections_total", subgraph="echo", instance=instance.url
    )


def _answered_by(answers: list[tuple[int, dict[str, Any]]]) -> set[str]:
    return {body["data"]["whoami"] for _, body in answers if body.get("data")}


async def test_an_instance_answering_500_is_ejected_then_restored(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue, green = fresh["blue"], fresh["green"]
    green.mode("status500")
    port = free_port()
    outlier = {
        "consecutive_failures": 3,
        "ejection_time": "2s",
        "max_ejection_percent": 50,
    }
    router = router_with(
        tmp_path,
        [blue.url, green.url],
        {"outlier_detection": outlier},
        metrics_port=port,
    )
    try:
        assert _healthy(port) == 2
        # Round robin: green gets every other fetch until its third 500.
        await fire(router.url, [QUERY] * 6, concurrency=1)
        assert green.stats()["requests"] == 3
        assert _ejections(port, green) == 1
        assert _ejections(port, blue) == 0
        assert _healthy(port) == 1

        # Ejected: every fetch goes to blue.
        served = await fire(router.url, [QUERY] * 10, concurrency=1)
        assert [body for _, body in served] == [{"data": {"whoami": "blue"}}] * 10
        assert green.stats()["requests"] == 3

        # After the ejection time it is back, and gets fetches again.
        green.mode("ok")
        await wait_until(lambda: _healthy(port) == 2, "green to be restored")
        again = await fire(router.url, [QUERY] * 4, concurrency=1)
        assert _answered_by(again) == {"blue", "green"}
    finally:
        router.stop()


async def test_ejections_stop_at_max_ejection_percent(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    trio = [fresh["blue"], fresh["green"], fresh["canary"]]
    for instance in trio:
        instance.mode("status500")
    port = free_port()
    outlier = {
        "consecutive_failures": 2,
        "ejection_time": "1h",
        "max_ejection_percent": 70,
    }
    router = router_with(
        tmp_path,
        [i.url for i in trio],
        {"outlier_detection": outlier},
        metrics_port=port,
    )
    try:
        await fire(router.url, [QUERY] * 24, concurrency=1)
        # Two of three (67%) may be out; the third would make 100%.
        assert sum(_ejections(port, i) for i in trio) == 2
        assert _healthy(port) == 1
        [kept] = [i for i in trio if _ejections(port, i) == 0]
        before = kept.stats()["requests"]
        await fire(router.url, [QUERY] * 5, concurrency=1)
        assert kept.stats()["requests"] == before + 5
    finally:
        router.stop()


async def test_an_instance_failing_its_health_check_gets_no_fetches_until_it_passes(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue, green = fresh["blue"], fresh["green"]
    port = free_port()
    check = {
        "path": "/health",
        "interval": "50ms",
        "timeout": "1s",
        "unhealthy_after": 2,
        "healthy_after": 3,
    }
    router = router_with(
        tmp_path, [blue.url, green.url], {"health_check": check}, metrics_port=port
    )
    try:
        await wait_until(lambda: green.stats()["checks"] >= 1, "a health check")
        green.health(503)
        await wait_until(lambda: _healthy(port) == 1, "green to be left out")
        before = green.stats()["requests"]
        served = await fire(router.url, [QUERY] * 10, concurrency=1)
        assert [body for _, body in served] == [{"data": {"whoami": "blue"}}] * 10
        assert green.stats()["requests"] == before

        green.health(200)
        await wait_until(lambda: _healthy(port) == 2, "green to be back")
        # Back only after `healthy_after` passes in a row.
        assert green.stats()["passes"] >= 3
        again = await fire(router.url, [QUERY] * 4, concurrency=1)
        assert _answered_by(again) == {"blue", "green"}

        # Every instance failing its checks: fetches spread over all (panic mode).
        blue.health(503)
        green.health(503)
        await wait_until(lambda: _healthy(port) == 0, "both to be left out")
        panic = await fire(router.url, [QUERY] * 4, concurrency=1)
        assert _answered_by(panic) == {"blue", "green"}
    finally:
        router.stop()


async def test_a_hot_reload_replaces_the_health_checks(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    blue = fresh["blue"]
    check = {"path": "/health", "interval": "50ms"}
    router = router_with(tmp_path, [blue.url], {"health_check": check})

    def checks(path: str) -> int:
        counts: dict[str, int] = blue.stats()["by_path"]
        return counts.get(path, 0)

    try:
        await wait_until(lambda: checks("/health") >= 2, "health checks")
        # A request held in flight keeps the replaced config alive past the reload.
        blue.mode("hold")
        held = asyncio.create_task(fire(router.url, [QUERY]))
        await wait_until(lambda: blue.stats()["held"] == 1, "a request held")
        config_file = tmp_path / "router.yaml"
        config = json.loads(config_file.read_text(encoding="utf-8"))
        config["traffic_shaping"]["subgraphs"]["echo"]["health_check"] = {
            "path": "/healthz",
            "interval": "50ms",
        }
        config_file.write_text(json.dumps(config), encoding="utf-8")
        await wait_until(lambda: checks("/healthz") >= 1, "the new config's checks")
        before = checks("/health")
        target = checks("/healthz") + 10
        await wait_until(lambda: checks("/healthz") >= target, "ten more checks")
        # The replaced config's monitor stopped with the reload (one check may have
        # been on its way).
        assert checks("/health") <= before + 1
        blue.release()
        [(_, body)] = await held
        assert body == {"data": {"whoami": "blue"}}
    finally:
        router.stop()
