"""Rate limits shared through a Redis Cluster: three `redis-server` nodes on loopback,
made into one cluster by `redis-cli --cluster create`, and routers counting in it.

Each check's keys carry one hash tag, so the Lua script runs on the node owning that
slot; different clients land on different nodes, and every node counts its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from policy_harness import Router, free_port, post

ME = "{ me { id } }"
CLIENTS = [f"client-{i}" for i in range(12)]
LIMIT = 3


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"a Redis Cluster cannot be started under CI: {reason}")
    pytest.skip(f"a Redis Cluster cannot be started: {reason}")


@pytest.fixture(scope="module")
def cluster_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[int]]:
    """The ports of a three-node Redis Cluster (no replicas), stopped after the module."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    if server is None or cli is None:
        _unavailable("redis-server or redis-cli is not installed")
    assert server is not None and cli is not None
    folder = tmp_path_factory.mktemp("redis-cluster")
    ports = [free_port() for _ in range(3)]
    processes = []
    for port in ports:
        node = folder / str(port)
        node.mkdir()
        processes.append(
            subprocess.Popen(
                [
                    server,
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--cluster-enabled",
                    "yes",
                    # The bus port defaults to port + 10000, which may be taken or
                    # past 65535 for an ephemeral port: name a free one.
                    "--cluster-port",
                    str(free_port()),
                    "--cluster-config-file",
                    "nodes.conf",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(node),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
    try:
        for port in ports:
            _wait(lambda port=port: redis.Redis(port=port).ping())
        created = subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{p}" for p in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if created.returncode != 0:
            _unavailable(created.stdout + created.stderr)
        for port in ports:
            _wait(
                lambda port=port: (
                    redis.Redis(port=port).cluster("info")["cluster_state"] == "ok"
                )
            )
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)


def _wait(ready: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if ready():
                return
        except redis.RedisError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("the Redis Cluster did not become ready")
        time.sleep(0.05)


def _cluster_config(port: int, prefix: str) -> str:
    return f"""
ratelimit:
  backend: redis
  on_backend_error: deny
  redis: {{ url: "redis://127.0.0.1:{port}", cluster: true, key_prefix: "{prefix}" }}
  clients:
    - name: per-client
      key: {{ by: header, name: X-Client }}
      limits: [ {{ capacity: {LIMIT}, interval: 1m }} ]
"""


def test_two_routers_count_every_client_once_across_the_cluster_nodes(
    cluster_nodes: list[int], router_with: Callable[..., Router], tmp_path: Path
) -> None:
    # Each router knows a different node; the cluster routes every key to its owner.
    first = router_with(_cluster_config(cluster_nodes[0], "rl:"))
    second = router_with(_cluster_config(cluster_nodes[1], "rl:"))

    def admitted(client: str) -> int:
        jobs = [(first if i % 2 else second, client) for i in range(2 * LIMIT)]
        with ThreadPoolExecutor(6) as pool:
            replies = list(
                pool.map(lambda job: post(job[0], ME, {"X-Client": job[1]}), jobs)
            )
        for reply in replies:
            if reply.status == 429:
                assert int(reply.headers["retry-after"]) >= 1
        return sum(reply.status == 200 for reply in replies)

    assert [admitted(client) for client in CLIENTS] == [LIMIT] * len(CLIENTS)
    # The clients' keys really are spread over the nodes (else this proves nothing).
    holding = [redis.Redis(port=port).dbsize() for port in cluster_nodes]
    assert sum(holding) == len(CLIENTS)
    assert sum(1 for count in holding if count) >= 2


def test_a_cluster_that_cannot_be_reached_follows_on_backend_error(
    router_with: Callable[..., Router],
) -> None:
    # `deny`: a router whose cluster is unreachable refuses rather than lets through.
    router = router_with(_cluster_config(free_port(), "rl:"))
    for _ in range(2):
        reply = post(router, ME, {"X-Client": "anyone"})
        assert reply.status == 429, reply.body
        error = reply.json()["errors"][0]
        assert error["extensions"]["code"] == "REQUEST_RATE_LIMITED"
        assert int(reply.headers["retry-after"]) >= 1
