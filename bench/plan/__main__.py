"""`python -m bench.plan`: our planning time per operation against Apollo's, same corpus.

Exits 0 when both sides produced timings; operations either side cannot plan are left
out of both medians and counted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from bench.plan.apollo import ApolloUnavailable, time_with_apollo
from bench.plan.corpus import build_corpus
from bench.plan.measure import median_or_none, time_cache_hits, time_ours
from bench.plan.worlds import world_graphs

__all__ = ["main"]

SLOWEST_SHOWN = 5
# An operation is slow for us past this, unless Apollo takes longer still (issue 19).
SLOW_MS = 50.0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    runs = args.runs if args.runs is not None else (1 if args.quick else 3)
    if args.worlds is not None:
        seed, count = args.worlds
        graphs = world_graphs(seed, count)
    else:
        graphs = build_corpus(quick=args.quick)
    operations = sum(len(g.operations) for g in graphs)

    report: dict[str, Any] = {
        "operations": operations,
        "supergraphs": len(graphs),
        "runs": runs,
        "ours": {"median_ms": None, "total_ms": None, "failed": 0, "unavailable": None},
        "apollo": {
            "median_ms": None,
            "total_ms": None,
            "failed": 0,
            "unavailable": None,
        },
        "ratio": None,
        "cache_hit_us": None,
        "compared": 0,
        "slowest": [],
        "slow_operations": None,
    }
    started = time.perf_counter()
    ours_medians: list[list[float | None]] | None = None
    try:
        timings = time_ours(graphs, runs)
        ours_medians = timings.medians_ms
        report["ours"]["errors"] = timings.errors[:5]
        report["cache_hit_us"] = time_cache_hits(graphs)
    except ImportError as error:
        report["ours"]["unavailable"] = f"our planner is not importable: {error}"
    report["ours_seconds"] = time.perf_counter() - started
    apollo_medians: list[list[float | None]] | None = None
    try:
        apollo_medians = time_with_apollo(graphs, runs)
    except ApolloUnavailable as error:
        report["apollo"]["unavailable"] = str(error)

    names = [f"{g.name}/{op.name}" for g in graphs for op in g.operations]
    _fill(report, ours_medians, apollo_medians, names)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_table(report)
    measured = report["ours"]["median_ms"] is not None
    return 0 if measured and report["apollo"]["median_ms"] is not None else 1


def _fill(
    report: dict[str, Any],
    ours: list[list[float | None]] | None,
    apollo: list[list[float | None]] | None,
    names: list[str],
) -> None:
    """Medians and totals over the operations both sides planned (or one side's own
    when the other is unavailable), and the tail: our slowest operations beside
    Apollo's time on them, and how many take us over ``SLOW_MS`` and longer than
    Apollo."""
    flat_ours = [x for row in ours for x in row] if ours is not None else None
    flat_apollo = [x for row in apollo for x in row] if apollo is not None else None
    if flat_ours is not None:
        report["ours"]["failed"] = sum(x is None for x in flat_ours)
    if flat_apollo is not None:
        report["apollo"]["failed"] = sum(x is None for x in flat_apollo)
    if flat_ours is not None and flat_apollo is not None:
        pairs = [
            (o, a)
            for o, a in zip(flat_ours, flat_apollo, strict=True)
            if o is not None and a is not None
        ]
        ours_ms = [o for o, _ in pairs]
        apollo_ms = [a for _, a in pairs]
        report["compared"] = len(pairs)
        timed = [
            (o, a, name)
            for o, a, name in zip(flat_ours, flat_apollo, names, strict=True)
            if o is not None and a is not None
        ]
        timed.sort(key=lambda row: -row[0])
        report["slowest"] = [
            {"operation": name, "ours_ms": o, "apollo_ms": a}
            for o, a, name in timed[:SLOWEST_SHOWN]
        ]
        report["slow_operations"] = sum(o > SLOW_MS and o > a for o, a, _ in timed)
    else:
        ours_ms = [x for x in flat_ours or [] if x is not None]
        apollo_ms = [x for x in flat_apollo or [] if x is not None]
    for side, values in (("ours", ours_ms), ("apollo", apollo_ms)):
        report[side]["median_ms"] = median_or_none(values)
        report[side]["total_ms"] = sum(values) if values else None
    if report["ours"]["median_ms"] is not None and report["apollo"]["median_ms"]:
        report["ratio"] = report["ours"]["median_ms"] / report["apollo"]["median_ms"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.plan",
        description="Plan the planning corpus with ours and @apollo/query-planner.",
    )
    parser.add_argument(
        "--runs", type=int, help="timed runs per side, after one warm-up (default 3)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="hand-written operations and 10 generated ones, 1 run (smoke test)",
    )
    parser.add_argument(
        "--worlds",
        type=_seed_and_count,
        metavar="SEED:COUNT",
        help="plan the operations of COUNT generated worlds of SEED (the oracle's "
        "random supergraphs) instead of the corpus",
    )
    parser.add_argument("--json", action="store_true", help="print JSON, not a table")
    return parser


def _seed_and_count(text: str) -> tuple[int, int]:
    seed, _, count = text.partition(":")
    try:
        return int(seed), int(count)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected SEED:COUNT, got {text!r}") from None


def _print_table(report: dict[str, Any]) -> None:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    ours, apollo, ratio = report["ours"], report["apollo"], report["ratio"]
    hit = report["cache_hit_us"]
    header = (
        "operations",
        "ours ms",
        "apollo ms",
        "ours/apollo",
        "ours total ms",
        "apollo total ms",
        "cache hit µs",
    )
    row = (
        f"{report['compared']}/{report['operations']}",
        ms(ours["median_ms"]),
        ms(apollo["median_ms"]),
        "-" if ratio is None else f"{ratio:.2f}x",
        "-" if ours["total_ms"] is None else f"{ours['total_ms']:.0f}",
        "-" if apollo["total_ms"] is None else f"{apollo['total_ms']:.0f}",
        "-" if hit is None else f"{hit:.1f}",
    )
    widths = [max(len(h), len(c)) for h, c in zip(header, row, strict=True)]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    print(
        f"median per operation of the per-operation medians over {report['runs']} "
        "cold run(s) after one warm-up; fresh planner per run, query graph built "
        "outside the timing"
    )
    if report["slowest"]:
        print(
            f"slowest (ms, ours/apollo); {report['slow_operations']} operation(s) "
            f"over {SLOW_MS:.0f} ms and slower than Apollo:"
        )
        for row in report["slowest"]:
            print(
                f"  {row['operation']}: {row['ours_ms']:.1f} / {row['apollo_ms']:.1f}"
            )
    for side, data in (("ours", ours), ("apollo", apollo)):
        if data["unavailable"]:
            print(f"{side}: not measured: {data['unavailable']}")
        elif data["failed"]:
            print(f"{side}: could not plan {data['failed']} operation(s)")
            for error in data.get("errors", []):
                print(f"  {error[:200]}")


if __name__ == "__main__":
    sys.exit(main())
