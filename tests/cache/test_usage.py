"""Operation usage: recorded by real routers sharing Redis, exported by `router usage
export`, and deciding which removals `router check --usage` lets through."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cache_harness import REDIS_URL, REPO, Router, eventually

JOIN = "query Join { topProducts(first: 1) { name reviews { body author { name } } } }"
TOP = "query Top { topProducts(first: 2) { name price } }"
WEB = {"apollographql-client-name": "web", "apollographql-client-version": "1.2"}
IOS = {"apollographql-client-name": "ios", "apollographql-client-version": "3.0"}
SUBGRAPHS = ("users", "products", "reviews", "inventory", "orders")


def usage_config(namespace: str) -> str:
    return (
        "telemetry:\n  usage:\n    enabled: true\n    store: redis\n"
        "    flush_interval: 200ms\n    redis:\n"
        f"      urls: [{REDIS_URL}]\n      namespace: {namespace}\n"
    )


def router(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "router.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def export(config: Path) -> dict[str, Any]:
    done = router(
        ["usage", "export", "--config", str(config), "--format", "json"], config.parent
    )
    assert done.returncode == 0, done.stderr
    exported: dict[str, Any] = json.loads(done.stdout)
    return exported


def clients(exported: dict[str, Any]) -> dict[str | None, list[tuple[str, str, int]]]:
    return {
        op["name"]: [(c["name"], c["version"], c["count"]) for c in op["clients"]]
        for op in exported["operations"]
    }


def send(router_: Router, query: str, headers: dict[str, str], times: int = 1) -> None:
    for _ in range(times):
        body = router_.post({"query": query}, headers=headers).json()
        assert "errors" not in body, body


def test_usage_recorded_across_two_routers_sharing_redis(
    router_with: Callable[..., Router], redis_prefix: str, tmp_path: Path
) -> None:
    config = usage_config(redis_prefix.rstrip(":"))
    first = router_with(config, tmp_path / "first")
    second = router_with(config, tmp_path / "second")
    send(first, JOIN, WEB, times=2)
    send(second, JOIN, IOS)
    send(second, TOP, IOS)

    expected = {
        "Join": [("web", "1.2", 2), ("ios", "3.0", 1)],
        "Top": [("ios", "3.0", 1)],
    }
    exported = eventually(
        lambda: (
            (e := export(tmp_path / "first" / "router.yaml"))
            and clients(e) == expected
            and e
        ),
        "both routers' counts in the export",
    )
    join = next(op for op in exported["operations"] if op["name"] == "Join")
    assert join["count"] == 3
    assert {"Query.topProducts", "Query.topProducts(first:)", "Review.body"} <= set(
        join["coordinates"]
    )
    assert "Review.rating" not in join["coordinates"]


def registry(folder: Path, extra: str, remove: str) -> Path:
    """The example subgraphs' SDL and supergraph in `folder`, `remove` taken out of the
    reviews subgraph's SDL, and a router.yaml registering them."""
    lines = ["supergraph:", "  file: supergraph.graphql", "subgraphs:"]
    for number, name in enumerate(SUBGRAPHS, start=1):
        (folder / name).mkdir(parents=True)
        shutil.copy(REPO / "subgraphs" / name / "schema.graphql", folder / name)
        lines += [
            f"  {name}:",
            f"    routing_url: http://127.0.0.1:{4000 + number}/graphql",
            f"    schema: {{ file: {name}/schema.graphql }}",
        ]
    shutil.copy(REPO / "supergraph.graphql", folder / "supergraph.graphql")
    reviews = folder / "reviews" / "schema.graphql"
    text = reviews.read_text(encoding="utf-8")
    assert text.count(remove) == 1
    reviews.write_text(text.replace(remove, ""), encoding="utf-8")
    config = folder / "router.yaml"
    config.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return config


@pytest.fixture
def recorded(
    router_with: Callable[..., Router], redis_prefix: str, tmp_path: Path
) -> str:
    """Usage config whose Redis holds `Join` sent by web 1.2 (Review.body, never
    Review.rating)."""
    config = usage_config(redis_prefix.rstrip(":"))
    serving = router_with(config, tmp_path / "serving")
    send(serving, JOIN, WEB)
    eventually(
        lambda: "Join" in clients(export(tmp_path / "serving" / "router.yaml")),
        "Join recorded",
    )
    return config


def test_check_usage_passes_removal_of_an_unused_field(
    recorded: str, tmp_path: Path
) -> None:
    config = registry(
        tmp_path / "unused",
        recorded,
        '  """From 1 (worst) to 5 (best)."""\n  rating: Int!\n',
    )
    done = router(["check", "--usage", "redis"], config.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SAFE FIELD_REMOVED Review.rating" in done.stdout
    assert "0 breaking" in done.stdout


def test_check_usage_fails_removal_of_a_used_field_naming_the_client(
    recorded: str, tmp_path: Path
) -> None:
    config = registry(tmp_path / "used", recorded, "  body: String!\n")
    usage = tmp_path / "usage.json"
    usage.write_text(json.dumps(export(config)), encoding="utf-8")
    for source in ("redis", str(usage)):
        done = router(["check", "--usage", source], config.parent)
        assert done.returncode == 1, done.stdout + done.stderr
        [line] = [
            line
            for line in done.stdout.splitlines()
            if line.startswith("BREAKING FIELD_REMOVED Review.body")
        ]
        assert "Join" in line and "web 1.2" in line


def test_memory_usage_is_exported_from_the_routers_file(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    config = (
        "telemetry:\n  usage:\n    enabled: true\n    path: usage.json\n"
        "    flush_interval: 200ms\n"
    )
    serving = router_with(config, tmp_path / "memory")
    send(serving, TOP, IOS, times=3)
    eventually(
        lambda: (
            clients(export(tmp_path / "memory" / "router.yaml"))
            == {"Top": [("ios", "3.0", 3)]}
        ),
        "Top in the usage file",
    )


@pytest.mark.parametrize(
    ("usage", "message"),
    [
        (
            "    enabled: true\n    store: redis\n",
            "telemetry.usage: redis: required with store: redis",
        ),
        ("    window: 0s\n", "telemetry.usage.window: must be longer than 0s"),
        ("    stor: redis\n", "telemetry.usage.stor"),
    ],
    ids=["redis-missing", "window", "unknown-key"],
)
def test_serve_refuses_bad_usage_config_naming_the_key(
    tmp_path: Path, usage: str, message: str
) -> None:
    (tmp_path / "router.yaml").write_text(
        "supergraph:\n  file: supergraph.graphql\ntelemetry:\n  usage:\n" + usage,
        encoding="utf-8",
    )
    shutil.copy(REPO / "supergraph.graphql", tmp_path / "supergraph.graphql")
    done = router(["serve", "--config", "router.yaml"], tmp_path)
    assert done.returncode == 1
    assert message in done.stderr, done.stderr
