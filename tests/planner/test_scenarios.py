"""The planner conformance scenarios (QUERY_PLANNING.md §5): our plans against Apollo's.

Each scenario folder under `scenarios/` holds a supergraph (or names a shared one), one or
more operations and the plan Apollo's query planner printed for each. Our planner must
print the same text; `expect: valid_plan` scenarios must instead plan within a time budget.
The Apollo checks replan every operation with `@apollo/query-planner` and recompose every
supergraph with `@apollo/composition`, so the committed fixtures cannot drift from the
reference (`tests/planner/scenarios/regenerate.py` rewrites them).
"""

from __future__ import annotations

import difflib
import functools
import re
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from graphql import GraphQLDeferDirective, GraphQLSchema, parse, validate
from support.oracle import compose_with_apollo
from support.plan_cases import (
    ORACLE_PLAN_SCRIPT,
    SCENARIOS_DIR,
    SHARED_GRAPHS_DIR,
    ApolloPlan,
    GraphSource,
    PlanOperation,
    ScenarioCase,
    load_scenario,
    load_scenarios,
    plan_with_apollo,
    shared_graphs,
)

from planner.query_plan import fetches_in
from planner.supergraph import Supergraph, load_supergraph

if TYPE_CHECKING:
    from planner.query_plan import QueryPlan

CASES = load_scenarios()
OPERATIONS = [(case, op) for case in CASES for op in case.operations]
OPERATION_IDS = [f"{case.name}/{op.id}" for case, op in OPERATIONS]
GRAPHS = list(
    {g.path: g for g in [*shared_graphs(), *(c.graph for c in CASES)]}.values()
)
GRAPH_IDS = [g.name for g in GRAPHS]

EXPECTED_NUMBERS = frozenset(range(1, 52))

# Scenarios whose committed (Apollo-composed) supergraph our composer does not reproduce,
# each with the reason; a test fails once one composes alike, so the entry goes.
COMPOSER_DIFFERENCES: dict[str, str] = {}


def _diff(expected: str, actual: str, expected_name: str, actual_name: str) -> str:
    lines = difflib.unified_diff(
        expected.splitlines(),
        actual.splitlines(),
        expected_name,
        actual_name,
        lineterm="",
    )
    return "\n".join(list(lines)[:120])


@functools.cache
def _with_defer(schema: GraphQLSchema) -> GraphQLSchema:
    """The API schema with ``@defer``, which clients of a router may use."""
    kwargs = schema.to_kwargs()
    kwargs["directives"] = (*schema.directives, GraphQLDeferDirective)
    return GraphQLSchema(**kwargs)


@functools.cache
def _supergraph(graph_path: Path) -> Supergraph:
    return load_supergraph((graph_path / "supergraph.graphql").read_text("utf-8"))


# --- the loader -------------------------------------------------------------------------


def _write_case(path: Path, spec: str) -> Path:
    path.mkdir()
    (path / "case.yaml").write_text(spec, encoding="utf-8")
    (path / "a.graphql").write_text("type Query { x: Int }\n", encoding="utf-8")
    return path


def test_loader_names_plan_files_after_operation_ids(tmp_path: Path) -> None:
    case = load_scenario(
        _write_case(
            tmp_path / "07-two-ops",
            "title: T\nsubgraphs: [a]\noperations:\n"
            "  - {id: label-off, query: '{ x }'}\n"
            "  - {id: label-on, query: 'query Q { x }', operation_name: Q,"
            " override_labels: [L]}\n",
        )
    )
    assert case.number == 7
    assert case.graph.path == case.path
    assert [s.name for s in case.graph.subgraphs] == ["a"]
    assert [(op.id, op.plan_path.name) for op in case.operations] == [
        ("label-off", "plan-label-off.txt"),
        ("label-on", "plan-label-on.txt"),
    ]
    assert case.operations[1].oracle_input() == {
        "query": "query Q { x }",
        "operationName": "Q",
        "overrideLabels": ["L"],
    }
    assert case.expect == "plan_text"


