"""Real example subgraphs on loopback: each runs as ``python -m subgraphs.<name> --port 0``.

Port 0 lets the subgraph bind a free port and print it, so these tests never collide with
the fixed 4001-4005 ports or with each other. Requests go over real HTTP.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO = Path(__file__).resolve().parents[2]

# This folder is named like the package it tests. With tests/ on sys.path (pytest puts
# it there for tests/conftest.py) and the repository root not on it (a plain `pytest`,
# rather than `python -m pytest`, and an editable install), `import subgraphs` would
# find this folder as an empty namespace package. The root, first, fixes that.
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
if getattr(sys.modules.get("subgraphs"), "__file__", "") is None:
    del sys.modules["subgraphs"]
SUBGRAPHS = importlib.import_module("subgraphs").SUBGRAPHS
START_TIMEOUT = 20.0
# Loopback only: never route test traffic through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Subgraph:
    """One running subgraph process and the URL it serves GraphQL at."""

    def __init__(self, name: str) -> None:
        self.name = name
        # Lives as long as the process; stop() closes it.
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"subgraphs.{name}", "--port", "0"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.url = ""
        self.base = ""

    def wait_ready(self) -> None:
        """Reads the announced URL, then polls /health until it answers 200."""
        deadline = time.monotonic() + START_TIMEOUT
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
        line = self.process.stdout.readline().decode() if ready else ""
        match = re.search(r"(http://\S+)/graphql", line)
        if match is None:
            self._fail(f"announced no URL (stdout: {line!r})")
        self.base = match.group(1)
        self.url = f"{self.base}/graphql"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self._fail("exited during start-up")
            try:
                with _OPENER.open(f"{self.base}/health", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self._fail(f"not healthy after {START_TIMEOUT} s")

    def _fail(self, why: str) -> NoReturn:
        self.stop()
        self._stderr.seek(0)
        stderr = self._stderr.read().decode(errors="replace")
        pytest.fail(f"subgraph {self.name} {why}\n{stderr}", pytrace=False)

    def get(self, path: str) -> tuple[int, bytes]:
        try:
            with _OPENER.open(f"{self.base}{path}", timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def query(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """POSTs a GraphQL request; returns the decoded response body."""
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            self.url, data=body, headers={"content-type": "application/json"}
        )
        try:
            with _OPENER.open(request, timeout=30) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            return json.loads(error.read())

    def data(self, query: str, variables: dict[str, Any] | None = None) -> Any:
        """Like query, but asserts there were no errors and returns `data`."""
        result = self.query(query, variables)
        assert "errors" not in result, result["errors"]
        return result["data"]

    def entities(self, representations: list[dict[str, Any]], selection: str) -> Any:
        """Resolves representations through `_entities` with the given selection."""
        return self.data(
            "query($r: [_Any!]!) { _entities(representations: $r) { "
            + selection
            + " } }",
            {"r": representations},
        )["_entities"]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()


def _start(names: list[str]) -> dict[str, Subgraph]:
    # Start every process first, then wait: the start-ups overlap.
    running = {name: Subgraph(name) for name in names}
    try:
        for subgraph in running.values():
            subgraph.wait_ready()
    except BaseException:
        for subgraph in running.values():
            subgraph.stop()
        raise
    return running


@pytest.fixture(scope="session")
def subgraphs() -> Iterator[dict[str, Subgraph]]:
    """All five subgraphs, shared by the session. Tests must not mutate their state."""
    running = _start(list(SUBGRAPHS))
    yield running
    for subgraph in running.values():
        subgraph.stop()


@pytest.fixture
def start_subgraphs() -> Iterator[Callable[..., dict[str, Subgraph]]]:
    """Starts fresh, private subgraph processes; stopped when the test ends."""
    started: list[Subgraph] = []

    def start(*names: str) -> dict[str, Subgraph]:
        running = _start(list(names))
        started.extend(running.values())
        return running

    yield start
    for subgraph in started:
        subgraph.stop()
