"""Time our `compose()` and Apollo's `composeServices` on the same subgraphs.

Both sides are timed in-process after one warm-up run, so neither pays for interpreter
or node start-up; each timed run starts from SDL strings (Apollo's includes `parse`).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.compose.generate import Federation

__all__ = [
    "ORACLE_DIR",
    "Measurement",
    "apollo_missing",
    "measure_apollo",
    "measure_ours",
]

ORACLE_DIR = Path(__file__).resolve().parents[2] / "oracle"
_APOLLO_RUNS = Path(__file__).with_name("apollo_runs.mjs")
_MAX_ERRORS = 5


@dataclass(frozen=True, slots=True)
class Measurement:
    """One side's timings, or why it could not be timed (`unavailable`)."""

    ok: bool
    runs_ms: tuple[float, ...] = ()
    errors: tuple[str, ...] = ()
    unavailable: str | None = None

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.runs_ms) if self.runs_ms else None

    def as_json(self) -> dict[str, object]:
        return {
            "median_ms": self.median_ms,
            "runs_ms": list(self.runs_ms),
            "ok": self.ok,
            "errors": list(self.errors),
            "unavailable": self.unavailable,
        }


def measure_ours(federation: Federation, runs: int) -> Measurement:
    """Median over `runs` calls of `planner.composition.compose`, after one warm-up."""
    try:
        from planner.composition import SubgraphInput, compose
    except ImportError as exc:
        return Measurement(
            ok=False, unavailable=f"our composer is not importable: {exc}"
        )
    inputs = [SubgraphInput(s.name, s.url, s.sdl) for s in federation.subgraphs]
    timings = []
    try:
        result = compose(inputs)  # warm-up
        for _ in range(runs):
            started = time.perf_counter()
            result = compose(inputs)
            timings.append((time.perf_counter() - started) * 1000)
    except Exception as exc:  # a bug in compose(): report it, keep Apollo's number
        return Measurement(
            ok=False, unavailable=f"compose() raised {type(exc).__name__}: {exc}"
        )
    errors = tuple(f"{e.code}: {e.message}" for e in result.errors[:_MAX_ERRORS])
    ok = result.supergraph_sdl is not None and not result.errors
    return Measurement(ok=ok, runs_ms=tuple(timings), errors=errors)


def apollo_missing(oracle_dir: Path = ORACLE_DIR) -> str | None:
    """Why Apollo's composer cannot run here, or None when it can."""
    if shutil.which("node") is None:
        return "node is not on PATH (Node 20+ is needed for Apollo's composer)"
    if not (oracle_dir / "node_modules" / "@apollo" / "composition").is_dir():
        return f"{oracle_dir / 'node_modules'} is missing: run `make oracle`"
    return None


def measure_apollo(
    federation: Federation, runs: int, oracle_dir: Path = ORACLE_DIR
) -> Measurement:
    """Median over `runs` composeServices calls inside one node process."""
    missing = apollo_missing(oracle_dir)
    if missing is not None:
        return Measurement(ok=False, unavailable=missing)
    request = {**federation.oracle_input(), "runs": runs, "warmup": 1}
    proc = subprocess.run(
        ["node", str(_APOLLO_RUNS)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ORACLE_DIR": str(oracle_dir)},
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-5:]
        return Measurement(
            ok=False,
            unavailable=f"node exited with {proc.returncode}: " + " | ".join(tail),
        )
    out = json.loads(proc.stdout)
    errors = tuple(f"{e['code']}: {e['message']}" for e in out["errors"][:_MAX_ERRORS])
    return Measurement(ok=out["ok"], runs_ms=tuple(out["runs_ms"]), errors=errors)
