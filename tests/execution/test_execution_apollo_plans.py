"""The stored Apollo plans the execution tests run are still what Apollo's planner gives.

`apollo_plans.json` holds, per case of `cases.json`, the JSON plan `@apollo/query-planner`
produces for the example supergraph. The execution tests run those plans (so they need no
Node and no planner of ours); this test keeps them honest. `UPDATE_SNAPSHOTS=1` rewrites
the file.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from support.oracle import ORACLE_DIR, REPO_ROOT, require_oracle

HERE = Path(__file__).parent
pytestmark = pytest.mark.oracle


def test_stored_plans_match_apollo_planner() -> None:
    node = require_oracle()
    cases = json.loads((HERE / "cases.json").read_text())
    operations = [
        {"query": case["query"], "operationName": case.get("operationName")}
        for case in cases.values()
    ]
    payload = {
        "supergraph": (REPO_ROOT / "supergraph.graphql").read_text(),
        "operations": operations,
    }
    proc = subprocess.run(
        [node, str(ORACLE_DIR / "plan.mjs")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ORACLE_DIR,
        timeout=120,
        check=True,
    )
    results = json.loads(proc.stdout)["results"]
    current = {}
    for name, result in zip(cases, results, strict=True):
        assert result["error"] is None, f"{name}: {result['error']}"
        current[name] = result["plan"]
    stored_file = HERE / "apollo_plans.json"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not stored_file.exists():
        stored_file.write_text(json.dumps(current, indent=1, sort_keys=True) + "\n")
    assert json.loads(stored_file.read_text()) == current
