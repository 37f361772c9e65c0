"""A plan laid out in stages answers what Apollo's shape answers, in fewer requests.

``planner.planning.fetch_levels`` puts entity fetches to one subgraph at the same level
in one stage, which the executor sends as one request. Each test plans an operation
with ``merge_same_level_fetches`` on and off, runs both plans against real subgraphs
behind proxies that count the requests reaching them, and compares the responses byte
for byte: the benchmark query over the benchmark's subgraphs, and every operation of
the planner corpus over the example graph whose plan the stages change.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import parse, validate
from support.processes import Service

from bench.plan.corpus import CorpusOperation, build_corpus
from planner.planning import PlannerConfig, QueryPlanner
from planner.planning.client_aliases import planner_field_names
from planner.query_plan import (
    Condition,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    Sequence,
)
from planner.supergraph import load_supergraph
from planner.supergraph.model import Supergraph
from router.execution import (
    ResponseShaper,
    SubgraphClient,
    SubgraphEndpoint,
    execute_plan,
)
from router.execution.fetch_cache import CachedEntities, CachedRoot, FetchCache

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench/gateway/inputs"
BENCH_SUBGRAPHS = ("accounts", "inventory", "products", "reviews")

Proxy = Callable[[str], Awaitable[tuple[str, list[dict[str, Any]]]]]


@pytest.fixture(scope="module")
def bench_subgraphs() -> Iterator[str]:
    """The benchmark's four subgraphs (``python -m bench.gateway.subgraphs``)."""
    service = Service(
        [sys.executable, "-m", "bench.gateway.subgraphs", "--port", "0"],
        r"listening (http://\S+)",
    ).started()
    yield service.url
    service.stop()


async def run_operation(
    supergraph: Supergraph,
    client: SubgraphClient,
    query: str,
    plan: QueryPlan,
    variables: dict[str, Any],
    operation_name: str | None,
    cache: FetchCache | None = None,
) -> dict[str, Any]:
    """The client's response: ``plan`` executed, then shaped."""
    document = parse(query)
    assert not validate(supergraph.api_schema, document)
    result = await execute_plan(
        plan,
        variables=variables,
        client=client,
        schema=supergraph.schema,
        cache=cache,
    )
    shaper = ResponseShaper.compile(
        supergraph.api_schema,
        document,
        operation_name,
        planner_field_names(supergraph),
    )
    shaped: dict[str, Any] = shaper.shape(result.data, result.errors, variables)
    return shaped


def both_plans(
    supergraph: Supergraph, query: str, name: str | None
) -> tuple[QueryPlan, QueryPlan]:
    unmerged, merged = (
        QueryPlanner(supergraph, PlannerConfig(merge_same_level_fetches=on)).plan(
            parse(query), name
        )
        for on in (False, True)
    )
    return unmerged, merged


def requests_per_stage(plan: QueryPlan) -> int:
    """At most what a staged plan sends: per stage, one request per subgraph for its
    entity fetches and one per other fetch."""
    assert isinstance(plan.node, Sequence)
    total = 0
    for stage in plan.node.nodes:
        fetches = list(_fetches(stage))
        total += len({f.service_name for f in fetches if f.requires is not None})
        total += sum(1 for f in fetches if f.requires is None)
    return total


def _fetches(node: PlanNode | None) -> Iterator[Fetch]:
    if isinstance(node, Fetch):
        yield node
    elif isinstance(node, Flatten):
        yield from _fetches(node.node)
    elif isinstance(node, Parallel):
        for child in node.nodes:
            yield from _fetches(child)
    elif isinstance(node, Condition):
        yield from _fetches(node.if_clause)
        yield from _fetches(node.else_clause)
    elif node is not None:
        raise AssertionError(f"a stage holds {node!r}")


async def counting_client(
    urls: dict[str, str], recording_proxy: Proxy
) -> tuple[SubgraphClient, dict[str, list[dict[str, Any]]]]:
    endpoints = {}
    seen = {}
    for name, url in urls.items():
        proxied, requests = await recording_proxy(url)
        endpoints[name] = SubgraphEndpoint(name, proxied)
        seen[name] = requests
    return SubgraphClient(endpoints), seen


def sent(seen: dict[str, list[dict[str, Any]]]) -> int:
    count = sum(len(requests) for requests in seen.values())
    for requests in seen.values():
        requests.clear()
    return count


