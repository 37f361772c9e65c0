"""Real processes on loopback for end-to-end tests: subgraphs, fakes and `router serve`.

Every process we start announces its URL on its first stdout line (`--port 0` and
`--listen 127.0.0.1:0` pick free ports, so tests never race for one); stderr goes to a
file that a failing test prints. `Service.kill()` is a real SIGKILL, for tests of a
subgraph that dies mid-flight. `post_json` and `get` talk HTTP without any proxy from the
environment.
"""

from __future__ import annotations

import json
import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

__all__ = [
    "EXAMPLE_SUBGRAPHS",
    "REPO",
    "Reply",
    "Service",
    "get",
    "post_json",
    "start_fakes",
    "start_router",
    "start_subgraph",
    "start_subgraphs",
    "write_router_yaml",
]

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_SUBGRAPHS = ("users", "products", "reviews", "inventory", "orders")
START_TIMEOUT = 30.0
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Reply:
    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _request(
    url: str,
    body: bytes | None,
    method: str,
    headers: Mapping[str, str],
    timeout: float,
) -> Reply:
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return Reply(
            error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()
        )


def post_json(
    url: str,
    payload: Any,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> Reply:
    """POSTs `payload` as JSON (bytes are sent as they are)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    all_headers = {
        "content-type": "application/json",
        "accept": "application/graphql-response+json",
        **(headers or {}),
    }
    return _request(url, body, "POST", all_headers, timeout)


def get(url: str, *, timeout: float = 30) -> Reply:
    return _request(url, None, "GET", {}, timeout)


class Service:
    """A child process whose first stdout line holds its URL (matched by `pattern`)."""

    def __init__(self, argv: list[str], pattern: str, cwd: Path = REPO) -> None:
        """Spawns the process; `started()` waits for its URL."""
        self.argv = argv
        self.pattern = pattern
        self.url = self.base = ""
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )

    def started(self) -> Service:
        """Reads the announced URL from the first stdout line (fails the test without)."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
        line = self.process.stdout.readline().decode() if ready else ""
        match = re.search(self.pattern, line)
        if match is None:
            stderr = self.stderr()
            self.stop()
            pytest.fail(f"{self.argv}: no URL announced ({line!r})\n{stderr}")
        self.url = match.group(1)
        self.base = re.sub(r"(https?://[^/]+).*", r"\1", self.url)
        return self

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def wait_healthy(
        self, path: str = "/health", timeout: float = START_TIMEOUT
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                pytest.fail(f"{self.argv} exited\n{self.stderr()}")
            try:
                if get(self.base + path, timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        pytest.fail(f"{self.argv}: not healthy after {timeout} s\n{self.stderr()}")

    def stderr(self) -> str:
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the process dies at once, its connections reset, no clean-up."""
        if self.alive:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.alive:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self._stderr.close()


def _wait_all(services: Iterable[Service]) -> None:
    """Waits for every service to be healthy; stops them all if one fails."""
    services = list(services)
    try:
        for service in services:
            service.started().wait_healthy()
    except BaseException:
        for service in services:
            service.stop()
        raise


def start_subgraph(name: str) -> Service:
    """One example subgraph (`python -m subgraphs.<name> --port 0`), healthy."""
    return start_subgraphs([name])[name]


def start_subgraphs(names: Iterable[str] = EXAMPLE_SUBGRAPHS) -> dict[str, Service]:
    """Several example subgraphs, started side by side, then waited for."""
    started = {
        name: Service(
            [sys.executable, "-m", f"subgraphs.{name}", "--port", "0"],
            r"(http://\S+/graphql)",
        )
        for name in names
    }
    _wait_all(started.values())
    return started


def start_fakes(script: Path, *arg_lists: list[str]) -> list[Service]:
    """A test's own server script, once per argument list (`python SCRIPT --port 0
    ARGS`), started side by side, then waited for until healthy."""
    started = [
        Service([sys.executable, str(script), "--port", "0", *args], r"(http://\S+)")
        for args in arg_lists
    ]
    _wait_all(started)
    return started


def write_router_yaml(
    folder: Path,
    urls: Mapping[str, str],
    extra: str = "",
    supergraph: Path = REPO / "supergraph.graphql",
    *,
    introspection: bool = False,
) -> Path:
    """router.yaml in `folder` serving `supergraph`, subgraph URLs overridden to `urls`,
    followed by the `extra` YAML text."""
    lines = [
        "supergraph:",
        f"  file: {json.dumps(str(supergraph))}",
        f"  introspection: {str(introspection).lower()}",
        "override_subgraph_url:",
        *(f"  {name}: {url}" for name, url in urls.items()),
    ]
    path = folder / "router.yaml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def start_router(config: Path) -> Service:
    """`router serve --config CONFIG` on a free loopback port, ready to serve."""
    service = Service(
        [
            sys.executable,
            "-m",
            "router.cli",
            "serve",
            "--config",
            str(config),
            "--listen",
            "127.0.0.1:0",
        ],
        r"router serving (http://\S+)",
        cwd=config.parent,
    ).started()
    try:
        service.wait_healthy("/health?ready")
    except BaseException:
        service.stop()
        raise
    return service