def test_loader_gives_a_single_operation_plan_txt_and_resolves_shared_graphs(
    tmp_path: Path,
) -> None:
    case = load_scenario(
        _write_case(
            tmp_path / "02-one-op",
            "title: T\nsupergraph: shop\noperations:\n  - query: '{ me { id } }'\n",
        )
    )
    assert case.graph.path == SHARED_GRAPHS_DIR / "shop"
    assert [(op.id, op.plan_path) for op in case.operations] == [
        ("main", case.path / "plan.txt")
    ]


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ("title: T\noperations: [{query: '{ x }'}]\n", "exactly one of"),
        (
            "title: T\nsupergraph: shop\nsubgraphs: [a]\n"
            "operations: [{query: '{ x }'}]\n",
            "exactly one of",
        ),
        ("title: T\nsubgraphs: [a]\noperations: []\n", "non-empty list"),
        (
            "title: T\nsubgraphs: [a]\n"
            "operations: [{query: '{ x }'}, {query: '{ x }'}]\n",
            "needs an id",
        ),
        (
            "title: T\nsubgraphs: [a]\nbogus: 1\noperations: [{query: '{ x }'}]\n",
            "unknown keys ['bogus']",
        ),
        (
            "title: T\nsubgraphs: [a]\nexpect: valid_plan\n"
            "operations: [{query: '{ x }'}]\n",
            "max_seconds",
        ),
        (
            "title: T\nsubgraphs: [a]\noperations: [{query: '{ x }'}]\n"
            "execution: [{operation: other, requests: [], response: {}}]\n",
            "operation id",
        ),
        (
            "title: T\nsubgraphs: [a]\noperations: [{id: off, query: '{ x }'}]\n",
            "id must be a string",
        ),
        ("title: [unclosed\n", "case.yaml"),
    ],
    ids=[
        "no-graph",
        "two-graphs",
        "no-operations",
        "missing-id",
        "unknown-key",
        "budget-without-seconds",
        "run-of-unknown-operation",
        "id-read-as-boolean",
        "bad-yaml",
    ],
)
def test_loader_rejects_malformed_cases(
    tmp_path: Path, spec: str, complaint: str
) -> None:
    path = _write_case(tmp_path / "01-bad", spec)
    with pytest.raises(ValueError, match=re.escape(complaint)) as raised:
        load_scenario(path)
    assert str(path / "case.yaml") in str(raised.value)


# --- the fixtures themselves -------------------------------------------------------


def test_every_scenario_has_a_case() -> None:
    numbers = [case.number for case in CASES]
    duplicated = sorted({n for n in numbers if numbers.count(n) > 1})
    missing = sorted(EXPECTED_NUMBERS - set(numbers))
    assert not duplicated and not missing, (
        f"scenario numbers duplicated: {duplicated}, missing: {missing}"
    )


def _expected_files(case: ScenarioCase) -> set[str]:
    files = {"case.yaml"}
    for op in case.operations:
        files.add(op.plan_path.name)
        if _ours_path(op).is_file():
            files.add(_ours_path(op).name)
        if case.fetch_details:
            files.add(op.plan_json_path.name)
    if case.graph.path == case.path:
        files.add("supergraph.graphql")
        files.update(f"{s.name}.graphql" for s in case.graph.subgraphs)
    if case.expect == "valid_plan":
        files.add("generate.py")  # a generated schema keeps its generator next to it
    return files


def test_scenario_folders_hold_only_their_fixtures() -> None:
    problems = []
    for path in sorted(p for p in SCENARIOS_DIR.iterdir() if p.is_dir()):
        if path.name.startswith(("_", ".")):
            continue
        if not (path / "case.yaml").is_file():
            problems.append(f"{path.name}: no case.yaml")
    for case in CASES:
        expected = _expected_files(case)
        present = {p.name for p in case.path.iterdir() if p.name != "__pycache__"}
        if present - expected:
            problems.append(
                f"{case.name}: unexpected files {sorted(present - expected)}"
            )
        if expected - present:
            problems.append(f"{case.name}: missing files {sorted(expected - present)}")
    used = {c.graph.path for c in CASES}
    for graph in shared_graphs():
        if graph.path not in used:
            problems.append(f"{graph.name}: no scenario uses it")
        present = {p.name for p in graph.path.iterdir()}
        expected = {"graph.yaml", "supergraph.graphql"}
        expected.update(f"{s.name}.graphql" for s in graph.subgraphs)
        if present != expected:
            problems.append(f"{graph.name}: files {sorted(present ^ expected)} differ")
    assert not problems, "\n".join(problems)