async def test_the_benchmark_query_answers_the_same_in_six_requests(
    bench_subgraphs: str, recording_proxy: Proxy
) -> None:
    supergraph = load_supergraph((BENCH / "supergraph.graphql").read_text())
    query = (BENCH / "query.graphql").read_text()
    unmerged, merged = both_plans(supergraph, query, "TestQuery")
    client, seen = await counting_client(
        {name: f"{bench_subgraphs}/{name}" for name in BENCH_SUBGRAPHS},
        recording_proxy,
    )
    try:
        apart = await run_operation(
            supergraph, client, query, unmerged, {}, "TestQuery"
        )
        apart_requests = sent(seen)
        staged = await run_operation(supergraph, client, query, merged, {}, "TestQuery")
        staged_requests = sent(seen)
    finally:
        await client.close()

    assert "errors" not in staged
    assert len(staged["data"]["topProducts"]) == 5
    assert json.dumps(staged) == json.dumps(apart)
    assert staged_requests == 6 <= 8
    assert apart_requests > staged_requests


class SlowEmptyCache:
    """An entity cache holding nothing, whose lookups take a different number of
    event-loop steps each (one in three a real wait), as lookups in Redis do."""

    def __init__(self) -> None:
        self.lookups = 0

    async def entities(
        self,
        fetch: Fetch,
        representations: Any,
        variables: Any,
    ) -> CachedEntities:
        self.lookups += 1
        for _ in range(self.lookups % 5):
            await asyncio.sleep(0)
        if self.lookups % 3 == 0:
            await asyncio.sleep(0.005)
        count = len(representations)
        return CachedEntities([None] * count, list(range(count)), None)

    async def keep_entities(self, *_: Any) -> None:
        return None

    async def root(self, *_: Any) -> CachedRoot | None:
        return None

    async def keep_root(self, *_: Any) -> None:
        return None

    def answered(self, *_: Any) -> None:
        return None


async def test_a_stage_is_one_request_per_subgraph_however_long_cache_lookups_take(
    bench_subgraphs: str, recording_proxy: Proxy
) -> None:
    supergraph = load_supergraph((BENCH / "supergraph.graphql").read_text())
    query = (BENCH / "query.graphql").read_text()
    _, merged = both_plans(supergraph, query, "TestQuery")
    client, seen = await counting_client(
        {name: f"{bench_subgraphs}/{name}" for name in BENCH_SUBGRAPHS},
        recording_proxy,
    )
    cache = SlowEmptyCache()
    try:
        plain = await run_operation(supergraph, client, query, merged, {}, "TestQuery")
        sent(seen)
        looked_up = await run_operation(
            supergraph, client, query, merged, {}, "TestQuery", cache
        )
        requests = sent(seen)
    finally:
        await client.close()

    assert cache.lookups == 14  # every entity fetch asked the cache
    assert requests == 6
    assert json.dumps(looked_up) == json.dumps(plain)


def _changed_example_operations() -> list[CorpusOperation]:
    example = build_corpus(quick=True)[0]
    supergraph = load_supergraph(example.supergraph_sdl)
    changed = []
    for operation in example.operations:
        unmerged, merged = both_plans(
            supergraph, operation.query, operation.operation_name
        )
        if unmerged != merged:
            changed.append(operation)
    return changed


CHANGED = _changed_example_operations()


def test_the_stages_change_some_example_corpus_plans() -> None:
    assert len(CHANGED) >= 5


@pytest.mark.parametrize("operation", CHANGED, ids=[op.name for op in CHANGED])
async def test_a_corpus_operation_answers_the_same_in_stages(
    operation: CorpusOperation,
    supergraph: Supergraph,
    subgraph_urls: dict[str, str],
    recording_proxy: Proxy,
) -> None:
    unmerged, merged = both_plans(supergraph, operation.query, operation.operation_name)
    client, seen = await counting_client(subgraph_urls, recording_proxy)
    try:
        apart = await run_operation(
            supergraph,
            client,
            operation.query,
            unmerged,
            operation.variables,
            operation.operation_name,
        )
        sent(seen)
        staged = await run_operation(
            supergraph,
            client,
            operation.query,
            merged,
            operation.variables,
            operation.operation_name,
        )
        staged_requests = sent(seen)
    finally:
        await client.close()

    assert json.dumps(staged) == json.dumps(apart)
    assert staged_requests <= requests_per_stage(merged)
