"""`python -m bench.telemetry [--quick] [--runs N] [--seconds S] ...`: see README.md."""

from __future__ import annotations

import argparse
import sys

from bench.gateway.load import wrk_missing_reason
from bench.telemetry.run import Options, benchmark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.telemetry", description=__doc__
    )
    parser.add_argument("--quick", action="store_true", help="one short run (smoke)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument(
        "--together",
        action="store_true",
        help="load the off and on routers at the same time on the shared router core",
    )
    args = parser.parse_args(argv)
    missing = wrk_missing_reason()
    if missing:
        print(f"bench.telemetry: {missing}", file=sys.stderr)
        return 2
    return benchmark(
        Options(
            runs=1 if args.quick else args.runs,
            seconds=1.0 if args.quick else args.seconds,
            warmup=1.0 if args.quick else args.warmup,
            connections=10 if args.quick else args.connections,
            together=args.together,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
