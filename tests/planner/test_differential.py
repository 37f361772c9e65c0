"""Our plans against Apollo's: never more fetches, never a longer chain of dependent fetches.

The corpus (``bench/plan/corpus.py``): the hand-written operations of
``tests/planner/corpus/``, generated operations over the example supergraph, and a few
generated operations over every supergraph under ``tests/planner/scenarios/``. Each
operation is planned by ``planner.planning.QueryPlanner`` and by ``@apollo/query-planner``
(``oracle/plan.mjs``, one node process per supergraph, running while we plan; its
plans are kept in the test cache, ``support.derived_cache``, keyed by the supergraph, the
operations, ``plan.mjs`` and Apollo's packages).

Two numbers are compared per operation, on both plans:

- **fetches**: the ``Fetch`` nodes in the plan, every branch of a ``Condition`` and every
  deferred block included (the subgraph requests a plan can make);
- **chain**: the critical path in fetches, i.e. the most fetches that must run one after
  the other: a ``Fetch`` is 1, a ``Sequence`` adds its children up, ``Parallel`` and
  ``Condition`` take their longest branch, ``Flatten`` is its node, ``Defer`` is its
  primary plus its longest deferred block, ``Subscription`` its primary plus its rest.

Ours may tie or win; a larger count on either is a failure, except for the operations
``more_fetches_than_apollo.yaml`` lists (Apollo's plan answers them wrongly, which the
oracle's monolith shows). Operations Apollo cannot
plan are skipped and counted. The totals, and the worst cases with both plans, are
printed at the end of the run (``pytest -q`` included).
"""

from __future__ import annotations

import json
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from graphql import parse
from support.derived_cache import cached_json, source_digest
from support.oracle import require_oracle

from bench.plan.apollo import ApolloPlan, plan_with_apollo
from bench.plan.corpus import (
    MIN_OPERATIONS,
    CorpusGraph,
    CorpusOperation,
    build_corpus,
    scenario_supergraphs,
)
from planner.query_plan import (
    Condition,
    Defer,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    Sequence,
    Subscription,
    fetches_in,
)

pytestmark = pytest.mark.oracle

# Operations planned with more fetches than Apollo's on purpose, each with its reason.
MORE_FETCHES = Path(__file__).with_name("more_fetches_than_apollo.yaml")

_WORST_SHOWN = 3


# -- plan measures ---------------------------------------------------------------------


def fetch_count(plan: QueryPlan) -> int:
    """Fetch nodes anywhere in the plan."""
    return sum(1 for _ in fetches_in(plan.node))


def chain_length(plan: QueryPlan) -> int:
    """The critical path in fetches (see the module docstring)."""
    return _chain(plan.node)


def _chain(node: PlanNode | None) -> int:
    if node is None:
        return 0
    if isinstance(node, Fetch):
        return 1
    if isinstance(node, Flatten):
        return _chain(node.node)
    if isinstance(node, Sequence):
        return sum(_chain(child) for child in node.nodes)
    if isinstance(node, Parallel):
        return max((_chain(child) for child in node.nodes), default=0)
    if isinstance(node, Condition):
        return max(_chain(node.if_clause), _chain(node.else_clause))
    if isinstance(node, Defer):
        deferred = max((_chain(block.node) for block in node.deferred), default=0)
        return _chain(node.primary.node) + deferred
    if isinstance(node, Subscription):
        return 1 + _chain(node.rest)
    raise TypeError(f"unknown plan node {node!r}")


def test_measures_count_fetches_and_the_critical_path() -> None:
    def fetch(service: str) -> Fetch:
        return Fetch(service, "{ x }", None, "query")

    plan = QueryPlan(
        Sequence(
            (
                fetch("a"),
                Parallel(
                    (
                        Flatten(("x",), fetch("b")),
                        Sequence((fetch("c"), Flatten(("y",), fetch("d")))),
                    )
                ),
                Condition("v", fetch("e"), Sequence((fetch("f"), fetch("g")))),
            )
        )
    )
    assert fetch_count(plan) == 7
    assert chain_length(plan) == 1 + 2 + 2
    assert (fetch_count(QueryPlan()), chain_length(QueryPlan())) == (0, 0)


# -- one operation's comparison --------------------------------------------------------


@dataclass(slots=True)
class Comparison:
    graph: str
    operation: CorpusOperation
    apollo_text: str | None = None
    apollo_error: str | None = None
    apollo_fetches: int = 0
    apollo_chain: int = 0
    ours_text: str | None = None
    ours_error: str | None = None
    ours_fetches: int = 0
    ours_chain: int = 0
    ours_ms: float = 0.0

    @property
    def skipped(self) -> bool:
        return self.apollo_error is not None

    @property
    def worse(self) -> bool:
        return (
            not self.skipped
            and self.ours_error is None
            and (
                self.ours_fetches > self.apollo_fetches
                or self.ours_chain > self.apollo_chain
            )
        )

    @property
    def badness(self) -> int:
        return (self.ours_fetches - self.apollo_fetches) + (
            self.ours_chain - self.apollo_chain
        )

    def describe(self) -> str:
        return (
            f"{self.graph}/{self.operation.name}: fetches {self.ours_fetches} vs "
            f"Apollo's {self.apollo_fetches}, chain {self.ours_chain} vs "
            f"{self.apollo_chain}"
        )

    def both_plans(self) -> str:
        return (
            f"--- ours\n{self.ours_text}\n--- Apollo's\n{self.apollo_text}\n"
            f"--- operation\n{self.operation.query.strip()}"
        )


