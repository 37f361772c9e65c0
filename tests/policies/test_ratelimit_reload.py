"""In-memory rate-limit counters across a hot reload, over HTTP.

A client at its limit stays refused when router.yaml changes elsewhere or the
supergraph changes; a limit whose capacity changed starts fresh, the others keep
counting.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from policy_harness import Router, post

ME = "{ me { id } }"
RELOAD_TIMEOUT = 10.0

PER_CLIENT = """
ratelimit:
  clients:
    - name: per-client
      key: { by: header, name: X-Client }
      tier: { by: header, name: X-Plan, default: free }
      tiers:
        free: [ { capacity: 2, interval: 1h } ]
        pro: [ { capacity: 3, interval: 1h } ]
traffic_shaping:
  router:
    global_rate_limit: { capacity: 1000, interval: 1h }
"""


def _statuses(router: Router, client: str, n: int, plan: str = "free") -> list[int]:
    headers = {"X-Client": client, "X-Plan": plan}
    return [post(router, ME, headers).status for _ in range(n)]


def _reloads(router: Router) -> int:
    return router.stderr().count("reloaded:")


def _edit_and_wait(router: Router, path: Path, edit: Callable[[str], str]) -> None:
    """Rewrites `path` with `edit` and waits until the router has reloaded it."""
    before = _reloads(router)
    path.write_text(edit(path.read_text("utf-8")), "utf-8")
    deadline = time.monotonic() + RELOAD_TIMEOUT
    while _reloads(router) == before:
        assert time.monotonic() < deadline, router.stderr()
        time.sleep(0.05)


def test_a_client_at_its_limit_stays_refused_after_an_unrelated_yaml_change(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    router = router_with(PER_CLIENT, folder=tmp_path)
    assert _statuses(router, "a", 3) == [200, 200, 429]
    _edit_and_wait(
        router,
        tmp_path / "router.yaml",
        lambda yaml: yaml + "limits:\n  max_depth: 50\n",
    )
    assert _statuses(router, "a", 2) == [429, 429]
    # The new generation counts on from the old counts, for other clients too.
    assert _statuses(router, "b", 3) == [200, 200, 429]


def test_a_client_at_its_limit_stays_refused_after_the_supergraph_changes(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    router = router_with(PER_CLIENT, folder=tmp_path)
    assert _statuses(router, "a", 3) == [200, 200, 429]
    supergraph = tmp_path / "supergraph.graphql"
    # Touched, same bytes: no reload at all; still refused.
    supergraph.write_text(supergraph.read_text("utf-8"), "utf-8")
    time.sleep(1.0)
    assert _statuses(router, "a", 1) == [429]
    # Changed bytes (a comment): a new generation, same limits.
    _edit_and_wait(router, supergraph, lambda sdl: sdl + "\n# redeployed\n")
    assert _statuses(router, "a", 2) == [429, 429]


def test_a_changed_capacity_starts_that_limit_fresh_and_keeps_the_others(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    router = router_with(PER_CLIENT, folder=tmp_path)
    assert _statuses(router, "f", 3) == [200, 200, 429]
    assert _statuses(router, "p", 4, "pro") == [200, 200, 200, 429]
    _edit_and_wait(
        router,
        tmp_path / "router.yaml",
        lambda yaml: yaml.replace("capacity: 3,", "capacity: 4,"),
    )
    # pro's limit changed: its counters start over at the new capacity.
    assert _statuses(router, "p", 5, "pro") == [200, 200, 200, 200, 429]
    # free's did not: its client is still at the limit.
    assert _statuses(router, "f", 1) == [429]
