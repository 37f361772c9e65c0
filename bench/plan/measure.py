"""Time our planner, cold and through the plan cache, on the planning corpus.

Cold means no plan is reused: each run builds a fresh ``QueryPlanner`` per supergraph
(untimed, as that is where the query graph is built) and plans every operation once with
it. Documents are parsed and validated once, untimed, as the router does before planning.
Apollo's side (``apollo.time_with_apollo``) follows the same rules inside node.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graphql import DocumentNode, parse, validate

from bench.plan.corpus import CorpusGraph

if TYPE_CHECKING:
    from planner.query_plan import QueryPlan

__all__ = ["OursTimings", "median_or_none", "time_cache_hits", "time_ours"]


@dataclass(slots=True)
class OursTimings:
    """Per graph, per operation: median ms over the runs, None where planning failed."""

    medians_ms: list[list[float | None]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def median_or_none(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def _documents(graph: CorpusGraph) -> list[DocumentNode]:
    from planner.supergraph import load_supergraph

    schema = load_supergraph(graph.supergraph_sdl).api_schema
    documents = []
    for op in graph.operations:
        document = parse(op.query)
        errors = validate(schema, document)
        if errors:
            raise ValueError(f"{graph.name}/{op.name} is invalid: {errors[0].message}")
        documents.append(document)
    return documents


def time_ours(graphs: Sequence[CorpusGraph], runs: int, warmup: int = 1) -> OursTimings:
    """Median planning time of every operation over ``runs`` fresh planners."""
    from planner.planning import QueryPlanner
    from planner.supergraph import load_supergraph

    supergraphs = [load_supergraph(g.supergraph_sdl) for g in graphs]
    documents = [_documents(g) for g in graphs]
    samples: list[list[list[float]]] = [[[] for _ in g.operations] for g in graphs]
    failed: set[tuple[int, int]] = set()
    timings = OursTimings()
    for run in range(warmup + runs):
        for gi, graph in enumerate(graphs):
            planner = QueryPlanner(supergraphs[gi])
            for oi, op in enumerate(graph.operations):
                if (gi, oi) in failed:
                    continue
                started = time.perf_counter()
                try:
                    planner.plan(documents[gi][oi], operation_name=op.operation_name)
                except Exception as error:  # QueryPlanningError or a planner bug
                    failed.add((gi, oi))
                    timings.errors.append(
                        f"{graph.name}/{op.name}: {type(error).__name__}: {error}"
                    )
                    continue
                if run >= warmup:
                    samples[gi][oi].append((time.perf_counter() - started) * 1000)
    timings.medians_ms = [
        [None if (gi, oi) in failed else median_or_none(s) for oi, s in enumerate(row)]
        for gi, row in enumerate(samples)
    ]
    return timings


def time_cache_hits(graphs: Sequence[CorpusGraph], rounds: int = 5) -> float | None:
    """Median µs of a plan-cache hit over the corpus: building the key from the parsed
    document, then ``PlanCache.get_or_plan`` returning the stored plan."""
    from planner.plan_cache import PlanCache, PlanCacheKey
    from planner.planning import QueryPlanner, QueryPlanningError
    from planner.supergraph import load_supergraph

    def never() -> QueryPlan:
        raise AssertionError("a cached operation was planned again")

    samples: list[float] = []
    for graph in graphs:
        supergraph = load_supergraph(graph.supergraph_sdl)
        planner = QueryPlanner(supergraph)
        cache = PlanCache(max_entries=max(1, len(graph.operations)))
        cached = []
        for op, document in zip(graph.operations, _documents(graph), strict=True):
            key = PlanCacheKey.of(supergraph.schema_hash, document, op.operation_name)
            name = op.operation_name
            try:
                cache.get_or_plan(
                    key,
                    lambda p=planner, d=document, n=name: p.plan(d, operation_name=n),
                )
            except QueryPlanningError:
                continue
            cached.append((name, document))
        for _ in range(rounds):
            for name, document in cached:
                started = time.perf_counter()
                key = PlanCacheKey.of(supergraph.schema_hash, document, name)
                cache.get_or_plan(key, never)
                samples.append((time.perf_counter() - started) * 1_000_000)
    return median_or_none(samples)