@dataclass(slots=True)
class _Run:
    """Everything the session compared; printed by the terminal summary."""

    comparisons: dict[str, list[Comparison]] = field(default_factory=dict)
    load_errors: dict[str, str] = field(default_factory=dict)
    ours_unavailable: str | None = None
    ours_seconds: float = 0.0
    setup_error: str | None = None

    def all(self) -> list[Comparison]:
        return [c for cs in self.comparisons.values() for c in cs]


def _plan_ours(graph: CorpusGraph, comparisons: list[Comparison]) -> None:
    from planner.planning import QueryPlanner, QueryPlanningError
    from planner.printer import format_query_plan
    from planner.supergraph import load_supergraph

    planner = QueryPlanner(load_supergraph(graph.supergraph_sdl))
    for comparison in comparisons:
        op = comparison.operation
        document = parse(op.query)
        started = time.perf_counter()
        try:
            plan = planner.plan(document, operation_name=op.operation_name)
        except QueryPlanningError as error:
            comparison.ours_error = f"{error.code}: {error.message}"
            continue
        except Exception as error:  # a planner bug: report it with the operation
            comparison.ours_error = f"{type(error).__name__}: {error}"
            continue
        finally:
            comparison.ours_ms = (time.perf_counter() - started) * 1000
        comparison.ours_fetches = fetch_count(plan)
        comparison.ours_chain = chain_length(plan)
        try:
            comparison.ours_text = format_query_plan(plan)
        except Exception as error:
            comparison.ours_text = f"(printer failed: {type(error).__name__}: {error})"


def _take_apollo(result: ApolloPlan, comparison: Comparison) -> None:
    from planner.plan_json import plan_from_json

    if result["error"] is not None or result["plan"] is None:
        comparison.apollo_error = result["error"] or "no plan"
        return
    plan = plan_from_json(result["plan"])
    comparison.apollo_text = result["text"]
    comparison.apollo_fetches = fetch_count(plan)
    comparison.apollo_chain = chain_length(plan)


def _compare_all(graphs: list[CorpusGraph], run: _Run) -> None:
    """Apollo in node (one process per supergraph, in threads) while we plan here."""
    for graph in graphs:
        run.comparisons[graph.name] = [
            Comparison(graph.name, op) for op in graph.operations
        ]
        if graph.load_error is not None:
            run.load_errors[graph.name] = graph.load_error
    graphs = [graph for graph in graphs if graph.operations]
    with ThreadPoolExecutor(max_workers=2) as pool:
        apollo: dict[str, Future[list[ApolloPlan]]] = {
            graph.name: pool.submit(_apollo_plans, graph) for graph in graphs
        }
        started = time.perf_counter()
        try:
            for graph in graphs:
                _plan_ours(graph, run.comparisons[graph.name])
        except ImportError as error:
            run.ours_unavailable = f"our planner is not importable: {error}"
        run.ours_seconds = time.perf_counter() - started
        for graph in graphs:
            results = apollo[graph.name].result()
            for result, comparison in zip(
                results, run.comparisons[graph.name], strict=True
            ):
                _take_apollo(result, comparison)
                if run.ours_unavailable is not None:
                    comparison.ours_error = run.ours_unavailable


def _apollo_plans(graph: CorpusGraph) -> list[ApolloPlan]:
    """Apollo's plans for `graph`, from the test cache when the same supergraph and
    operations met the same `oracle/plan.mjs` and Apollo's packages before."""
    key = [
        json.dumps(
            [
                graph.supergraph_sdl,
                [[op.query, op.operation_name] for op in graph.operations],
            ]
        ),
        source_digest("oracle/plan.mjs", "oracle/package-lock.json"),
    ]
    return cached_json("apollo-plans", key, lambda: plan_with_apollo(graph))


# -- the session's run and its summary -------------------------------------------------

_RUN = _Run()


class _SummaryPlugin:
    """The totals, printed after the test summary whatever the capture mode (by
    tests/conftest.py, which also brings them back from xdist workers)."""

    def suite_summary_lines(self) -> list[str]:
        return _summary_lines(_RUN)


