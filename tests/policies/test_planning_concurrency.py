"""`supergraph.query_planning.concurrency`: new operations are planned a few at a time,
shared between clients, so one client sending a stream of never-seen operations cannot
keep the planner from everyone else. Over HTTP, with real subgraphs."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from policy_harness import Reply, Router, post

# One of the planner corpus's slowest operations to plan over the example graph.
HEAVY = (Path(__file__).with_name("heavy_operation.graphql")).read_text()
VARIABLES = {
    "withIt": True,
    "withIt2": True,
    "skipIt2": False,
    "withIt3": True,
    "skipIt3": False,
}
CONFIG = """
supergraph:
  file: supergraph.graphql
  query_planning:
    concurrency: { max_running: 1, per_client: 1 }
ratelimit:
  trusted_proxies: [127.0.0.0/8]
"""


def _new_operation(router: Router, name: str, client: str) -> Reply:
    """The heavy operation under a name never sent before: a plan-cache miss."""
    query = HEAVY.replace("query Example13(", f"query {name}(", 1)
    return post(router, query, {"X-Forwarded-For": client}, variables=VARIABLES)


def test_a_client_flooding_new_operations_is_refused_and_others_are_served(
    router_with: Callable[..., Router],
) -> None:
    router = router_with(CONFIG)
    flooder, other = "203.0.113.1", "203.0.113.2"
    with ThreadPoolExecutor(max_workers=8) as pool:
        flood = [
            pool.submit(_new_operation, router, f"Flood{n}", flooder) for n in range(6)
        ]
        served = pool.submit(_new_operation, router, "Other", other)
        replies = [f.result() for f in flood]
        other_reply = served.result()

    refused = [r for r in replies if r.status == 429]
    assert refused, [r.status for r in replies]
    for reply in refused:
        (error,) = reply.json()["errors"]
        assert error["extensions"]["code"] == "QUERY_PLANNING_BUSY"
        assert reply.headers.get("retry-after") == "1"
    for reply in replies:
        if reply.status != 429:
            assert reply.status == 200 and reply.json()["data"]["topMe"], reply.body
    assert other_reply.status == 200, other_reply.body
    assert other_reply.json()["data"]["extraItem"]["__typename"] == "Book"
    # Its plans done, the flooder has its share back; a planned operation costs none.
    assert _new_operation(router, "Later", flooder).status == 200
    assert all(_new_operation(router, "Other", flooder).status == 200 for _ in range(3))


def test_concurrency_settings_are_checked() -> None:
    from router.config import ConfigError, parse_config

    with pytest.raises(ConfigError) as refused:
        parse_config(
            "supergraph:\n  query_planning:\n    concurrency: { max_running: 0 }\n"
        )
    assert "supergraph.query_planning.concurrency.max_running" in str(refused.value)


def test_the_plans_limit_reaches_the_planner() -> None:
    """Apollo's `experimental_plans_limit` (or `limits.max_evaluated_plans`) bounds the
    plans the serving planner evaluates, and is not reported as inactive."""
    from planner.supergraph import load_supergraph
    from router.config import parse_config
    from router.server.source import Source
    from router.server.state import build_generation

    supergraph = load_supergraph(
        (Path(__file__).parents[2] / "supergraph.graphql").read_text()
    )
    for text, expected in [
        ("supergraph:\n  query_planning:\n    experimental_plans_limit: 7\n", 7),
        ("limits:\n  max_evaluated_plans: 9\n", 9),
        ("", 10_000),
    ]:
        config = parse_config(text)
        assert not [k for k in config.inactive_keys() if "plans" in k]
        generation = build_generation(Source(config, supergraph, "test", ()), 1)
        planner = generation.pipeline._engine._planner  # type: ignore[attr-defined]
        assert planner.config.max_evaluated_plans == expected
