"""The circuit breaker end to end: `router serve` in front of two subgraphs, `echo`
(always healthy) and `hello` (its breaker under test), each a real instance process
that counts the requests reaching it. Waits are on the instances' counts and the
router's metrics, never on timing."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from support.processes import Service, start_router
from traffic_harness import (
    ECHO_SDL,
    HERE,
    Instance,
    fire,
    free_port,
    metric,
    wait_until,
)

from tests.telemetry.telemetry_harness import OtlpReceiver

HELLO_SDL = HERE / "hello.graphql"
QUERY = {"query": "{ whoami hello }"}
OPEN_FOR = 1.0  # seconds
BREAKER = {
    "failure_rate": 0.5,
    "minimum_requests": 4,
    "window": "1m",
    "open_for": f"{int(OPEN_FOR * 1000)}ms",
    "half_open_requests": 1,
}


def _router(
    folder: Path,
    echo: Instance,
    hello: Instance,
    metrics: int,
    breaker: dict[str, Any] = BREAKER,
    tracing: dict[str, Any] | None = None,
) -> Service:
    config: dict[str, Any] = {
        "subgraphs": {
            "echo": {
                "schema": {"file": str(ECHO_SDL)},
                "instances": [{"url": echo.url}],
            },
            "hello": {
                "schema": {"file": str(HELLO_SDL)},
                "instances": [{"url": hello.url}],
            },
        },
        "traffic_shaping": {"subgraphs": {"hello": {"circuit_breaker": breaker}}},
        "include_subgraph_errors": {"all": True},
        "telemetry": {
            "exporters": {
                "metrics": {
                    "prometheus": {
                        "enabled": True,
                        "listen": f"127.0.0.1:{metrics}",
                        "path": "/metrics",
                    }
                }
            }
        },
    }
    if tracing is not None:
        config["telemetry"]["exporters"]["tracing"] = tracing
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "router.yaml"
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")  # JSON is YAML
    return start_router(path)


def _codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


async def _until_admitted(url: str) -> dict[str, Any]:
    """Sends the query until the breaker lets one through; that one's body."""
    while True:
        [(_, body)] = await fire(url, [QUERY])
        if "SUBREQUEST_CIRCUIT_OPEN" not in _codes(body):
            return body
        await asyncio.sleep(0.05)


async def test_a_failing_subgraph_opens_its_breaker_then_a_good_probe_closes_it(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    echo, hello = fresh["blue"], fresh["green"]
    hello.mode("status500")
    port = free_port()
    router = _router(tmp_path, echo, hello, port)

    def state() -> float:
        return metric(port, "api_circuit_breaker_state", subgraph="hello")

    def entered(name: str) -> float:
        return metric(
            port,
            "api_circuit_breaker_transitions_total",
            subgraph="hello",
            state=name,
        )

    try:
        # Closed: four failures of four fetches trip it.
        failed = await fire(router.url, [QUERY] * 4, concurrency=1)
        assert [_codes(body) for _, body in failed] == [["SUBREQUEST_HTTP_ERROR"]] * 4
        http_error = failed[0][1]["errors"][0]
        await wait_until(lambda: state() == 1, "the breaker to show open")
        assert hello.stats()["requests"] == 4

        # Open: refused without a request, at the fetch's path, the rest served;
        # at most one probe (half_open_requests) per open_for gets through.
        started = time.monotonic()
        refused = await fire(router.url, [QUERY] * 20, concurrency=1)
        elapsed = time.monotonic() - started
        probes = hello.stats()["requests"] - 4
        assert probes <= elapsed / OPEN_FOR + 1
        circuit_open = [
            body for _, body in refused if _codes(body) == ["SUBREQUEST_CIRCUIT_OPEN"]
        ]
        assert len(circuit_open) == 20 - probes
        for body in circuit_open:
            assert body["data"] == {"whoami": "blue", "hello": None}
            [error] = body["errors"]
            assert error.get("path") == http_error.get("path")
            assert error["extensions"]["serviceName"] == "hello"

        # Half-open: the one probe is held at the instance; others are refused.
        hello.mode("hold")
        probe = asyncio.create_task(_until_admitted(router.url))
        await wait_until(lambda: hello.stats()["held"] == 1, "a probe to arrive")
        assert state() == 2
        # Another text: an identical query would share the probe's request.
        [(_, body)] = await fire(router.url, [{"query": "{ whoami again: hello }"}])
        assert _codes(body) == ["SUBREQUEST_CIRCUIT_OPEN"]
        held = hello.stats()["requests"]

        # The probe succeeds: closed, and traffic flows again.
        hello.release()
        answer = {"data": {"whoami": "blue", "hello": "hello from green"}}
        assert await probe == answer
        await wait_until(lambda: state() == 0, "the breaker to show closed")
        flowing = await fire(router.url, [QUERY] * 10, concurrency=1)
        assert [body for _, body in flowing] == [answer] * 10
        assert hello.stats()["requests"] == held + 10
        assert entered("open") >= 1
        assert entered("half_open") >= 1
        assert entered("closed") == 1
    finally:
        router.stop()


async def test_a_refused_fetch_is_marked_on_its_span(
    fresh: dict[str, Instance], tmp_path: Path
) -> None:
    echo, hello = fresh["blue"], fresh["green"]
    hello.mode("status500")
    receiver = OtlpReceiver("http")
    tracing = {
        "common": {"sampler": 1.0},
        "otlp": {
            "enabled": True,
            "endpoint": receiver.endpoint,
            "protocol": "http",
            "batch_processor": {"scheduled_delay": "50ms"},
        },
    }
    once = {"failure_rate": 1, "minimum_requests": 1, "open_for": "1h"}
    router = _router(tmp_path, echo, hello, free_port(), once, tracing)
    try:
        answers = await fire(router.url, [QUERY] * 2, concurrency=1)
        spans = receiver.wait_for(
            lambda got: any("subgraph.circuit_open" in s.attributes for s in got)
        )
    finally:
        router.stop()
        receiver.stop()
    assert [_codes(body) for _, body in answers] == [
        ["SUBREQUEST_HTTP_ERROR"],
        ["SUBREQUEST_CIRCUIT_OPEN"],
    ]
    assert hello.stats()["requests"] == 1
    [refused] = [s for s in spans if "subgraph.circuit_open" in s.attributes]
    assert refused.name == "fetch"
    assert refused.attributes["subgraph.circuit_open"] is True
