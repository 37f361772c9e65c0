"""`router dev`: starts the example subgraphs, serves until a signal, stops every child.

Each test writes a router.yaml registering example subgraphs on free ports and runs the
real command as a child process, reading its output as a user would.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO

import pytest

REPO = Path(__file__).resolve().parents[2]
# Loopback only: never route test traffic through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
READY_TIMEOUT = 30.0


class Dev:
    """A running `router dev`; its stdout is read line by line, stderr kept in a file."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            argv, cwd=cwd, stdout=subprocess.PIPE, stderr=self._stderr
        )
        self.lines: list[str] = []
        self._pending = ""

    def read_until(self, text: str) -> list[str]:
        """Stdout lines up to the first containing `text` (fails on exit or timeout)."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + READY_TIMEOUT
        # os.read, not readline: a buffered reader can hold lines select() cannot see.
        while not any(text in line for line in self.lines):
            ready, _, _ = select.select(
                [fd], [], [], max(0.0, deadline - time.monotonic())
            )
            chunk = os.read(fd, 65536) if ready else b""
            if not chunk:
                pytest.fail(
                    f"router dev: no {text!r} line\nstdout: {self.lines}\nstderr: {self.stderr()}"
                )
            self._pending += chunk.decode()
            *complete, self._pending = self._pending.split("\n")
            self.lines += complete
        return self.lines

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()  # its children still get SIGTERM (PR_SET_PDEATHSIG)
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()


@pytest.fixture
def start_dev(
    router_command: Callable[..., list[str]], tmp_path: Path
) -> Iterator[Callable[..., Dev]]:
    started: list[Dev] = []

    def start(*args: str) -> Dev:
        dev = Dev(router_command("dev", *args), tmp_path)
        started.append(dev)
        return dev

    yield start
    for dev in started:
        dev.stop()


def _registry(
    folder: Path, ports: dict[str, int], supergraph_file: str | None = None
) -> Path:
    lines = [f"supergraph:\n  file: {supergraph_file}"] if supergraph_file else []
    lines.append("subgraphs:")
    for name, port in ports.items():
        lines += [
            f"  {name}:",
            f"    routing_url: http://127.0.0.1:{port}/graphql",
            f"    schema: {{ file: {REPO / 'subgraphs' / name / 'schema.graphql'} }}",
        ]
    config = folder / "router.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def _printed_urls(lines: list[str]) -> dict[str, str]:
    return dict(
        re.findall(r"^\s+(\w+)\s+(http://\S+)$", "\n".join(lines), re.MULTILINE)
    )


def _post(url: str, query: str) -> object:
    body = json.dumps({"query": query}).encode()
    request = urllib.request.Request(
        url, data=body, headers={"content-type": "application/json"}
    )
    with OPENER.open(request, timeout=10) as response:
        return json.loads(response.read())


def _is_closed(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_dev_serves_each_subgraph_until_sigint_then_stops_them(
    start_dev: Callable[..., Dev], free_port: Callable[[], int], tmp_path: Path
) -> None:
    ports = {"users": free_port(), "products": free_port()}
    config = _registry(tmp_path, ports)
    dev = start_dev("--config", str(config), "--port", str(free_port()))

    lines = dev.read_until("ready")

    urls = _printed_urls(lines)
    assert {name: urls[name] for name in ports} == {
        name: f"http://127.0.0.1:{port}/graphql" for name, port in ports.items()
    }
    assert _post(urls["users"], "{ user(id: 1) { id } }") == {
        "data": {"user": {"id": "1"}}
    }
    assert _post(urls["products"], "{ __typename }") == {
        "data": {"__typename": "Query"}
    }
    dev.process.send_signal(signal.SIGINT)
    assert dev.process.wait(timeout=15) == 0, dev.stderr()
    assert all(_is_closed(port) for port in ports.values())


def test_dev_stops_the_subgraphs_on_sigterm(
    start_dev: Callable[..., Dev], free_port: Callable[[], int], tmp_path: Path
) -> None:
    port = free_port()
    dev = start_dev(
        "--config",
        str(_registry(tmp_path, {"users": port})),
        "--port",
        str(free_port()),
    )
    dev.read_until("ready")
    dev.process.send_signal(signal.SIGTERM)
    assert dev.process.wait(timeout=15) == 0, dev.stderr()
    assert _is_closed(port)


def test_dev_serves_the_router_in_front_of_the_subgraphs(
    start_dev: Callable[..., Dev], free_port: Callable[[], int], tmp_path: Path
) -> None:
    router_port = free_port()
    config = _registry(tmp_path, {"users": free_port(), "products": free_port()})
    dev = start_dev("--config", str(config), "--port", str(router_port))
    lines = dev.read_until("ready")
    router_url = f"http://127.0.0.1:{router_port}/graphql"
    assert _printed_urls(lines)["router"] == router_url
    assert _post(router_url, "{ me { id } topProducts(first: 1) { upc } }") == {
        "data": {"me": {"id": "1"}, "topProducts": [{"upc": "UPC-0388"}]}
    }
    dev.process.send_signal(signal.SIGINT)
    assert dev.process.wait(timeout=15) == 0, dev.stderr()
    assert _is_closed(router_port)


def test_dev_warns_when_the_committed_supergraph_differs(
    start_dev: Callable[..., Dev], free_port: Callable[[], int], tmp_path: Path
) -> None:
    # The five-subgraph supergraph cannot match the composition of `users` alone.
    config = _registry(
        tmp_path,
        {"users": free_port()},
        supergraph_file=str(REPO / "supergraph.graphql"),
    )
    dev = start_dev("--config", str(config), "--port", str(free_port()))
    dev.read_until("ready")
    assert "differs from" in dev.stderr()
    assert "router compose -o" in dev.stderr()


def test_dev_fails_fast_when_a_port_is_taken(
    router_command: Callable[..., list[str]],
    free_port: Callable[[], int],
    tmp_path: Path,
) -> None:
    other = free_port()
    with socket.socket() as taken:
        taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = _registry(tmp_path, {"users": other, "products": port})
        result = subprocess.run(
            router_command("dev", "--config", str(config)),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 1
    assert (
        f"router dev: cannot start subgraph 'products' on 127.0.0.1:{port}: Address already in use"
        in result.stderr
    )
    assert _is_closed(other)


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux-only")
def test_dev_subgraphs_exit_even_when_dev_is_killed(
    start_dev: Callable[..., Dev], free_port: Callable[[], int], tmp_path: Path
) -> None:
    port = free_port()
    dev = start_dev(
        "--config",
        str(_registry(tmp_path, {"users": port})),
        "--port",
        str(free_port()),
    )
    dev.read_until("ready")
    dev.process.kill()
    dev.process.wait()
    deadline = time.monotonic() + 10
    while not _is_closed(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _is_closed(port)
