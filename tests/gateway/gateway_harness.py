"""Helpers of the gateway differential: Apollo Gateway, our router and the example
subgraphs as real processes on loopback, and a small HTTP client without proxies.

Everything runs on loopback: each example subgraph is ``python -m subgraphs.<name>
--port 0``; Apollo Gateway is ``node oracle/gateway.mjs``; ours is ``router serve
--supergraph FILE``. Both gateways read the same supergraph file, the committed one with
its subgraph URLs pointed at the live processes.

A module of its own (not conftest.py, a name every test folder shares) so that the tests
can import it by a unique top-level name; the corpus and the comparison live in
``support.gateway_corpus``.
"""

from __future__ import annotations

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
from collections.abc import Iterable
from pathlib import Path
from typing import IO

import pytest
from support.gateway_corpus import supergraph_at
from support.oracle import ORACLE_DIR, REPO_ROOT

SUBGRAPHS = ("users", "products", "reviews", "inventory", "orders")
START_TIMEOUT = 30.0
# Loopback only: never route test traffic through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Service:
    """A child process whose first stdout line announces its URL; stderr kept aside."""

    def __init__(self, name: str, argv: list[str], cwd: Path, pattern: str) -> None:
        self.name = name
        self._pattern = pattern
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            argv,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.url = ""

    def wait_announced(self) -> Service:
        """Reads the announcement line (started processes boot in parallel)."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], START_TIMEOUT)
        line = self.process.stdout.readline().decode() if ready else ""
        match = re.search(self._pattern, line)
        if match is None:
            self.stop()
            pytest.fail(
                f"{self.name} announced no URL ({line!r})\n{self.stderr()}",
                pytrace=False,
            )
        self.url = match.group(1)
        return self

    def wait_healthy(self, health_url: str) -> Service:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with _OPENER.open(health_url, timeout=2) as response:
                    if response.status == 200:
                        return self
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.05)
        pytest.fail(f"{self.name} never became healthy\n{self.stderr()}", pytrace=False)

    def stderr(self) -> str:
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-4000:]

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
        self._stderr.close()


def start_subgraphs(names: Iterable[str]) -> list[Service]:
    """The named example subgraphs (a name may repeat), started together; each has
    answered /health when this returns."""
    started = [
        Service(
            f"subgraph {name}",
            [sys.executable, "-m", f"subgraphs.{name}", "--port", "0"],
            REPO_ROOT,
            r"(http://\S+/graphql)",
        )
        for name in names
    ]
    try:
        for service in started:
            service.wait_announced()
            service.wait_healthy(service.url.rsplit("/", 1)[0] + "/health")
    except BaseException:
        stop_all(started)
        raise
    return started


def write_supergraph(folder: Path, urls: dict[str, str]) -> Path:
    """The committed supergraph with its subgraph URLs pointed at ``urls``."""
    path = folder / "supergraph.graphql"
    path.write_text(supergraph_at(urls), encoding="utf-8")
    return path


def launch_router(folder: Path, supergraph: Path) -> Service:
    """``router serve --supergraph`` in ``folder`` (no router.yaml there, so only the
    flags count); call ``ready`` on it before use."""
    argv = [sys.executable, "-m", "router.cli", "serve"]
    argv += ["--supergraph", str(supergraph), "--listen", "127.0.0.1:0"]
    return Service("router serve", argv, folder, r"router serving (http://\S+)")


def launch_apollo(folder: Path, supergraph: Path, node: str) -> Service:
    """``node oracle/gateway.mjs``; call ``ready`` on it before use."""
    argv = [node, str(ORACLE_DIR / "gateway.mjs"), "--supergraph", str(supergraph)]
    argv += ["--port", "0"]
    return Service("Apollo Gateway", argv, folder, r"gateway listening (http://\S+)")


def ready(service: Service) -> Service:
    """Waits for a launched gateway: its announcement, and readiness for the router."""
    service.wait_announced()
    if service.name == "router serve":
        service.wait_healthy(service.url.rsplit("/", 1)[0] + "/health?ready")
    return service


def stop_all(services: Iterable[Service]) -> None:
    for service in services:
        service.stop()


def post_json(url: str, payload: object, timeout: float = 30) -> object:
    """POSTs a GraphQL request; the decoded body, whatever the status."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        method="POST",
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        return json.loads(error.read())
