"""Apollo's packages as oracles: composition, and the API schema of a supergraph.

Each function runs one node process for a whole batch (starting node and loading the
federation packages costs far more than the work). Without node or ``oracle/node_modules``
the calling test is skipped, unless the ``CI`` environment variable is set: then it fails,
so CI cannot pass by skipping the differential tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "ORACLE_DIR",
    "apollo_api_schemas",
    "compose",
    "oracle_unavailable_reason",
    "skip_or_fail_without_oracle",
]

ORACLE_DIR = Path(__file__).resolve().parents[2] / "oracle"
_API_SCRIPT = Path(__file__).resolve().parent / "apollo_api_schema.mjs"
_TIMEOUT_SECONDS = 120


def oracle_unavailable_reason() -> str | None:
    """Why the oracle cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "`node` is not on PATH (Node 20+ runs Apollo's packages)"
    if not (ORACLE_DIR / "node_modules" / "@apollo" / "composition").is_dir():
        return "oracle/node_modules is missing: run `cd oracle && npm ci` (or `make oracle`)"
    return None


def compose(cases: Sequence[Sequence[dict[str, str]]]) -> list[dict[str, Any]]:
    """``@apollo/composition`` on each case (its subgraphs: name, url, sdl), in order."""
    payload = {"cases": [{"subgraphs": list(case)} for case in cases]}
    results: list[dict[str, Any]] = _run(ORACLE_DIR / "compose.mjs", payload)["results"]
    return results


def apollo_api_schemas(supergraphs: Sequence[str]) -> list[dict[str, str]]:
    """Apollo's API schema (``{"api": sdl}``) or error (``{"error": text}``) for each."""
    results: list[dict[str, str]] = _run(
        _API_SCRIPT, {"supergraphs": list(supergraphs)}, str(ORACLE_DIR)
    )["results"]
    return results


def _run(script: Path, payload: object, *args: str) -> dict[str, Any]:
    node = shutil.which("node")
    assert node is not None, oracle_unavailable_reason()
    process = subprocess.run(
        [node, str(script), *args],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=ORACLE_DIR,
        timeout=_TIMEOUT_SECONDS,
        check=False,
    )
    if process.returncode != 0:
        raise RuntimeError(
            f"{script.name} exited {process.returncode}: {process.stderr[-4000:]}"
        )
    output: dict[str, Any] = json.loads(process.stdout)
    return output


def skip_or_fail_without_oracle() -> None:
    """Skip the calling test when the oracle is missing (fail it when CI is set)."""
    import pytest

    reason = oracle_unavailable_reason()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"Apollo oracle unavailable under CI: {reason}", pytrace=False)
    pytest.skip(f"Apollo oracle unavailable: {reason}")
