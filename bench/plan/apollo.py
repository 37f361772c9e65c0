"""Apollo's query planner, run in node: plans for the differential test, timings for the bench.

``plan_with_apollo`` sends one supergraph and its operations to ``oracle/plan.mjs`` (one
node process per supergraph, every operation in one batch). ``time_with_apollo`` sends
the whole corpus to ``apollo_plan_runs.mjs`` here, which times planning inside node.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypedDict

from bench.plan.corpus import REPO_ROOT, CorpusGraph, CorpusOperation

__all__ = [
    "ORACLE_DIR",
    "ApolloPlan",
    "ApolloUnavailable",
    "apollo_missing",
    "plan_with_apollo",
    "time_with_apollo",
]

ORACLE_DIR = REPO_ROOT / "oracle"
_PLAN_SCRIPT = ORACLE_DIR / "plan.mjs"
_RUNS_SCRIPT = Path(__file__).with_name("apollo_plan_runs.mjs")
_TIMEOUT_SECONDS = 300


class ApolloPlan(TypedDict):
    """What ``oracle/plan.mjs`` returns for one operation."""

    text: str | None
    plan: dict[str, Any] | None
    error: str | None
    ms: float


class ApolloUnavailable(RuntimeError):
    """Node or the oracle's packages are missing, or node failed."""


def apollo_missing(oracle_dir: Path = ORACLE_DIR) -> str | None:
    """Why Apollo's planner cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not on PATH (Node 20+ is needed for Apollo's planner)"
    if not (oracle_dir / "node_modules" / "@apollo" / "query-planner").is_dir():
        return f"{oracle_dir / 'node_modules'} is missing: run `make oracle`"
    return None


def _operation_input(op: CorpusOperation) -> dict[str, Any]:
    entry: dict[str, Any] = {"query": op.query}
    if op.operation_name is not None:
        entry["operationName"] = op.operation_name
    return entry


def _run_node(script: Path, payload: dict[str, Any]) -> Any:
    missing = apollo_missing()
    if missing is not None:
        raise ApolloUnavailable(missing)
    try:
        proc = subprocess.run(
            ["node", str(script)],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            cwd=ORACLE_DIR,
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ApolloUnavailable(
            f"{script.name} took more than {_TIMEOUT_SECONDS}s"
        ) from exc
    if proc.returncode != 0:
        raise ApolloUnavailable(
            f"{script.name} exited with {proc.returncode}: {proc.stderr[-3000:]}"
        )
    return json.loads(proc.stdout)


def plan_with_apollo(graph: CorpusGraph) -> list[ApolloPlan]:
    """Apollo's plan (or error) for every operation of ``graph``, in order."""
    payload = {
        "supergraph": graph.supergraph_sdl,
        "operations": [_operation_input(op) for op in graph.operations],
    }
    results: list[ApolloPlan] = _run_node(_PLAN_SCRIPT, payload)["results"]
    if len(results) != len(graph.operations):
        raise ApolloUnavailable(
            f"plan.mjs returned {len(results)} results for "
            f"{len(graph.operations)} operations"
        )
    return results


def time_with_apollo(
    graphs: Sequence[CorpusGraph], runs: int
) -> list[list[float | None]]:
    """Per graph, per operation: median planning ms over ``runs`` fresh planners.

    None where Apollo could not plan the operation.
    """
    payload = {
        "runs": runs,
        "graphs": [
            {
                "supergraph": g.supergraph_sdl,
                "operations": [_operation_input(op) for op in g.operations],
            }
            for g in graphs
        ],
    }
    medians: list[list[float | None]] = _run_node(_RUNS_SCRIPT, payload)["medians_ms"]
    return medians
