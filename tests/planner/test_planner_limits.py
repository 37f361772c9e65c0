"""Planning limits: a capped search still returns a valid plan; what cannot be planned is a
coded error, never a hang or an uncaught exception."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    FieldNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    parse,
)

from planner.planning import PlannerConfig, QueryPlanner, QueryPlanningError
from planner.planning import planner as planner_module
from planner.printer import format_query_plan
from planner.query_plan import fetches_in
from planner.supergraph import load_supergraph

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = load_supergraph((REPO / "supergraph.graphql").read_text())
SHAREABLE = load_supergraph(
    (
        REPO / "tests/planner/scenarios/_supergraphs/shareable/supergraph.graphql"
    ).read_text()
)

# `me` is shareable in three subgraphs and each prop lives in one: several options per leaf.
SPLIT = "{ me { prop1 prop2 id } }"


def test_a_search_cut_short_still_returns_a_plan_that_fetches_every_field() -> None:
    planner = QueryPlanner(
        SHAREABLE, PlannerConfig(max_evaluated_plans=1, time_budget_seconds=0.0)
    )
    plan = planner.plan(parse(SPLIT))
    operations = " ".join(f.operation for f in fetches_in(plan.node))
    assert "prop1" in operations and "prop2" in operations


def test_the_full_search_finds_the_parallel_plan() -> None:
    text = format_query_plan(QueryPlanner(SHAREABLE).plan(parse(SPLIT)))
    assert text.splitlines()[1].strip() == "Parallel {"


# Thirteen leaves under interface fields in four parts of the response (orders' lines,
# a user's address, a product's item, product items), each part entered through a key
# on the interface or exploded into its implementations: 2^6 choices of alternatives.
INDEPENDENT_CHOICES = (
    REPO / "tests/planner/fixtures/independent_choices.graphql"
).read_text()


def test_choices_in_separate_parts_of_the_response_fit_a_small_plans_limit() -> None:
    """Choices whose parts of the response cannot share a fetch are searched one part
    at a time: forty evaluated plans find the plan the full search finds, where
    searching every combination would be cut short with a costlier plan."""
    document = parse(INDEPENDENT_CHOICES)
    full = QueryPlanner(EXAMPLE).plan(document)
    capped = QueryPlanner(EXAMPLE, PlannerConfig(max_evaluated_plans=40)).plan(document)
    assert format_query_plan(capped) == format_query_plan(full)


def _nested_document(depth: int) -> DocumentNode:
    """``{ me { reviews { author { reviews { ... { id } } } } } }``, built without the
    parser (which stops far earlier) to reach the planner's own limits."""
    selection = SelectionSetNode(selections=(FieldNode(name=NameNode(value="id")),))
    for level in range(depth):
        name = "author" if level % 2 == 0 else "reviews"
        field = FieldNode(name=NameNode(value=name), selection_set=selection)
        selection = SelectionSetNode(selections=(field,))
    me = FieldNode(name=NameNode(value="me"), selection_set=selection)
    operation = OperationDefinitionNode(
        operation=OperationType.QUERY,
        selection_set=SelectionSetNode(selections=(me,)),
    )
    return DocumentNode(definitions=(operation,))


def test_an_operation_too_deep_to_plan_is_a_coded_error_not_a_crash() -> None:
    started = time.monotonic()
    with pytest.raises(QueryPlanningError) as caught:
        QueryPlanner(EXAMPLE).plan(_nested_document(4000))
    assert caught.value.code == "QUERY_PLANNING_FAILED"
    assert time.monotonic() - started < 10


def test_a_deep_but_plannable_operation_is_planned() -> None:
    plan = QueryPlanner(EXAMPLE).plan(_nested_document(40))
    # users for `me`, then reviews serves every level below (authors are User stubs there).
    assert [f.service_name for f in fetches_in(plan.node)] == ["users", "reviews"]


def test_an_unknown_operation_name_is_a_coded_error() -> None:
    with pytest.raises(QueryPlanningError) as caught:
        QueryPlanner(EXAMPLE).plan(parse("query A { me { id } }"), "B")
    assert caught.value.code == "GRAPHQL_UNKNOWN_OPERATION_NAME"


def test_several_operations_without_a_name_is_a_coded_error() -> None:
    document = parse("query A { me { id } } query B { me { id } }")
    with pytest.raises(QueryPlanningError) as caught:
        QueryPlanner(EXAMPLE).plan(document)
    assert caught.value.code == "GRAPHQL_UNKNOWN_OPERATION_NAME"


@pytest.fixture
def budgets(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The time budget of each search the planner runs (one per plan it builds)."""
    searched: list[float] = []
    choose_paths = planner_module.choose_paths

    def recording(branches, evaluate, limits):  # type: ignore[no-untyped-def]
        searched.append(limits.time_budget_seconds)
        return choose_paths(branches, evaluate, limits)

    monkeypatch.setattr(planner_module, "choose_paths", recording)
    return searched


def test_the_plans_of_defer_if_variables_share_one_time_budget(
    budgets: list[float],
) -> None:
    """Each valuation of the ``@defer(if:)`` variables is planned on its own; together
    they search no longer than the operation's budget (four full budgets ran past the
    router's planning deadline: campaign seed 109, w109x20 Op14)."""
    query = """query($a: Boolean!, $b: Boolean!) { me { id
        ... @defer(if: $a) { prop1 } ... @defer(if: $b) { prop2 } } }"""
    plan = QueryPlanner(SHAREABLE, PlannerConfig(time_budget_seconds=4.0)).plan(
        parse(query)
    )
    assert len(budgets) == 4
    assert sum(budgets) <= 4.0
    assert "Condition" in format_query_plan(plan)


def test_defer_if_variables_past_the_cap_are_planned_inline(
    budgets: list[float],
) -> None:
    """Every ``@defer(if:)`` variable doubles the plans (fourteen took 39 s): the first
    ``MAX_DEFER_CONDITIONS`` get a ``Condition`` each, the fragments of the others are
    planned inline in every branch."""
    count = planner_module.MAX_DEFER_CONDITIONS + 3
    declared = ", ".join(f"$v{n}: Boolean!" for n in range(count))
    fragments = " ".join(
        f'... @defer(if: $v{n}, label: "d{n}") {{ p{n}: prop1 }}' for n in range(count)
    )
    query = f"query({declared}) {{ me {{ id {fragments} }} }}"
    plan = QueryPlanner(SHAREABLE, PlannerConfig(time_budget_seconds=4.0)).plan(
        parse(query)
    )
    printed = format_query_plan(plan)
    valuations = 2**planner_module.MAX_DEFER_CONDITIONS
    assert len(budgets) == valuations
    assert sum(budgets) <= 4.0
    assert printed.count("Condition(if: $") == valuations - 1
    capped = range(planner_module.MAX_DEFER_CONDITIONS, count)
    assert not any(f'label: "d{n}"' in printed for n in capped)