def test_shared_graphs_live_under_supergraphs_folder() -> None:
    for case in CASES:
        assert case.graph.path in (case.path, SHARED_GRAPHS_DIR / case.graph.path.name)


@pytest.mark.parametrize("graph", GRAPHS, ids=GRAPH_IDS)
def test_supergraph_loads(graph: GraphSource) -> None:
    supergraph = _supergraph(graph.path)
    assert set(supergraph.subgraph_names) == {s.name for s in graph.subgraphs}


@pytest.mark.parametrize("graph", GRAPHS, ids=GRAPH_IDS)
def test_our_composer_gives_the_committed_supergraph(graph: GraphSource) -> None:
    from planner.composition import SubgraphInput, compose

    result = compose([SubgraphInput(s.name, s.url, s.sdl) for s in graph.subgraphs])
    expected = graph.supergraph_sdl()
    known_difference = COMPOSER_DIFFERENCES.get(graph.name)
    if known_difference is not None:
        if result.supergraph_sdl == expected:
            pytest.fail(
                f"{graph.name} now composes like Apollo: remove it from "
                "COMPOSER_DIFFERENCES",
                pytrace=False,
            )
        pytest.xfail(known_difference)
    errors = [f"{e.code}: {e.message}" for e in result.errors]
    assert result.supergraph_sdl is not None, "\n".join(errors)
    if result.supergraph_sdl != expected:
        pytest.fail(
            _diff(expected, result.supergraph_sdl, "Apollo's (committed)", "ours"),
            pytrace=False,
        )


