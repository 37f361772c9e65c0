"""Smoke test: `python -m bench.telemetry --quick` runs end to end, the traced router
really exports spans and counts requests, and the table has both rows per scenario
(never asserts a speed)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("together", [False, True], ids=["in turn", "together"])
def test_bench_telemetry_quick_compares_telemetry_on_and_off(together: bool) -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("CI"):
            pytest.fail("wrk is required in CI: `wrk` is not on PATH")
        pytest.skip("`wrk` is not on PATH")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.telemetry",
            "--quick",
            *(["--together"] if together else []),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    out = proc.stdout
    assert proc.returncode == 0, f"{out}\n{proc.stderr}"
    assert "OTLP exports" in out and "api_requests_total" in out
    assert ("loaded at once" in out) == together
    rows = [
        line.split("|")[1:-1]
        for line in out.splitlines()
        if line.startswith("| ") and "req/s" not in line
    ]
    assert [(r[0].strip(), r[1].strip()) for r in rows] == [
        (scenario, variant)
        for scenario in ("benchmark query", "small one-subgraph query")
        for variant in ("off", "on (sampler 1.0)", "on (sampler 0.1)")
    ]
    for row in rows:
        assert float(row[2].replace(",", "")) > 0  # req/s
        assert row[5].strip() == "0"  # errors