def _summary_lines(run: _Run) -> list[str]:
    if run.setup_error is not None:
        return [f"planner differential: not run: {run.setup_error}"]
    comparisons = run.all()
    if not comparisons:
        return []
    planned = [c for c in comparisons if not c.skipped]
    ours_ok = [c for c in planned if c.ours_error is None]
    failed = [c for c in planned if c.ours_error is not None]
    worse = sorted((c for c in planned if c.worse), key=lambda c: -c.badness)
    better = [
        c
        for c in ours_ok
        if (c.ours_fetches, c.ours_chain) < (c.apollo_fetches, c.apollo_chain)
        and c.ours_fetches <= c.apollo_fetches
        and c.ours_chain <= c.apollo_chain
    ]
    identical = sum(1 for c in ours_ok if c.ours_text == c.apollo_text)
    lines = [
        f"planner differential: {len(comparisons)} operations over "
        f"{len(run.comparisons)} supergraphs; Apollo could not plan "
        f"{len(comparisons) - len(planned)} (skipped); ours failed on {len(failed)}; "
        f"ours planned in {run.ours_seconds:.1f}s",
        f"  fetches: ours {sum(c.ours_fetches for c in ours_ok)} vs Apollo's "
        f"{sum(c.apollo_fetches for c in ours_ok)}; chain: ours "
        f"{sum(c.ours_chain for c in ours_ok)} vs Apollo's "
        f"{sum(c.apollo_chain for c in ours_ok)} (over the {len(ours_ok)} both planned)",
        f"  identical plan texts: {identical}/{len(ours_ok)}; ours better: "
        f"{len(better)}; ours worse: {len(worse)}",
    ]
    slowest = sorted(ours_ok, key=lambda c: -c.ours_ms)[:3]
    if slowest:
        lines.append(
            "  slowest for ours: "
            + ", ".join(
                f"{c.graph}/{c.operation.name} {c.ours_ms:.0f}ms" for c in slowest
            )
            + f"; {_budget_hits(ours_ok)} stopped at the planner's time budget"
        )
    if run.ours_unavailable is not None:
        lines.append(f"  {run.ours_unavailable}")
    elif failed:
        lines.append("  ours failed, first ones:")
        lines.extend(
            f"    {c.graph}/{c.operation.name}: {(c.ours_error or '')[:200]}"
            for c in failed[:5]
        )
    for c in worse[:_WORST_SHOWN]:
        lines.append(f"  worse: {c.describe()}")
        lines.extend("    " + line for line in c.both_plans().splitlines())
    return lines


def _budget_hits(comparisons: list[Comparison]) -> int:
    """Operations whose planning ran into the wall-clock budget: their plan is the best
    found in time, so it can differ between a fast and a loaded machine."""
    from planner.planning import PlannerConfig

    budget_ms = PlannerConfig().time_budget_seconds * 1000
    return sum(1 for c in comparisons if c.ours_ms >= budget_ms)


@pytest.fixture(scope="session")
def differential(request: pytest.FixtureRequest) -> _Run:
    """Plans the whole corpus with both planners, once a session."""
    request.config.pluginmanager.register(_SummaryPlugin(), "planner-differential")
    try:
        require_oracle()
    except BaseException:
        _RUN.setup_error = "Apollo's planner is unavailable"
        raise
    graphs = build_corpus()
    _compare_all(graphs, _RUN)
    return _RUN


def _graph_names() -> list[str]:
    return ["example", *scenario_supergraphs()]


@pytest.mark.parametrize("graph", _graph_names())
def test_plans_have_no_more_fetches_and_no_longer_chain_than_apollos(
    graph: str, differential: _Run
) -> None:
    if differential.ours_unavailable is not None:
        pytest.fail(differential.ours_unavailable, pytrace=False)
    comparisons = differential.comparisons[graph]
    load_error = differential.load_errors.get(graph)
    if load_error is not None:
        pytest.fail(f"our loader refused the supergraph: {load_error}", pytrace=False)
    failed = [c for c in comparisons if not c.skipped and c.ours_error is not None]
    excused = _more_fetches_on_purpose()
    worse = sorted(
        (
            c
            for c in comparisons
            if c.worse and f"{c.graph}/{c.operation.name}" not in excused
        ),
        key=lambda c: -c.badness,
    )
    still_worse = {f"{c.graph}/{c.operation.name}" for c in comparisons if c.worse}
    stale = [
        name
        for name in excused
        if name.split("/")[0] == graph and name not in still_worse
    ]
    problems = [
        f"ours failed: {c.graph}/{c.operation.name}: {c.ours_error}" for c in failed
    ]
    problems += [f"worse: {c.describe()}\n{c.both_plans()}" for c in worse]
    problems += [
        f"{name} is listed in {MORE_FETCHES.name} but no longer planned worse: "
        "remove it"
        for name in stale
    ]
    if problems:
        shown = "\n\n".join(problems[:5])
        pytest.fail(
            f"{len(failed)} of {len(comparisons)} operations failed to plan and "
            f"{len(worse)} planned worse than Apollo's:\n\n{shown}",
            pytrace=False,
        )


def _more_fetches_on_purpose() -> dict[str, str]:
    entries = yaml.safe_load(MORE_FETCHES.read_text(encoding="utf-8")) or []
    return {entry["operation"]: entry["reason"] for entry in entries}


def test_corpus_holds_at_least_300_operations(differential: _Run) -> None:
    assert len(differential.all()) >= MIN_OPERATIONS
