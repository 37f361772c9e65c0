"""`router serve` from the command line: sources of the supergraph, refusals, workers."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from server_harness import REPO, Router, write_config
from support.reference import reference_router_yaml


def _serve(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "router.cli", "serve", *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def test_supergraph_flag_alone_serves(
    start_router: Callable[..., Router], tmp_path: Path
) -> None:
    shutil.copy(REPO / "supergraph.graphql", tmp_path / "sg.graphql")
    router = start_router("--supergraph", "sg.graphql")
    assert router.query("{ __typename }") == {"data": {"__typename": "Query"}}


def test_registry_is_composed_at_start_up(
    subgraph_urls: dict[str, str], start_router: Callable[..., Router], tmp_path: Path
) -> None:
    lines = ["subgraphs:"]
    for name in ("users", "products", "reviews"):
        lines += [
            f"  {name}:",
            f"    routing_url: {subgraph_urls[name]}",
            f"    schema: {{ file: {REPO / 'subgraphs' / name / 'schema.graphql'} }}",
        ]
    (tmp_path / "router.yaml").write_text("\n".join(lines) + "\n", "utf-8")
    router = start_router("--config", "router.yaml")
    body = router.query("{ me { id reviews { id } } }")
    assert body["data"]["me"]["id"] == "1"
    assert isinstance(body["data"]["me"]["reviews"], list)


def test_broken_supergraph_file_fails_at_start(tmp_path: Path) -> None:
    (tmp_path / "sg.graphql").write_text("type Query {", "utf-8")
    result = _serve(tmp_path, "--supergraph", "sg.graphql", "--listen", "127.0.0.1:0")
    assert result.returncode == 1
    assert "router serve: supergraph" in result.stderr


def test_unknown_config_key_fails_naming_its_path(tmp_path: Path) -> None:
    (tmp_path / "router.yaml").write_text("traffic_shaping:\n  all:\n    tmeout: 1s\n")
    result = _serve(tmp_path, "--config", "router.yaml")
    assert result.returncode == 1
    assert "traffic_shaping.all.tmeout: unknown key" in result.stderr


def test_subgraphs_that_do_not_compose_fail_at_start(tmp_path: Path) -> None:
    (tmp_path / "router.yaml").write_text(
        "subgraphs:\n  reviews:\n    routing_url: http://127.0.0.1:9/graphql\n"
        f"    schema: {{ file: {REPO / 'subgraphs' / 'reviews' / 'schema.graphql'} }}\n",
        "utf-8",
    )
    result = _serve(tmp_path, "--config", "router.yaml", "--listen", "127.0.0.1:0")
    assert result.returncode == 1
    assert "do not compose" in result.stderr


def test_nothing_to_serve_fails(tmp_path: Path) -> None:
    result = _serve(tmp_path, "--listen", "127.0.0.1:0")
    assert result.returncode == 1
    assert "no supergraph to serve" in result.stderr


def test_taken_port_fails(tmp_path: Path) -> None:
    shutil.copy(REPO / "supergraph.graphql", tmp_path / "sg.graphql")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _serve(
            tmp_path, "--supergraph", "sg.graphql", "--listen", f"127.0.0.1:{port}"
        )
    assert result.returncode == 1
    assert "--listen: cannot listen on" in result.stderr


def test_reference_router_yaml_serves_with_every_key_active(
    subgraph_urls: dict[str, str], start_router: Callable[..., Router], tmp_path: Path
) -> None:
    shutil.copy(REPO / "supergraph.graphql", tmp_path / "supergraph.graphql")
    text = reference_router_yaml().replace(
        "supergraph:\n", "supergraph:\n  file: supergraph.graphql\n", 1
    )
    text += "override_subgraph_url:\n" + "".join(
        f"  {name}: {url}\n" for name, url in subgraph_urls.items()
    )
    (tmp_path / "router.yaml").write_text(text, "utf-8")
    router = start_router("--config", "router.yaml")
    assert router.query("{ me { id } }") == {"data": {"me": {"id": "1"}}}
    # Each key's effect is tested in tests/policies/test_reference_router_yaml.py.
    assert "not active yet" not in router.stderr()


def test_workers_share_one_port_and_stop_on_sigterm(
    subgraph_urls: dict[str, str], start_router: Callable[..., Router], tmp_path: Path
) -> None:
    router = start_router(
        "--config", str(write_config(tmp_path, subgraph_urls)), "--workers", "2"
    )
    for _ in range(10):
        assert router.query("{ me { id } }") == {"data": {"me": {"id": "1"}}}
    router.process.send_signal(signal.SIGTERM)
    assert router.process.wait(timeout=20) == 0, router.stderr()
    assert router.stderr().count("Application startup complete") == 2
