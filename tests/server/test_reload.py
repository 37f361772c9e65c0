"""Hot reload: a changed supergraph or router.yaml is served within two seconds, no
request fails meanwhile, and a broken file leaves the previous schema serving."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from server_harness import REPO, Router, write_config

from planner.composition import SubgraphInput, compose

RELOAD_DEADLINE = 2.0
REVIEW_TYPE = '{ __type(name: "Review") { name } }'


def _compose(names: list[str], urls: dict[str, str]) -> str:
    inputs = [
        SubgraphInput(
            name,
            urls[name],
            (REPO / "subgraphs" / name / "schema.graphql").read_text(encoding="utf-8"),
        )
        for name in names
    ]
    sdl = compose(inputs).supergraph_sdl
    assert sdl is not None
    return sdl


def _has_reviews(router: Router) -> bool:
    return router.query(REVIEW_TYPE)["data"]["__type"] is not None


class _Traffic:
    """Threads sending queries in a loop; every answer that is not clean data is kept."""

    QUERIES = ("{ me { id name } }", "{ __typename }", "{ users(first: 2) { id } }")

    def __init__(self, router: Router, threads: int = 4) -> None:
        self.router = router
        self.failures: list[object] = []
        self.count = 0
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, args=(i,), daemon=True)
            for i in range(threads)
        ]

    def __enter__(self) -> _Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)

    def _loop(self, index: int) -> None:
        query = self.QUERIES[index % len(self.QUERIES)]
        while not self._stop.is_set():
            reply = self.router.post({"query": query})
            body = reply.json()
            if reply.status != 200 or "errors" in body or not body.get("data"):
                self.failures.append((query, reply.status, body))
            self.count += 1


def _wait_for(condition: Callable[[], bool], timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if condition():
            return time.monotonic() - start
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


def test_changed_supergraph_is_served_within_two_seconds_without_failed_requests(
    subgraph_urls: dict[str, str], start_router: Callable[..., Router], tmp_path: Path
) -> None:
    supergraph = tmp_path / "supergraph.graphql"
    supergraph.write_text(_compose(["users", "products"], subgraph_urls), "utf-8")
    router = start_router("--config", str(write_config(tmp_path, introspection=True)))
    assert not _has_reviews(router)
    full = _compose(
        ["users", "products", "reviews", "inventory", "orders"], subgraph_urls
    )
    with _Traffic(router) as traffic:
        time.sleep(0.3)
        supergraph.write_text(full, "utf-8")
        elapsed = _wait_for(lambda: _has_reviews(router), RELOAD_DEADLINE)
        time.sleep(0.3)
    assert traffic.failures == []
    assert traffic.count > 20
    assert elapsed < RELOAD_DEADLINE
    # The new schema is planned too, not only introspected.
    body = router.query("{ latestReviews(first: 1) { author { id } } }")
    assert body["data"]["latestReviews"][0]["author"]["id"]


def test_broken_supergraph_keeps_the_previous_one_serving(
    subgraph_urls: dict[str, str], start_router: Callable[..., Router], tmp_path: Path
) -> None:
    router = start_router(
        "--config", str(write_config(tmp_path, subgraph_urls, introspection=True))
    )
    (tmp_path / "supergraph.graphql").write_text("type Query { broken", "utf-8")
    deadline = time.monotonic() + 5
    while "reload refused" not in router.stderr() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "reload refused" in router.stderr()
    assert _has_reviews(router)
    assert router.query("{ me { id } }") == {"data": {"me": {"id": "1"}}}


def test_changed_router_yaml_applies_without_restart(
    subgraph_urls: dict[str, str], start_router: Callable[..., Router], tmp_path: Path
) -> None:
    config = write_config(tmp_path, subgraph_urls, introspection=False)
    router = start_router("--config", str(config))
    assert router.query(REVIEW_TYPE)["errors"][0]["extensions"]["code"] == (
        "INTROSPECTION_DISABLED"
    )
    write_config(tmp_path, subgraph_urls, introspection=True)
    _wait_for(lambda: "data" in router.query(REVIEW_TYPE), RELOAD_DEADLINE)


def test_invalid_router_yaml_is_logged_and_the_old_config_kept(
    subgraph_urls: dict[str, str], start_router: Callable[..., Router], tmp_path: Path
) -> None:
    config = write_config(tmp_path, subgraph_urls, introspection=True)
    router = start_router("--config", str(config))
    config.write_text(config.read_text("utf-8") + "bogus_section: 1\n", "utf-8")
    deadline = time.monotonic() + 5
    while "bogus_section: unknown key" not in router.stderr():
        assert time.monotonic() < deadline, router.stderr()
        time.sleep(0.05)
    assert _has_reviews(router)


def _configmap_volume(folder: Path, files: dict[str, str], version: int) -> None:
    """Writes `files` the way the kubelet updates a mounted ConfigMap.

    Each version is a new timestamped folder; `..data` is a symlink to the current
    one, swapped by renaming a fresh symlink over it; each file is a symlink through
    `..data`; the previous version's folder is then removed
    (kubernetes pkg/volume/util/atomic_writer.go).
    """
    stamp = folder / f"..2026_12_01_00_00_{version:02d}.000000001"
    stamp.mkdir()
    for name, text in files.items():
        (stamp / name).write_text(text, encoding="utf-8")
    data = folder / "..data"
    previous = data.resolve() if data.is_symlink() else None
    (folder / "..data_tmp").symlink_to(stamp.name)
    os.rename(folder / "..data_tmp", data)
    for name in files:
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(f"..data/{name}")
    if previous is not None:
        shutil.rmtree(previous)


def test_configmap_update_by_symlink_swap_is_reloaded(
    subgraph_urls: dict[str, str], start_router: Callable[..., Router], tmp_path: Path
) -> None:
    staging = tmp_path / "staging"
    staging.mkdir()
    volume = tmp_path / "config"
    volume.mkdir()

    def files(introspection: bool) -> dict[str, str]:
        write_config(staging, subgraph_urls, introspection=introspection)
        return {
            name: (staging / name).read_text("utf-8")
            for name in ("router.yaml", "supergraph.graphql")
        }

    _configmap_volume(volume, files(introspection=False), 1)
    router = start_router("--config", str(volume / "router.yaml"))
    assert router.query(REVIEW_TYPE)["errors"][0]["extensions"]["code"] == (
        "INTROSPECTION_DISABLED"
    )
    _configmap_volume(volume, files(introspection=True), 2)
    _wait_for(lambda: "data" in router.query(REVIEW_TYPE), RELOAD_DEADLINE)
    assert "reload refused" not in router.stderr()
