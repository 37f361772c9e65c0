"""Apollo's query plans, in text and JSON, for the plan printer and plan JSON tests.

``fixtures/plan_format/graphs.yaml`` lists supergraphs (the repository's example
supergraph, or subgraphs composed with Apollo's composer) and operations.
``fixtures/plan_format/expected/<graph>.json`` holds, for each operation, what
``oracle/plan.mjs`` returned: the plan's JSON form and ``prettyFormatQueryPlan``'s text.
The tests read only the committed files, so they run without node. Set
``UPDATE_FIXTURES=1`` to rebuild them from the oracle (``regenerate()``).
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from support.oracle import ORACLE_DIR, REPO_ROOT, compose_with_apollo, require_oracle

__all__ = ["FIXTURES", "PlanCase", "load_cases", "regenerate", "update_requested"]

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "plan_format"
_EXPECTED = FIXTURES / "expected"
_SUPERGRAPHS = FIXTURES / "supergraphs"
_PLAN_SCRIPT = ORACLE_DIR / "plan.mjs"


@dataclass(frozen=True)
class PlanCase:
    graph: str
    name: str
    query: str
    text: str
    plan: dict[str, Any]

    @property
    def id(self) -> str:
        return f"{self.graph}/{self.name}"


def update_requested() -> bool:
    return os.environ.get("UPDATE_FIXTURES") == "1"


_regenerated = False


def load_cases() -> list[PlanCase]:
    """Every operation Apollo planned without error, in graphs.yaml's order.

    With ``UPDATE_FIXTURES=1`` the expected files are rebuilt first (once a process).
    """
    global _regenerated
    if update_requested() and not _regenerated:
        regenerate()
        _regenerated = True
    cases = []
    for graph in _graphs():
        expected = json.loads((_EXPECTED / f"{graph}.json").read_text(encoding="utf-8"))
        for name, result in expected.items():
            if result["plan"] is not None:
                cases.append(
                    PlanCase(
                        graph, name, result["query"], result["text"], result["plan"]
                    )
                )
    return cases


def regenerate() -> None:
    """Compose the graphs, plan every operation with Apollo, write expected/*.json."""
    graphs = _graphs()
    composed = [name for name, spec in graphs.items() if not spec.get("example")]
    results = compose_with_apollo(
        [
            [
                {"name": sub, "url": f"http://{sub}.invalid/graphql", "sdl": sdl}
                for sub, sdl in graphs[name]["subgraphs"].items()
            ]
            for name in composed
        ]
    )
    _SUPERGRAPHS.mkdir(parents=True, exist_ok=True)
    _EXPECTED.mkdir(parents=True, exist_ok=True)
    for name, result in zip(composed, results, strict=True):
        if result["supergraph"] is None:
            raise AssertionError(f"{name} does not compose: {result['errors']}")
        (_SUPERGRAPHS / f"{name}.graphql").write_text(
            result["supergraph"], encoding="utf-8"
        )
    for name, spec in graphs.items():
        if spec.get("example"):
            sdl = (REPO_ROOT / "supergraph.graphql").read_text(encoding="utf-8")
        else:
            sdl = (_SUPERGRAPHS / f"{name}.graphql").read_text(encoding="utf-8")
        operations = {
            op: ({"query": value} if isinstance(value, str) else dict(value))
            for op, value in spec["operations"].items()
        }
        planned = _plan_with_apollo(sdl, list(operations.values()), spec.get("config"))
        expected = {
            op: {
                "query": operations[op]["query"],
                "text": result["text"],
                "plan": result["plan"],
                "error": result["error"],
            }
            for op, result in zip(operations, planned, strict=True)
        }
        (_EXPECTED / f"{name}.json").write_text(
            json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


def _graphs() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load((FIXTURES / "graphs.yaml").read_text(encoding="utf-8"))
    graphs: dict[str, dict[str, Any]] = data["graphs"]
    return graphs


def _plan_with_apollo(
    sdl: str, operations: list[dict[str, Any]], config: dict[str, Any] | None
) -> list[dict[str, Any]]:
    node = require_oracle()
    payload: dict[str, Any] = {"supergraph": sdl, "operations": operations}
    if config:
        payload["config"] = config
    proc = subprocess.run(
        [node, str(_PLAN_SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ORACLE_DIR,
        timeout=240,
        check=True,
    )
    results: list[dict[str, Any]] = json.loads(proc.stdout)["results"]
    return results
