"""The `router` command line, run as a user runs it: a real process in a temporary folder.

This folder has no ``__init__.py`` on purpose: as a package it would be named ``router``
and shadow the package under test.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = ("users", "products", "reviews", "inventory", "orders")
# Loopback only: never route test traffic through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

Cli = Callable[..., subprocess.CompletedProcess[str]]


def router_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "router.cli", *args]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _example_registry(folder: Path, ports: dict[str, int] | None = None) -> Path:
    lines = ["supergraph:", "  file: supergraph.graphql", "subgraphs:"]
    for number, name in enumerate(EXAMPLES, start=1):
        (folder / name).mkdir(exist_ok=True)
        shutil.copy(
            REPO / "subgraphs" / name / "schema.graphql",
            folder / name / "schema.graphql",
        )
        port = (ports or {}).get(name, 4000 + number)
        lines += [
            f"  {name}:",
            f"    routing_url: http://127.0.0.1:{port}/graphql",
            f"    schema: {{ file: {name}/schema.graphql }}",
        ]
    shutil.copy(REPO / "supergraph.graphql", folder / "supergraph.graphql")
    config = folder / "router.yaml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


@pytest.fixture
def free_port() -> Callable[[], int]:
    """A port free on 127.0.0.1 right now (the caller binds it soon after)."""
    return _free_port


@pytest.fixture
def examples(tmp_path: Path) -> Callable[..., Path]:
    """Copies the example subgraphs' SDL and supergraph.graphql into tmp_path and writes
    a router.yaml registering them (routing URLs on `ports`, default 4001-4005)."""

    def write(ports: dict[str, int] | None = None) -> Path:
        return _example_registry(tmp_path, ports)

    return write


@pytest.fixture
def router_command() -> Callable[..., list[str]]:
    """The argv that runs `router <args>` with this interpreter."""
    return router_argv


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    """Runs `router <args>` in tmp_path (or `cwd`); returns the finished process."""

    def run(
        *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            router_argv(*args),
            cwd=cwd or tmp_path,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


@pytest.fixture
def live_subgraph() -> Iterator[Callable[[str], str]]:
    """Starts `python -m subgraphs.<name> --port 0`; returns its GraphQL URL once healthy."""
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> str:
        process = subprocess.Popen(
            [sys.executable, "-m", f"subgraphs.{name}", "--port", "0"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        started.append(process)
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 20)
        match = re.search(
            r"(http://\S+)/graphql", process.stdout.readline().decode() if ready else ""
        )
        assert match, f"subgraph {name} announced no URL"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with OPENER.open(f"{match.group(1)}/health", timeout=1):
                    return f"{match.group(1)}/graphql"
            except OSError:
                time.sleep(0.05)
        pytest.fail(f"subgraph {name} not healthy after 20 s")

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
