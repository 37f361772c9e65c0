"""`python -m bench.reload`: a generated 100-subgraph supergraph, from new text to serving.

Exits 0 when our reloads were timed and the API schema check passed; Apollo Gateway
missing (no node or `make oracle`) is reported, not a failure.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys

from bench.compose.generate import FULL, TINY, Shape
from bench.reload.inputs import reload_inputs
from bench.reload.measure import (
    Timings,
    api_schema_identical,
    measure_apollo,
    measure_graphql_core,
    measure_ours,
)

__all__ = ["main"]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    shape = TINY if args.quick else Shape(args.subgraphs, args.types, args.seed)
    runs = args.runs if args.runs is not None else (1 if args.quick else 6)
    inputs = reload_inputs(shape)
    identical = api_schema_identical(inputs.after)
    # The check's three loads leave cyclic garbage a fresh router would not have.
    gc.collect()
    ours = measure_ours(inputs.before, inputs.after, runs)
    graphql_core = measure_graphql_core(inputs.after, max(1, runs // 2))
    apollo = (
        Timings(unavailable="--no-apollo")
        if args.no_apollo
        else measure_apollo(inputs.after, max(1, runs // 2))
    )
    report = {
        "subgraphs": inputs.subgraphs,
        "types": inputs.types,
        "supergraph_bytes": len(inputs.after.encode()),
        "seed": shape.seed,
        "runs": runs,
        "api_schema_identical": identical,
        "ours_first_load": ours.first.as_json(),
        "ours_reload": ours.reloads.as_json(),
        "ours_longest_loop_stall": ours.stalls.as_json(),
        "graphql_core_build_schema": graphql_core.as_json(),
        "apollo_gateway_load": apollo.as_json(),
        "reload_over_graphql_core": _ratio(ours.reloads, graphql_core),
        "reload_over_apollo": _ratio(ours.reloads, apollo),
        "first_load_over_apollo": _ratio(ours.first, apollo),
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report)
    return 0 if identical and ours.reloads.median_ms is not None else 1


def _ratio(ours: Timings, reference: Timings) -> float | None:
    if ours.median_ms is None or not reference.median_ms:
        return None
    return ours.median_ms / reference.median_ms


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reload",
        description="Time a generated supergraph from new text to serving.",
    )
    parser.add_argument("--subgraphs", type=int, default=FULL.subgraphs)
    parser.add_argument("--types", type=int, default=FULL.types)
    parser.add_argument("--seed", type=int, default=FULL.seed)
    parser.add_argument("--runs", type=int, help="reloads timed (default 6)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{TINY.subgraphs} subgraphs, {TINY.types} types, 1 run (smoke test)",
    )
    parser.add_argument(
        "--no-apollo", action="store_true", help="skip Apollo Gateway's side"
    )
    parser.add_argument("--json", action="store_true", help="print JSON, not a table")
    return parser


def _print(report: dict[str, object]) -> None:
    def ms(key: str) -> str:
        value = report[key]
        assert isinstance(value, dict)
        median = value["median_ms"]
        if median is None:
            return f"not measured ({value['unavailable']})"
        runs = ", ".join(f"{run:.0f}" for run in value["runs_ms"])
        return f"{median:.0f} ms (runs: {runs})"

    def ratio(key: str) -> str:
        value = report[key]
        return "-" if not isinstance(value, float) else f"{value:.2f}x"

    print(
        f"{report['subgraphs']} subgraphs, {report['types']} types, "
        f"supergraph {report['supergraph_bytes']:,} bytes, seed {report['seed']}"
    )
    print(f"ours, first load (nothing to reuse):   {ms('ours_first_load')}")
    print(f"ours, reload (new text to serving):    {ms('ours_reload')}")
    print(f"ours, longest event-loop stall:        {ms('ours_longest_loop_stall')}")
    print(f"graphql-core build_schema (yardstick): {ms('graphql_core_build_schema')}")
    print(f"Apollo Gateway 2.14 load():            {ms('apollo_gateway_load')}")
    print(
        f"reload / graphql-core {ratio('reload_over_graphql_core')}, "
        f"reload / Apollo Gateway {ratio('reload_over_apollo')}, "
        f"first load / Apollo Gateway {ratio('first_load_over_apollo')}"
    )
    print(
        "API schema byte-identical to graphql-core's parse: "
        + ("yes" if report["api_schema_identical"] else "NO")
    )


if __name__ == "__main__":
    sys.exit(main())
