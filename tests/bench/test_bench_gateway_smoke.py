"""Smoke test: `python -m bench.gateway --quick` runs end to end against Apollo Gateway and
Hive Gateway, and every target returns the same response (never asserts a speed)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from support.oracle import oracle_unavailable_reason

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.oracle


def _require(tool: str, reason: str | None) -> None:
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{tool} is required in CI: {reason}")
    pytest.skip(reason)


def test_bench_gateway_quick_runs_and_all_gateways_answer_identically() -> None:
    _require("node", oracle_unavailable_reason())
    _require("wrk", None if shutil.which("wrk") else "`wrk` is not on PATH")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.gateway", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, f"{out}\n{proc.stderr}"
    big = "identical responses (87599 bytes, each asked twice) from"
    for scenario, targets in [
        ("benchmark", "ours, apollo, hive"),
        ("uncached", "ours-plans-all, apollo"),
        ("apq", "ours, apollo"),
        ("inbound-dedup", "ours-inbound-dedup, hive-inbound-dedup"),
    ]:
        assert f"{scenario}: {big} {targets}\n" in out, out
    assert "small: identical responses" in out and "ours, apollo, forward" in out
    assert "fast subgraphs agree with graphql-core" in out
    rows = [
        line
        for line in out.splitlines()
        if line.startswith("| ") and "req/s" not in line
    ]
    assert len(rows) == 12, out
    for row in rows:
        errors = row.split("|")[6].strip()
        assert errors == "0", f"requests failed under load: {row}"
        assert re.search(r"\| [\d,]+ \|", row), row
