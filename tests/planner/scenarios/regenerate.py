"""Rewrite the scenarios' Apollo fixtures: each `supergraph.graphql`, then each plan file.

Usage, from the repository root (needs node and `oracle/node_modules`):

    .venv/bin/python tests/planner/scenarios/regenerate.py [NN ...]

With scenario numbers, only those scenarios' plans are rewritten (their supergraphs are
recomposed too). Composition goes through `oracle/compose.mjs`, planning through
`oracle/plan.mjs`; read the new plans and commit them. The script also says where our
composer's supergraph differs from Apollo's.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/, for `support`
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))  # the repository root

from support.oracle import compose_with_apollo
from support.plan_cases import (
    SCENARIOS_DIR,
    GraphSource,
    PlanOperation,
    load_scenarios,
    plan_with_apollo,
)

from planner.composition import SubgraphInput, compose


def _compose(graphs: list[GraphSource]) -> bool:
    results = compose_with_apollo([g.oracle_input() for g in graphs])
    ok = True
    for graph, result in zip(graphs, results, strict=True):
        sdl = result["supergraph"]
        if sdl is None:
            print(f"{graph.name}: Apollo cannot compose it: {result['errors']}")
            ok = False
            continue
        graph.supergraph_path.write_text(sdl + "\n", encoding="utf-8")
        ours = compose(
            [SubgraphInput(name=s.name, url=s.url, sdl=s.sdl) for s in graph.subgraphs]
        )
        if ours.supergraph_sdl != sdl + "\n":
            codes = [e.code for e in ours.errors]
            print(f"{graph.name}: our composer differs from Apollo's (errors: {codes})")
    return ok


def main(argv: list[str]) -> int:
    wanted = {int(arg) for arg in argv}
    cases = [c for c in load_scenarios() if not wanted or c.number in wanted]
    graphs = list({c.graph.path: c.graph for c in cases}.values())
    if not _compose(graphs):
        return 1
    batches: dict[Path, list[PlanOperation]] = {g.path: [] for g in graphs}
    keep_json: set[Path] = set()
    for case in cases:
        batches[case.graph.path].extend(case.operations)
        if case.fetch_details:
            keep_json.update(op.plan_path for op in case.operations)
    results = plan_with_apollo([(g.supergraph_sdl(), batches[g.path]) for g in graphs])
    failed = False
    for graph, plans in zip(graphs, results, strict=True):
        for operation, plan in zip(batches[graph.path], plans, strict=True):
            where = operation.plan_path.relative_to(SCENARIOS_DIR)
            if plan["text"] is None:
                print(f"{where}: Apollo cannot plan it: {plan['error']}")
                failed = True
                continue
            operation.plan_path.write_text(plan["text"] + "\n", encoding="utf-8")
            if operation.plan_path in keep_json:
                operation.plan_json_path.write_text(
                    json.dumps(plan["plan"], indent=2) + "\n", encoding="utf-8"
                )
            print(f"{where}: {plan['ms']:.0f} ms")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