@pytest.mark.parametrize(("case", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_operation_is_valid_against_the_api_schema(
    case: ScenarioCase, operation: PlanOperation
) -> None:
    supergraph = _supergraph(case.graph.path)
    errors = validate(_with_defer(supergraph.api_schema), parse(operation.query))
    assert not errors, [e.message for e in errors]


# --- Apollo: the committed fixtures are what Apollo produces today ----------------------


@pytest.mark.oracle
def test_supergraphs_are_apollos_composition() -> None:
    results = compose_with_apollo([g.oracle_input() for g in GRAPHS])
    stale = []
    for graph, result in zip(GRAPHS, results, strict=True):
        if result["supergraph"] is None:
            stale.append(
                f"{graph.name}: Apollo no longer composes it: {result['errors']}"
            )
        elif result["supergraph"] + "\n" != graph.supergraph_sdl():
            stale.append(f"{graph.name}: supergraph.graphql is not Apollo's output")
    assert not stale, "\n".join(stale) + "\n(run tests/planner/scenarios/regenerate.py)"


@pytest.fixture(scope="session")
def apollo_plans() -> Mapping[tuple[str, str], ApolloPlan]:
    """Apollo's plan for every scenario operation, from one node process."""
    by_graph: dict[Path, list[tuple[ScenarioCase, PlanOperation]]] = {}
    for case, op in OPERATIONS:
        by_graph.setdefault(case.graph.path, []).append((case, op))
    batches = list(by_graph.values())
    results = plan_with_apollo(
        [
            (_supergraph(entries[0][0].graph.path).sdl, [op for _, op in entries])
            for entries in batches
        ]
    )
    plans: dict[tuple[str, str], ApolloPlan] = {}
    for entries, batch in zip(batches, results, strict=True):
        for (case, op), plan in zip(entries, batch, strict=True):
            plans[case.name, op.id] = plan
    return plans


@pytest.mark.oracle
def test_batch_script_plans_like_the_oracle_script(
    apollo_plans: Mapping[tuple[str, str], ApolloPlan],
) -> None:
    """`plan_batches.mjs` is `oracle/plan.mjs` for many supergraphs: same answers."""
    cases = [c for c in CASES if c.graph.name == "_supergraphs/shop"]
    operations = [op for c in cases for op in c.operations]
    (single,) = plan_with_apollo(
        [(cases[0].graph.supergraph_sdl(), operations)], script=ORACLE_PLAN_SCRIPT
    )
    batched = [apollo_plans[c.name, op.id] for c in cases for op in c.operations]
    assert [p["plan"] for p in single] == [p["plan"] for p in batched]
    assert [p["text"] for p in single] == [p["text"] for p in batched]


@pytest.mark.oracle
@pytest.mark.parametrize(("case", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_plan_fixture_is_apollos_plan(
    case: ScenarioCase,
    operation: PlanOperation,
    apollo_plans: Mapping[tuple[str, str], ApolloPlan],
) -> None:
    plan = apollo_plans[case.name, operation.id]
    assert plan["text"] is not None, f"Apollo cannot plan it: {plan['error']}"
    expected = operation.expected_plan()
    if plan["text"] + "\n" != expected:
        pytest.fail(
            _diff(expected, plan["text"], operation.plan_path.name, "Apollo today")
            + "\n(run tests/planner/scenarios/regenerate.py)",
            pytrace=False,
        )
    if case.fetch_details:
        assert plan["plan"] == operation.expected_plan_json()


@pytest.mark.oracle
@pytest.mark.parametrize(("case", "operation"), OPERATIONS, ids=OPERATION_IDS)
def test_apollos_json_plan_reprints_as_the_fixture(
    case: ScenarioCase,
    operation: PlanOperation,
    apollo_plans: Mapping[tuple[str, str], ApolloPlan],
) -> None:
    """Apollo's JSON plan, read into our nodes, prints as plan.txt.

    This checks what the planner tests lean on, without the planner: our printer and
    JSON reader agree with Apollo on every scenario, and the fetch details we compare
    survive the trip from Apollo's JSON into our nodes.
    """
    from planner.plan_json import plan_from_json

    apollo = apollo_plans[case.name, operation.id]
    assert apollo["plan"] is not None, apollo["error"]
    plan = plan_from_json(apollo["plan"])
    printed = _format(plan)
    expected = operation.expected_plan()
    if printed.rstrip("\n") != expected.rstrip("\n"):
        pytest.fail(_diff(expected, printed, "Apollo's text", "ours"), pytrace=False)
    assert _our_fetch_details(plan) == _apollo_fetch_details(apollo["plan"])


# --- fetch details, ours (`fetches_in`) and Apollo's ---------------------------------------


def _apollo_fetches(node: Mapping[str, Any] | None) -> Iterator[Mapping[str, Any]]:
    if node is None:
        return
    kind = node["kind"]
    if kind == "Fetch":
        yield node
    elif kind in ("Sequence", "Parallel"):
        for child in node["nodes"]:
            yield from _apollo_fetches(child)
    elif kind == "Flatten":
        yield from _apollo_fetches(node["node"])
    elif kind == "Condition":
        yield from _apollo_fetches(node.get("ifClause"))
        yield from _apollo_fetches(node.get("elseClause"))
    elif kind == "Defer":
        yield from _apollo_fetches(node["primary"].get("node"))
        for block in node["deferred"]:
            yield from _apollo_fetches(block.get("node"))
    elif kind == "Subscription":
        yield from _apollo_fetches(node["primary"])
        yield from _apollo_fetches(node.get("rest"))


def _rewrites(rewrites: tuple[Any, ...]) -> list[dict[str, Any]]:
    from planner.query_plan import KeyRenamer, ValueSetter

    out: list[dict[str, Any]] = []
    for rewrite in rewrites:
        if isinstance(rewrite, ValueSetter):
            out.append(
                {
                    "kind": "ValueSetter",
                    "path": list(rewrite.path),
                    "setValueTo": rewrite.set_value_to,
                }
            )
        elif isinstance(rewrite, KeyRenamer):
            out.append(
                {
                    "kind": "KeyRenamer",
                    "path": list(rewrite.path),
                    "renameKeyTo": rewrite.rename_key_to,
                }
            )
    return out


def _our_fetch_details(plan: QueryPlan) -> list[dict[str, Any]]:
    return [
        {
            "service": f.service_name,
            "variableUsages": sorted(f.variable_usages),
            "inputRewrites": _rewrites(f.input_rewrites),
            "outputRewrites": _rewrites(f.output_rewrites),
            "contextRewrites": _rewrites(f.context_rewrites),
        }
        for f in fetches_in(plan.node)
    ]


def _apollo_fetch_details(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "service": f["serviceName"],
            "variableUsages": sorted(f.get("variableUsages", [])),
            "inputRewrites": f.get("inputRewrites", []),
            "outputRewrites": f.get("outputRewrites", []),
            "contextRewrites": f.get("contextRewrites", []),
        }
        for f in _apollo_fetches(plan.get("node"))
    ]


def _plan(case: ScenarioCase, operation: PlanOperation) -> tuple[QueryPlan, float]:
    try:
        from planner.planning import QueryPlanner, QueryPlanningError
    except ImportError as exc:
        missing = f"the query planner is not importable yet: {exc}"
    else:
        missing = ""
    if missing:
        pytest.fail(missing, pytrace=False)
    planner = _planner(case.graph.path, QueryPlanner)
    document = parse(operation.query)
    started = time.perf_counter()
    try:
        plan = planner.plan(
            document,
            operation_name=operation.operation_name,
            override_labels=operation.override_labels,
        )
    except QueryPlanningError as exc:
        refused = f"{case.title}\nour planner refused it: {exc.code}: {exc.message}"
    else:
        return plan, time.perf_counter() - started
    pytest.fail(refused, pytrace=False)


@functools.cache
def _planner(graph_path: Path, planner_class: Any) -> Any:
    return planner_class(_supergraph(graph_path))


def _format(plan: QueryPlan) -> str:
    try:
        from planner.printer import format_query_plan
    except ImportError as exc:
        missing = f"the plan printer is not importable yet: {exc}"
    else:
        missing = ""
    if missing:
        pytest.fail(missing, pytrace=False)
    text: str = format_query_plan(plan)
    return text


PLAN_TEXT_OPERATIONS = [(c, op) for c, op in OPERATIONS if c.expect == "plan_text"]
VALID_PLAN_OPERATIONS = [(c, op) for c, op in OPERATIONS if c.expect == "valid_plan"]


def _ours_path(operation: PlanOperation) -> Path:
    """Where we deliberately plan differently from Apollo, our expected plan sits next to
    Apollo's as ``<plan>.ours.txt`` and the case's ``port_note`` says why."""
    return operation.plan_path.with_suffix(".ours.txt")


@pytest.mark.parametrize(
    ("case", "operation"),
    PLAN_TEXT_OPERATIONS,
    ids=[f"{c.name}/{op.id}" for c, op in PLAN_TEXT_OPERATIONS],
)
def test_our_plan_is_apollos_plan(case: ScenarioCase, operation: PlanOperation) -> None:
    plan, _ = _plan(case, operation)
    actual = _format(plan)
    ours = _ours_path(operation)
    if ours.is_file():
        assert case.port_note, f"{case.name}: {ours.name} needs a port_note saying why"
        expected, label = ours.read_text("utf-8"), f"PORT_NOTE ({ours.name})"
    else:
        expected, label = (
            operation.expected_plan(),
            f"Apollo ({operation.plan_path.name})",
        )
    if actual.rstrip("\n") != expected.rstrip("\n"):
        pytest.fail(
            f"{case.title}\n" + _diff(expected, actual, label, "ours"),
            pytrace=False,
        )
    if case.fetch_details:
        assert _our_fetch_details(plan) == _apollo_fetch_details(
            operation.expected_plan_json()
        )


@pytest.mark.parametrize(
    ("case", "operation"),
    VALID_PLAN_OPERATIONS,
    ids=[f"{c.name}/{op.id}" for c, op in VALID_PLAN_OPERATIONS],
)
def test_planning_stays_within_budget(
    case: ScenarioCase, operation: PlanOperation
) -> None:
    plan, seconds = _plan(case, operation)
    assert case.max_seconds is not None
    assert seconds <= case.max_seconds, (
        f"planning took {seconds:.2f}s, the budget is {case.max_seconds}s"
    )
    fetches = list(fetches_in(plan.node))
    assert fetches, "the plan fetches nothing"
    services = set(_supergraph(case.graph.path).subgraph_names)
    for fetch in fetches:
        assert fetch.service_name in services
        parse(fetch.operation)  # each subgraph operation is well-formed GraphQL
