"""`python -m bench.gateway [--quick] [--runs N] [--seconds S] ...`: see README.md here."""

from __future__ import annotations

import argparse
import sys

from bench.gateway.load import wrk_missing_reason
from bench.gateway.run import SCENARIOS, Options, benchmark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.gateway", description=__doc__
    )
    parser.add_argument(
        "--quick", action="store_true", help="one short run (smoke test)"
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--scenario",
        action="append",
        choices=[s.name for s in SCENARIOS],
        help="run only these scenarios (repeatable; default: all but entity-cache and stages)",
    )
    args = parser.parse_args(argv)
    missing = wrk_missing_reason()
    if missing:
        print(f"bench.gateway: {missing}", file=sys.stderr)
        return 2
    options = Options(
        runs=1 if args.quick else args.runs,
        seconds=1.0 if args.quick else args.seconds,
        warmup=0.0 if args.quick else args.warmup,
        connections=10 if args.quick else args.connections,
        scenarios=tuple(args.scenario or [s.name for s in SCENARIOS if not s.optional]),
    )
    return benchmark(options)


if __name__ == "__main__":
    sys.exit(main())
