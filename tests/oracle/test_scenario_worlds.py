"""The planner's scenarios and differential corpus answered through our router over
synthesised records, against the monolith (issue 18): a plan that drops or misroutes a
field has the shape Apollo prints but not the answer.

One world per supergraph and seed (``oracle.scenario_worlds``); every run must agree
with the monolith with every fetch valid in its subgraph, except the known
disagreements (``scenario_disagreements.yaml``), which must still disagree.
"""

from __future__ import annotations

import json

import aiohttp
import pytest

from oracle.conftest import record_scenarios
from oracle.harness import CheckedOperation, Disagreement, OracleServer, check_world
from oracle.scenario_worlds import (
    OracleGraph,
    corpus_graphs,
    gateway_excused_graph,
    gateway_excused_names,
    known_disagreements,
    scenario_graphs,
)

SCENARIO_GRAPHS = scenario_graphs()
CORPUS_GRAPHS = corpus_graphs()
KNOWN = known_disagreements()


@pytest.mark.parametrize(
    "graph", SCENARIO_GRAPHS, ids=[g.name for g in SCENARIO_GRAPHS]
)
async def test_scenario_operations_answer_as_the_monolith(
    graph: OracleGraph, http: aiohttp.ClientSession, oracle_server: OracleServer
) -> None:
    await _check(graph, "planner scenarios", http, oracle_server)


@pytest.mark.parametrize("graph", CORPUS_GRAPHS, ids=[g.name for g in CORPUS_GRAPHS])
async def test_corpus_operations_answer_as_the_monolith(
    graph: OracleGraph, http: aiohttp.ClientSession, oracle_server: OracleServer
) -> None:
    await _check(graph, "planner corpus", http, oracle_server)


async def test_operations_where_apollo_gateway_is_excused_answer_as_the_monolith(
    http: aiohttp.ClientSession, oracle_server: OracleServer
) -> None:
    """The gateway differential compares those answers with Apollo Gateway's only
    outside the paths where Apollo is wrong; here the whole answer is compared with
    the monolith's."""
    graph = gateway_excused_graph()
    named = gateway_excused_names()
    assert (
        named
        and {op.label.removeprefix("gateway:") for op in graph.operations} == named
    )
    await _check(graph, "gateway-excused operations", http, oracle_server)


async def _check(
    graph: OracleGraph,
    kind: str,
    http: aiohttp.ClientSession,
    oracle_server: OracleServer,
) -> None:
    supergraph = graph.supergraph(oracle_server.url)
    runs, excluded = graph.runs(supergraph.api_schema)
    # Scenarios repeat one another's operations: each distinct one runs once.
    labels: dict[str, list[str]] = {}
    distinct: dict[str, CheckedOperation] = {}
    for run in runs:
        labels.setdefault(_identity(run.checked), []).append(run.label)
        distinct.setdefault(_identity(run.checked), run.checked)
    disagreeing: dict[str, Disagreement] = {}
    for seed in graph.seeds:
        world = graph.world(supergraph, seed)
        report = await check_world(
            http, oracle_server, world, distinct.values(), supergraph=supergraph
        )
        assert report.operations == len(distinct)
        for d in report.disagreements:
            for label in labels[_identity(d.operation)]:
                disagreeing.setdefault(label, d)
    own = {run.label for run in runs}
    known_here = {label: note for label, note in KNOWN.items() if label in own}
    record_scenarios(
        kind,
        scenarios=len(graph.scenarios),
        runs=len(runs),
        agreeing=len(runs) - len(disagreeing),
        known=len(known_here.keys() & disagreeing.keys()),
        excluded=excluded,
    )
    unexpected = [
        f"{label}: " + d.report(with_requests=True)
        for label, d in disagreeing.items()
        if label not in known_here
    ]
    assert not unexpected, (
        f"{len(unexpected)} runs disagree with the monolith\n\n"
        + "\n\n".join(unexpected[:3])
    )
    gone = sorted(known_here.keys() - disagreeing.keys())
    assert not gone, (
        f"listed in scenario_disagreements.yaml but now agreeing: {gone}; "
        "remove them from the list"
    )


def _identity(operation: CheckedOperation) -> str:
    return json.dumps(
        [operation.query, operation.variables, operation.operation_name],
        sort_keys=True,
    )
