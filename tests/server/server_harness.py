"""Helpers for the server tests: `router serve` and the example subgraphs as real
processes on loopback, and a small HTTP client that never uses a proxy.

A module of its own (not conftest.py, a name every test folder shares) so that tests
can import it by a unique top-level name.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = ("users", "products", "reviews", "inventory", "orders")
START_TIMEOUT = 30.0
# Loopback only: never route test traffic through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def http(
    url: str,
    body: bytes | None = None,
    *,
    method: str | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> Reply:
    request = urllib.request.Request(
        url, data=body, method=method, headers=dict(headers or {})
    )
    try:
        with OPENER.open(request, timeout=timeout) as response:
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return Reply(
            error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
        )


class Process:
    """A child process whose first stdout line announces a URL; stderr kept in a file."""

    def __init__(self, argv: list[str], cwd: Path, pattern: str) -> None:
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
        line = self.process.stdout.readline().decode() if ready else ""
        match = re.search(pattern, line)
        if match is None:
            self.stop()
            pytest.fail(f"{argv}: no URL announced ({line!r})\n{self.stderr()}")
        self.url = match.group(1)

    def stderr(self) -> str:
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()


class Router(Process):
    """A running `router serve`; `url` is its GraphQL endpoint."""

    def __init__(self, args: list[str], cwd: Path) -> None:
        super().__init__(
            [sys.executable, "-m", "router.cli", "serve", *args],
            cwd,
            r"router serving (http://\S+)",
        )
        self.base = self.url.rsplit("/", 1)[0]

    def wait_ready(self, timeout: float = START_TIMEOUT) -> Router:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"router exited ({self.process.returncode})\n{self.stderr()}"
                )
            try:
                if http(f"{self.base}/health?ready", timeout=2).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail(f"router not ready after {timeout} s\n{self.stderr()}")

    def post(
        self,
        payload: Any,
        *,
        accept: str | None = "application/graphql-response+json",
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        all_headers = {"content-type": "application/json", **(headers or {})}
        if accept is not None:
            all_headers["accept"] = accept
        return http(self.url, body, method="POST", headers=all_headers)

    def query(self, query: str, variables: Any = None, **fields: Any) -> Any:
        """POSTs `query`; returns the decoded body (any status)."""
        payload: dict[str, Any] = {"query": query, **fields}
        if variables is not None:
            payload["variables"] = variables
        return self.post(payload).json()


def write_config(
    folder: Path,
    urls: Mapping[str, str] | None = None,
    extra: str = "",
    supergraph: str | None = "supergraph.graphql",
    introspection: bool = False,
) -> Path:
    """router.yaml serving a copy of the committed supergraph, its subgraph URLs
    overridden to the live `urls`, plus `extra` YAML."""
    lines = ["supergraph:", f"  introspection: {str(introspection).lower()}"]
    if supergraph is not None:
        if not (folder / supergraph).exists():
            shutil.copy(REPO / "supergraph.graphql", folder / supergraph)
        lines.append(f"  file: {supergraph}")
    if urls:
        lines.append("override_subgraph_url:")
        lines += [f"  {name}: {url}" for name, url in urls.items()]
    path = folder / "router.yaml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path
