"""Health checks: liveness always, readiness once a supergraph is loaded."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from server_harness import REPO, Process, Router, http, write_config


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_health_is_up_and_ready_once_loaded(
    subgraph_urls: dict[str, str], start_router: Callable[..., Router], tmp_path: Path
) -> None:
    router = start_router("--config", str(write_config(tmp_path, subgraph_urls)))
    live = http(f"{router.base}/health")
    ready = http(f"{router.base}/health?ready")
    assert (live.status, live.json()) == (200, {"status": "UP"})
    assert (ready.status, ready.json()) == (200, {"status": "UP"})


def test_not_ready_until_the_registry_composes_then_ready(
    start_router: Callable[..., Router], tmp_path: Path
) -> None:
    port = _free_port()
    (tmp_path / "router.yaml").write_text(
        "subgraphs:\n  users:\n"
        f"    routing_url: http://127.0.0.1:{port}/graphql\n"
        "    schema: { introspect: true }\n",
        encoding="utf-8",
    )
    router = start_router("--config", str(tmp_path / "router.yaml"), ready=False)
    deadline = time.monotonic() + 10
    while True:  # the listener is up before the first schema is
        try:
            reply = http(f"{router.base}/health?ready", timeout=2)
            break
        except OSError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    assert (reply.status, reply.json()) == (503, {"status": "DOWN"})
    assert http(f"{router.base}/health").status == 200
    early = router.post({"query": "{ me { id } }"})
    assert early.status == 503
    assert early.json()["errors"][0]["extensions"]["code"] == "SERVICE_UNAVAILABLE"

    users = Process(
        [sys.executable, "-m", "subgraphs.users", "--port", str(port)],
        REPO,
        r"(http://\S+)",
    )
    try:
        router.wait_ready(timeout=15)
        assert router.query("{ me { id } }") == {"data": {"me": {"id": "1"}}}
    finally:
        users.stop()


def test_health_check_can_be_disabled(
    subgraph_urls: dict[str, str], start_router: Callable[..., Router], tmp_path: Path
) -> None:
    config = write_config(tmp_path, subgraph_urls, "health_check:\n  enabled: false\n")
    router = start_router("--config", str(config), ready=False)
    deadline = time.monotonic() + 15
    while router.query("{ __typename }").get("data") is None:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert http(f"{router.base}/health").status == 404


def test_health_check_on_its_own_listener(
    subgraph_urls: dict[str, str], start_router: Callable[..., Router], tmp_path: Path
) -> None:
    port = _free_port()
    config = write_config(
        tmp_path,
        subgraph_urls,
        f"health_check:\n  listen: 127.0.0.1:{port}\n  path: /healthz\n",
    )
    router = start_router("--config", str(config), ready=False)
    deadline = time.monotonic() + 15
    while True:
        try:
            if http(f"http://127.0.0.1:{port}/healthz?ready", timeout=2).status == 200:
                break
        except OSError:
            pass
        assert time.monotonic() < deadline, router.stderr()
        time.sleep(0.05)
    assert http(f"{router.base}/healthz").status == 404
    assert http(f"http://127.0.0.1:{port}/graphql").status == 404
    assert router.query("{ me { id } }") == {"data": {"me": {"id": "1"}}}
