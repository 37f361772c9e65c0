"""Helpers for the traffic tests: instances of the `echo` subgraph as real processes
(`fakes/instance.py`), `router serve` composing it at start-up with the instances and
traffic rules a test writes, a client that sends many requests at once, and the
router's Prometheus numbers.

A module of its own (not conftest.py) so tests import it by a unique name.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from support.processes import Service, get, post_json, start_fakes, start_router

__all__ = [
    "ECHO_SDL",
    "Instance",
    "fire",
    "free_port",
    "metric",
    "router_with",
    "start_instances",
    "wait_until",
]

HERE = Path(__file__).parent
FAKE = HERE / "fakes" / "instance.py"
ECHO_SDL = HERE / "echo.graphql"
DEADLINE = 30.0  # seconds a test waits for a state before failing


class Instance:
    """A running `echo` instance and its control endpoints."""

    def __init__(self, service: Service, name: str) -> None:
        self.service = service
        self.name = name

    @property
    def url(self) -> str:
        return self.service.url

    def mode(self, mode: str, times: int | None = None) -> None:
        post_json(f"{self.service.base}/mode", {"mode": mode, "times": times})

    def health(self, status: int) -> None:
        """What its `GET /health` answers from now on."""
        post_json(f"{self.service.base}/health", {"status": status})

    def release(self) -> None:
        post_json(f"{self.service.base}/release", {})

    def reset(self) -> None:
        post_json(f"{self.service.base}/reset", {})

    def stats(self) -> dict[str, Any]:
        counts: dict[str, Any] = get(f"{self.service.base}/stats").json()
        return counts

    def kill(self) -> None:
        self.service.kill()

    def stop(self) -> None:
        self.service.stop()


def start_instances(*names: str) -> list[Instance]:
    services = start_fakes(FAKE, *(["--name", name] for name in names))
    return [
        Instance(service, name) for service, name in zip(services, names, strict=True)
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def router_with(
    folder: Path,
    instances: Sequence[str | Mapping[str, Any]],
    shaping: Mapping[str, Any] | None = None,
    *,
    router: Mapping[str, Any] | None = None,
    metrics_port: int | None = None,
    tracing: Mapping[str, Any] | None = None,
) -> Service:
    """`router serve` composing the echo subgraph, whose `instances` are URLs or
    `{url, weight, labels}`; `shaping` is `traffic_shaping.subgraphs.echo`, `router`
    is `traffic_shaping.router`; Prometheus on `metrics_port` when given, `tracing`
    is `telemetry.exporters.tracing`."""
    config: dict[str, Any] = {
        "subgraphs": {
            "echo": {
                "schema": {"file": str(ECHO_SDL)},
                "instances": [
                    {"url": i} if isinstance(i, str) else dict(i) for i in instances
                ],
            }
        },
        "traffic_shaping": {"subgraphs": {"echo": dict(shaping or {})}},
        "include_subgraph_errors": {"all": True},
    }
    if router is not None:
        config["traffic_shaping"]["router"] = dict(router)
    exporters: dict[str, Any] = {}
    if metrics_port is not None:
        exporters["metrics"] = {
            "prometheus": {
                "enabled": True,
                "listen": f"127.0.0.1:{metrics_port}",
                "path": "/metrics",
            }
        }
    if tracing is not None:
        exporters["tracing"] = dict(tracing)
    if exporters:
        config["telemetry"] = {"exporters": exporters}
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "router.yaml"
    # JSON is YAML.
    path.write_text(json.dumps(config, indent=2), encoding="utf-8")
    return start_router(path)


async def fire(
    url: str,
    payloads: Iterable[dict[str, Any]],
    *,
    concurrency: int = 8,
    headers: Mapping[str, str] | None = None,
    each: Callable[[int], None] | None = None,
) -> list[tuple[int, dict[str, Any]]]:
    """POSTs every payload, `concurrency` at a time; (status, body) in payload order.
    `each(n)` runs after the n-th answer (counting from 1)."""
    work = list(payloads)
    results: list[tuple[int, dict[str, Any]]] = [(0, {})] * len(work)
    answered = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(work)):
        queue.put_nowait(index)
    all_headers = {
        "content-type": "application/json",
        "accept": "application/json",
        **(headers or {}),
    }
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(trust_env=False, timeout=timeout) as session:

        async def worker() -> None:
            nonlocal answered
            while not queue.empty():
                index = queue.get_nowait()
                async with session.post(
                    url, json=work[index], headers=all_headers
                ) as response:
                    results[index] = (response.status, await response.json())
                answered += 1
                if each is not None:
                    each(answered)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def metric(port: int, name: str, **labels: str) -> float:
    """The value of one sample at the router's Prometheus endpoint (0 when absent)."""
    text = get(f"http://127.0.0.1:{port}/metrics").body.decode()
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        sample, _, value = line.rpartition(" ")
        metric_name, _, rest = sample.partition("{")
        if metric_name != name:
            continue
        found = ",".join(sorted(rest.rstrip("}").split(","))) if rest else ""
        if found == wanted:
            return float(value)
    return 0.0


async def wait_until(check: Callable[[], bool], what: str) -> None:
    """Polls `check` (off the event loop) until it holds; fails after `DEADLINE`."""
    deadline = time.monotonic() + DEADLINE
    while not await asyncio.to_thread(check):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
