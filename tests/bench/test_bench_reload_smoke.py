"""Smoke test: `python -m bench.reload --quick` runs end to end (never asserts a speed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.compose.measure import apollo_missing

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.oracle


def test_bench_reload_quick_times_our_reload_and_apollo_gateways_load() -> None:
    missing = apollo_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"Apollo Gateway is required in CI: {missing}")
        pytest.skip(f"Apollo Gateway is unavailable: {missing}")
    proc = subprocess.run(
        [sys.executable, "-m", "bench.reload", "--quick", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"bench.reload printed no JSON (exit {proc.returncode}):\n{proc.stderr}"
        )
    assert report["api_schema_identical"]
    assert report["ours_first_load"]["median_ms"] is not None
    assert len(report["ours_reload"]["runs_ms"]) == 1
    apollo = report["apollo_gateway_load"]
    assert apollo["median_ms"] is not None, apollo["unavailable"]
    assert proc.returncode == 0, proc.stderr
