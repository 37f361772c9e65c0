"""The committed router.yaml under `router dev`: what README's quick start shows.

One `router dev` for the module runs the committed file with only its ports moved to
free ones (subgraphs, router, metrics) and without REDIS_URL or
OTEL_EXPORTER_OTLP_ENDPOINT, as on a fresh clone: a query joined across subgraphs, an
operation refused by `limits`, the per-client rate limit, and the Prometheus endpoint,
each through HTTP as the README's curl commands do. The rate-limit test runs last: it
spends the client's allowance.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
# Loopback only: never route test traffic through a proxy from the environment.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
READY_TIMEOUT = 60.0
JOINED = (
    "{ latestReviews(first: 2) { body author { username } product { name inStock } } }"
)
TOO_DEEP = "{ me { reviews { product { reviews { author { reviews { body } } } } } } }"


@dataclass(frozen=True)
class Demo:
    graphql_url: str
    metrics_url: str


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def _demo_config(folder: Path, free_port: Callable[[], int]) -> Path:
    """The committed router.yaml with its ports moved to free ones, files made absolute."""
    config = yaml.safe_load((REPO / "router.yaml").read_text(encoding="utf-8"))
    config["supergraph"]["file"] = str(REPO / config["supergraph"]["file"])
    for entry in config["subgraphs"].values():
        entry["routing_url"] = f"http://127.0.0.1:{free_port()}/graphql"
        entry["schema"]["file"] = str(REPO / entry["schema"]["file"])
    prometheus = config["telemetry"]["exporters"]["metrics"]["prometheus"]
    prometheus["listen"] = f"127.0.0.1:{free_port()}"
    path = folder / "router.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    with tempfile.TemporaryDirectory(prefix="demo-config-") as name:
        folder = Path(name)
        config = _demo_config(folder, _free_port)
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("REDIS_URL", "OTEL_EXPORTER_OTLP_ENDPOINT")
        }
        argv = [sys.executable, "-m", "router.cli", "dev", "--config", str(config)]
        argv += ["--port", str(_free_port())]
        with (folder / "out.log").open("w+", encoding="utf-8") as out:
            process = subprocess.Popen(
                argv, cwd=folder, env=env, stdout=out, stderr=subprocess.STDOUT
            )
            try:
                yield _wait_ready(process, folder / "out.log")
            finally:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()


def _wait_ready(process: subprocess.Popen[bytes], log: Path) -> Demo:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text(encoding="utf-8")
        if "router dev: ready" in text:
            urls = dict(re.findall(r"^\s+(\w+)\s+(http://\S+)$", text, re.MULTILINE))
            return Demo(urls["router"], urls["metrics"])
        if process.poll() is not None:
            break
        time.sleep(0.1)
    pytest.fail(f"router dev did not get ready:\n{log.read_text(encoding='utf-8')}")


def _post(url: str, query: str) -> Answer:
    request = urllib.request.Request(
        url,
        data=json.dumps({"query": query}).encode(),
        headers={"content-type": "application/json"},
    )
    try:
        with OPENER.open(request, timeout=10) as response:
            return Answer(
                response.status, _lower(response.headers), json.loads(response.read())
            )
    except urllib.error.HTTPError as error:
        return Answer(error.code, _lower(error.headers), json.loads(error.read()))


def _lower(headers: Message) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def test_demo_answers_a_query_joined_across_four_subgraphs(demo: Demo) -> None:
    answer = _post(demo.graphql_url, JOINED)
    assert answer.status == 200, answer.body
    assert "errors" not in answer.body
    reviews = answer.body["data"]["latestReviews"]
    assert len(reviews) == 2
    for review in reviews:
        assert review["body"]  # reviews
        assert review["author"]["username"]  # users
        assert review["product"]["name"]  # products
        assert isinstance(review["product"]["inStock"], bool)  # inventory


def test_demo_refuses_an_operation_deeper_than_max_depth(demo: Demo) -> None:
    answer = _post(demo.graphql_url, TOO_DEEP)
    assert answer.status == 400
    assert [e["extensions"]["code"] for e in answer.body["errors"]] == [
        "MAX_DEPTH_LIMIT"
    ]


def test_demo_serves_prometheus_metrics_at_the_printed_url(demo: Demo) -> None:
    _post(demo.graphql_url, "{ me { username } }")
    with OPENER.open(demo.metrics_url, timeout=10) as response:
        exposition = response.read().decode()
    assert re.search(
        r'^api_requests_total\{operation_name="\(anonymous\)",operation_type="query",'
        r'status_code="200"\} \d',
        exposition,
        re.MULTILINE,
    ), exposition


def test_demo_rate_limits_a_client_past_50_requests_in_10_seconds(demo: Demo) -> None:
    answers = [_post(demo.graphql_url, "{ me { username } }") for _ in range(55)]
    statuses = [a.status for a in answers]
    # The tests above spent a few of the 50; whatever is left passes, then 429s.
    first_refused = statuses.index(429)
    assert 40 <= first_refused <= 50, statuses
    assert set(statuses[:first_refused]) == {200}
    assert set(statuses[first_refused:]) == {429}
    refused = answers[-1]
    assert refused.body["errors"][0]["extensions"]["code"] == "REQUEST_RATE_LIMITED"
    assert int(refused.headers["retry-after"]) >= 1
    assert refused.headers["ratelimit-limit"] == "50"
