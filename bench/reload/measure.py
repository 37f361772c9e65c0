"""Time a supergraph from new text to serving: ours, graphql-core alone, Apollo Gateway.

Ours runs the router's own reload path in this process: a `Reloader` watching a
supergraph file (polled every 10 ms), from writing the new text to the moment the new
generation is swapped in (reading, loading the supergraph, building the generation;
no HTTP). Meanwhile a task sleeping 5 ms at a time records the longest the event loop
went without running it, from the write to half a second after the swap (the heap is
settled, on the loop, once the replaced generation is closed): what serving waits at
worst.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bench.compose.measure import ORACLE_DIR, apollo_missing

if TYPE_CHECKING:
    from router.server.state import Generation, StateHolder

__all__ = [
    "ReloadTimes",
    "Timings",
    "api_schema_identical",
    "measure_apollo",
    "measure_graphql_core",
    "measure_ours",
]

_APOLLO_RUNS = Path(__file__).with_name("apollo_load_runs.mjs")
_POLL_SECONDS = 0.01
_DEADLINE_SECONDS = 120.0
_TICK_SECONDS = 0.005
_AFTERMATH_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Timings:
    """One side's timed runs in milliseconds, or why it was not measured."""

    runs_ms: tuple[float, ...] = ()
    unavailable: str | None = None

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.runs_ms) if self.runs_ms else None

    def as_json(self) -> dict[str, object]:
        return {
            "median_ms": self.median_ms,
            "runs_ms": list(self.runs_ms),
            "unavailable": self.unavailable,
        }


@dataclass(frozen=True, slots=True)
class ReloadTimes:
    """Our router: the first load, each reload, the longest event-loop stall of each."""

    first: Timings
    reloads: Timings
    stalls: Timings


def _timed_holder() -> tuple[StateHolder, asyncio.Queue[float]]:
    from router.server.state import StateHolder

    swaps: asyncio.Queue[float] = asyncio.Queue()

    class Holder(StateHolder):
        def swap(self, generation: Generation) -> None:
            super().swap(generation)  # the heap is settled inside: counted
            swaps.put_nowait(time.perf_counter())

    return Holder(), swaps


def measure_ours(before: str, after: str, runs: int) -> ReloadTimes:
    """The first load of `before`, then `runs` reloads alternating `after` and
    `before` (each replaces the other, so each reuses what did not change)."""
    logging.getLogger("router").setLevel(logging.WARNING)
    return asyncio.run(_measure_ours(before, after, runs))


async def _measure_ours(before: str, after: str, runs: int) -> ReloadTimes:
    from router.server.reload import Reloader
    from router.server.settings import ServeSettings

    with tempfile.TemporaryDirectory(prefix="bench-reload-") as folder:
        path = Path(folder) / "supergraph.graphql"
        path.write_text(before, encoding="utf-8")
        holder, swaps = _timed_holder()
        settings = ServeSettings(supergraph_path=str(path), poll_interval=_POLL_SECONDS)
        stall = _StallMeter()
        ticker = asyncio.create_task(stall.run())
        started = time.perf_counter()
        reloader = asyncio.create_task(Reloader(settings, holder).run())
        try:
            first = await asyncio.wait_for(swaps.get(), _DEADLINE_SECONDS) - started
            reloads: list[float] = []
            stalls: list[float] = []
            for run in range(runs):
                text = after if run % 2 == 0 else before
                stall.reset()
                written = time.perf_counter()
                path.write_text(text, encoding="utf-8")
                swapped = await asyncio.wait_for(swaps.get(), _DEADLINE_SECONDS)
                reloads.append((swapped - written) * 1000)
                # The heap is settled once the replaced generation is closed, just
                # after the swap: its collection counts in this reload's stall.
                await asyncio.sleep(_AFTERMATH_SECONDS)
                stalls.append(stall.longest * 1000)
        finally:
            reloader.cancel()
            ticker.cancel()
            await asyncio.gather(reloader, ticker, return_exceptions=True)
            await holder.shutdown()
    return ReloadTimes(
        Timings((first * 1000,)), Timings(tuple(reloads)), Timings(tuple(stalls))
    )


class _StallMeter:
    """The longest time the event loop took beyond a 5 ms sleep since `reset`."""

    def __init__(self) -> None:
        self.longest = 0.0

    def reset(self) -> None:
        self.longest = 0.0

    async def run(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(_TICK_SECONDS)
            late = time.perf_counter() - before - _TICK_SECONDS
            self.longest = max(self.longest, late)


def measure_graphql_core(sdl: str, runs: int) -> Timings:
    """graphql-core's `build_schema(sdl)` (parse, SDL validation, build): the floor the
    loader stood on before it read anything of federation, as a same-run yardstick."""
    from graphql import build_schema

    build_schema(sdl)  # warm-up
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        build_schema(sdl)
        timings.append((time.perf_counter() - started) * 1000)
    return Timings(tuple(timings))


def api_schema_identical(sdl: str) -> bool:
    """Our API schema of `sdl` prints byte-identically to the one built from
    graphql-core's own parse of the text (what the loader did before)."""
    from graphql import parse

    from planner.supergraph import load_supergraph
    from planner.supergraph.api_schema import build_api_schema
    from planner.supergraph.links import read_links
    from planner.supergraph.printing import print_sorted_schema

    document = parse(sdl)
    reference = build_api_schema(document, read_links(document))
    loaded = load_supergraph(sdl)
    reloaded = load_supergraph(sdl, previous=load_supergraph(sdl + "\n"))
    expected = print_sorted_schema(reference)
    return (
        print_sorted_schema(loaded.api_schema) == expected
        and print_sorted_schema(reloaded.api_schema) == expected
    )


def measure_apollo(sdl: str, runs: int) -> Timings:
    """Median over `runs` Apollo Gateway loads of `sdl` inside one node process."""
    missing = apollo_missing()
    if missing is not None:
        return Timings(unavailable=missing)
    proc = subprocess.run(
        ["node", str(_APOLLO_RUNS)],
        input=json.dumps({"sdl": sdl, "runs": runs, "warmup": 1}),
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "ORACLE_DIR": str(ORACLE_DIR)},
    )
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-5:]
        return Timings(
            unavailable=f"node exited with {proc.returncode}: " + " | ".join(tail)
        )
    return Timings(tuple(json.loads(proc.stdout)["runs_ms"]))
