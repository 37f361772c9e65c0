"""Apollo's composer as an oracle: `oracle/compose.mjs` run once per batch of cases.

`@apollo/composition` (pinned in `oracle/package.json`) is the reference our composer is
compared with. Every case goes to node in one process: starting node and loading the
federation packages costs far more than composing a case. A batch's results are kept in
the test cache (`support.derived_cache`), keyed by the batch, `compose.mjs` and
`oracle/package-lock.json`, so later runs start no node for it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TypedDict

import pytest

from support.derived_cache import cached_json, source_digest

__all__ = [
    "ORACLE_DIR",
    "REPO_ROOT",
    "ApolloMessage",
    "ApolloResult",
    "compose_with_apollo",
    "oracle_unavailable_reason",
    "require_oracle",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
ORACLE_DIR = REPO_ROOT / "oracle"
_COMPOSE_SCRIPT = ORACLE_DIR / "compose.mjs"
_TIMEOUT_SECONDS = 240


class ApolloMessage(TypedDict):
    code: str
    message: str


class ApolloResult(TypedDict):
    """What `compose.mjs` prints for one case."""

    supergraph: str | None
    errors: list[ApolloMessage]
    hints: list[ApolloMessage]
    ms: float


# Keyed by the JSON sent to node, so that asking twice for the same batch in a session
# (from several fixtures or modules) runs node once.
_results_by_payload: dict[str, list[ApolloResult]] = {}


def oracle_unavailable_reason() -> str | None:
    """Why Apollo's composer cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "`node` is not on PATH (Node 20+ is needed for the Apollo oracle)"
    if not (ORACLE_DIR / "node_modules" / "@apollo" / "composition").is_dir():
        return (
            "oracle/node_modules is missing: run `make oracle` "
            "(or `cd oracle && npm ci`)"
        )
    return None


def require_oracle() -> str:
    """Path to `node`; skips the test when the oracle is missing, fails it under CI.

    CI must not pass by silently skipping the differential tests, so when the `CI`
    environment variable is set a missing oracle is a failure.
    """
    reason = oracle_unavailable_reason()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"Apollo oracle unavailable under CI: {reason}", pytrace=False)
        pytest.skip(f"Apollo oracle unavailable: {reason}")
    node = shutil.which("node")
    assert node is not None
    return node


def compose_with_apollo(
    cases: Sequence[Sequence[Mapping[str, str]]],
) -> list[ApolloResult]:
    """Compose each case with `@apollo/composition`, all in one node process.

    A case is its ordered subgraphs, each `{"name", "url", "sdl"}`. Results come back in
    the order of `cases`.
    """
    payload = json.dumps(
        {"cases": [{"subgraphs": [dict(s) for s in case]} for case in cases]}
    )
    cached = _results_by_payload.get(payload)
    if cached is not None:
        return cached
    node = require_oracle()
    results: list[ApolloResult] = cached_json(
        "apollo-compose",
        [payload, source_digest("oracle/compose.mjs", "oracle/package-lock.json")],
        lambda: _compose_in_node(node, payload, len(cases)),
    )
    _results_by_payload[payload] = results
    return results


def _compose_in_node(node: str, payload: str, count: int) -> list[ApolloResult]:
    try:
        proc = subprocess.run(
            [node, str(_COMPOSE_SCRIPT)],
            input=payload,
            capture_output=True,
            text=True,
            cwd=ORACLE_DIR,
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(
            f"oracle/compose.mjs took more than {_TIMEOUT_SECONDS}s for {count} cases",
            pytrace=False,
        )
    if proc.returncode != 0:
        pytest.fail(
            f"oracle/compose.mjs exited with status {proc.returncode}:\n"
            f"{proc.stderr[-4000:]}",
            pytrace=False,
        )
    results: list[ApolloResult] = json.loads(proc.stdout)["results"]
    if len(results) != count:
        pytest.fail(
            f"oracle/compose.mjs returned {len(results)} results for {count} cases",
            pytrace=False,
        )
    return results
