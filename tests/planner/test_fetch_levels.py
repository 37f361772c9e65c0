"""Entity fetches to one subgraph at the same level go in one stage of the plan.

``planner.planning.fetch_levels``: a plan is laid out as a ``Sequence`` of stages when
that needs fewer subgraph requests (the executor sends a stage's entity fetches to one
subgraph as one request), with the same fetches and the same chain of dependent fetches;
otherwise Apollo's shape is kept. What the stages answer is checked against real
subgraphs in ``tests/execution/test_execution_fetch_levels.py`` and over generated
worlds in ``tests/oracle/test_fetch_levels_worlds.py``.
"""

from __future__ import annotations

from pathlib import Path

from graphql import parse
from test_differential import chain_length, fetch_count

from planner.planning import PlannerConfig, QueryPlanner
from planner.planning.fetch_levels import merge_same_level_fetches
from planner.printer import format_query_plan
from planner.query_plan import (
    Condition,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    RequiredField,
    Sequence,
    fetches_in,
)
from planner.supergraph import load_supergraph

REPO = Path(__file__).resolve().parents[2]
BENCH = REPO / "bench/gateway/inputs"
BENCH_SUPERGRAPH = load_supergraph((BENCH / "supergraph.graphql").read_text())
BENCH_QUERY = (BENCH / "query.graphql").read_text()
EXAMPLE = load_supergraph((REPO / "supergraph.graphql").read_text())


def plans(supergraph: object, query: str, name: str | None) -> tuple[QueryPlan, ...]:
    """(unmerged, merged) plans of ``query``."""
    return tuple(
        QueryPlanner(
            supergraph,  # type: ignore[arg-type]
            PlannerConfig(merge_same_level_fetches=merge),
        ).plan(parse(query), name)
        for merge in (False, True)
    )


def stages(plan: QueryPlan) -> list[list[tuple[str, str]]]:
    """Each stage's fetches as (subgraph, Flatten path)."""
    assert isinstance(plan.node, Sequence)
    found = []
    for stage in plan.node.nodes:
        members = stage.nodes if isinstance(stage, Parallel) else (stage,)
        row = []
        for member in members:
            path = ".".join(member.path) if isinstance(member, Flatten) else ""
            (fetch,) = fetches_in(member)
            row.append((fetch.service_name, path))
        found.append(row)
    return found


def entity(service: str, field: str = "x") -> Fetch:
    return Fetch(
        service,
        f"query($representations:[_Any!]!){{_entities(representations:"
        f"$representations){{...on T{{{field}}}}}}}",
        None,
        "query",
        requires=(RequiredField("__typename"), RequiredField("id")),
    )


def root(service: str) -> Fetch:
    return Fetch(service, "{t{__typename id}}", None, "query")


def test_the_benchmark_query_runs_in_four_stages_of_one_request_per_subgraph() -> None:
    unmerged, merged = plans(BENCH_SUPERGRAPH, BENCH_QUERY, "TestQuery")

    assert stages(merged) == [
        [("accounts", ""), ("products", "")],
        [("reviews", "users.@"), ("reviews", "topProducts.@")],
        [
            ("products", "users.@.reviews.@.product"),
            ("accounts", "users.@.reviews.@.product.reviews.@.author"),
            (
                "products",
                "users.@.reviews.@.product.reviews.@.author.reviews.@.product",
            ),
            ("accounts", "topProducts.@.reviews.@.author"),
            ("products", "topProducts.@.reviews.@.author.reviews.@.product"),
        ],
        # inStock could run a stage earlier; it waits for the stage that calls
        # inventory anyway, and topProducts' inventory fetch two stages.
        [("inventory", "users.@.reviews.@.product")] * 2
        + [
            (
                "inventory",
                "users.@.reviews.@.product.reviews.@.author.reviews.@.product",
            )
        ]
        * 2
        + [("inventory", "topProducts.@.reviews.@.author.reviews.@.product")] * 2
        + [("inventory", "topProducts.@")],
    ]
    # One request per subgraph per stage: 2 + 1 + 2 + 1.
    assert sum(len({s for s, _ in stage}) for stage in stages(merged)) == 6
    assert fetch_count(merged) == fetch_count(unmerged) == 16
    assert chain_length(merged) == chain_length(unmerged) == 4
    assert sorted(fetches_in(merged.node), key=repr) == sorted(
        fetches_in(unmerged.node), key=repr
    )


def test_a_plan_that_gains_no_request_keeps_apollos_shape() -> None:
    query = "query Q { topProducts { name inStock reviews { body } } }"
    unmerged, merged = plans(EXAMPLE, query, "Q")

    assert format_query_plan(merged) == format_query_plan(unmerged)


def test_a_fetch_never_runs_before_what_it_waits_for_nor_after_what_waits_for_it() -> (
    None
):
    # a -> (b -> c) and (d); e after all. d may wait one stage, but not past e.
    plan = QueryPlan(
        Sequence(
            (
                root("a"),
                Parallel(
                    (
                        Sequence(
                            (
                                Flatten(("t",), entity("b")),
                                Flatten(("t",), entity("c")),
                            )
                        ),
                        Flatten(("t",), entity("c", "y")),
                        Flatten(("u",), entity("b", "z")),
                    )
                ),
                Flatten(("t",), entity("e")),
            )
        )
    )

    merged = merge_same_level_fetches(plan)

    assert stages(merged) == [
        [("a", "")],
        [("b", "t"), ("b", "u")],
        [("c", "t"), ("c", "t")],
        [("e", "t")],
    ]
    assert chain_length(merged) == chain_length(plan)


def test_fetches_under_a_condition_keep_it_in_their_stage() -> None:
    plan = QueryPlan(
        Parallel(
            (
                Sequence((root("a"), Flatten(("t",), entity("c")))),
                Condition(
                    "on",
                    Sequence((root("b"), Flatten(("u",), entity("c", "y")))),
                ),
            )
        )
    )

    merged = merge_same_level_fetches(plan)

    assert merged.node == Sequence(
        (
            Parallel((root("a"), Condition("on", root("b")))),
            Parallel(
                (
                    Flatten(("t",), entity("c")),
                    Condition("on", Flatten(("u",), entity("c", "y"))),
                )
            ),
        )
    )


def test_mutations_defer_and_two_sided_conditions_keep_their_shape() -> None:
    mutation = Fetch("a", "mutation{m{__typename id}}", None, "mutation")
    apart = Parallel(
        (
            Sequence((root("a"), Flatten(("t",), entity("c")))),
            Sequence((root("b"), Flatten(("u",), entity("c", "y")))),
        )
    )
    kept: list[PlanNode] = [
        Sequence((mutation, apart)),
        Condition("v", apart, root("a")),
    ]
    for node in kept:
        assert merge_same_level_fetches(QueryPlan(node)) == QueryPlan(node)
    assert merge_same_level_fetches(QueryPlan(apart)) != QueryPlan(apart)


def test_stages_only_when_the_planner_is_asked_to() -> None:
    unmerged, _ = plans(BENCH_SUPERGRAPH, BENCH_QUERY, "TestQuery")

    assert isinstance(unmerged.node, Parallel)  # Apollo's shape: one branch per root
