"""`python -m bench.compose`: our composition time against Apollo's, on one generated input.

Exits 0 when both sides produced a time and Apollo composed the input; our composer
failing to compose is reported (first errors) but still timed.
"""

from __future__ import annotations

import argparse
import json
import sys

from bench.compose.generate import FULL, TINY, Shape, generate
from bench.compose.measure import Measurement, measure_apollo, measure_ours

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    shape = TINY if args.quick else Shape(args.subgraphs, args.types, args.seed)
    runs = args.runs if args.runs is not None else (1 if args.quick else 5)
    federation = generate(shape)
    ours = measure_ours(federation, runs)
    apollo = measure_apollo(federation, runs)
    ratio = (
        ours.median_ms / apollo.median_ms
        if ours.median_ms is not None and apollo.median_ms
        else None
    )
    report = {
        "subgraphs": len(federation.subgraphs),
        "types": federation.type_count,
        "seed": shape.seed,
        "runs": runs,
        "ours": ours.as_json(),
        "apollo": apollo.as_json(),
        "ratio": ratio,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_table(report, ours, apollo)
    measured = ours.median_ms is not None and apollo.median_ms is not None
    return 0 if measured and apollo.ok else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.compose",
        description="Compose a generated federation with ours and Apollo's composer.",
    )
    parser.add_argument("--subgraphs", type=int, default=FULL.subgraphs)
    parser.add_argument("--types", type=int, default=FULL.types)
    parser.add_argument("--seed", type=int, default=FULL.seed)
    parser.add_argument(
        "--runs", type=int, help="timed runs per side, after one warm-up (default 5)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{TINY.subgraphs} subgraphs, {TINY.types} types, 1 run (smoke test)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON, not a table")
    return parser


def _print_table(
    report: dict[str, object], ours: Measurement, apollo: Measurement
) -> None:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}"

    def yes(m: Measurement) -> str:
        return "yes" if m.ok else "no"

    ratio = report["ratio"]
    header = (
        "subgraphs",
        "types",
        "ours ms",
        "apollo ms",
        "ours/apollo",
        "ours ok",
        "apollo ok",
    )
    row = (
        str(report["subgraphs"]),
        str(report["types"]),
        ms(ours.median_ms),
        ms(apollo.median_ms),
        "-" if not isinstance(ratio, float) else f"{ratio:.2f}x",
        yes(ours),
        yes(apollo),
    )
    widths = [max(len(h), len(c)) for h, c in zip(header, row, strict=True)]
    print("  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    print(f"median of {report['runs']} run(s) per side after one warm-up, in-process")
    for side, m in (("ours", ours), ("apollo", apollo)):
        if m.unavailable:
            print(f"{side}: not measured: {m.unavailable}")
        elif not m.ok:
            print(f"{side}: composition failed; first errors:")
            for error in m.errors:
                print(f"  {error}")


if __name__ == "__main__":
    sys.exit(main())
