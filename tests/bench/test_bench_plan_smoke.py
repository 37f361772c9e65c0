"""Smoke test: `python -m bench.plan --quick` runs end to end (never asserts a speed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.plan.apollo import apollo_missing

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.oracle


def _bench_plan(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bench.plan ARGS`, once Apollo's planner is known to be there."""
    missing = apollo_missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"Apollo's planner is required in CI: {missing}")
        pytest.skip(f"Apollo's planner is unavailable: {missing}")
    return subprocess.run(
        [sys.executable, "-m", "bench.plan", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def test_bench_plan_quick_times_both_planners_and_the_cache() -> None:
    proc = _bench_plan("--quick", "--json")
    try:
        report = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"bench.plan printed no JSON (exit {proc.returncode}):\n{proc.stderr}"
        )
    apollo, ours = report["apollo"], report["ours"]
    assert apollo["median_ms"] is not None, apollo["unavailable"]
    assert ours["median_ms"] is not None, (
        f"our side was not timed: {ours['unavailable']}"
    )
    assert report["cache_hit_us"] is not None
    assert report["compared"] >= 60, "the hand-written corpus was not planned by both"
    assert proc.returncode == 0, proc.stderr


def test_bench_plan_times_both_planners_over_generated_worlds() -> None:
    proc = _bench_plan("--worlds", "7:2", "--runs", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["supergraphs"] == 2, "a world of seed 7 was not composed"
    assert report["operations"] > 0
    assert report["compared"] == report["operations"], (
        report["ours"].get("errors"),
        report["apollo"],
    )
    assert report["slowest"], "no operation was timed on both sides"
