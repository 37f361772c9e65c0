"""`planner.plan_json`: Apollo's JSON plans read and written back unchanged."""

from __future__ import annotations

import json
from typing import Any

import pytest
from plan_format_fixtures import PlanCase, load_cases

from planner.plan_json import PlanJsonError, plan_from_json, plan_to_json
from planner.query_plan import (
    Condition,
    Defer,
    DeferredBlock,
    DeferredDependency,
    Fetch,
    Flatten,
    KeyRenamer,
    Parallel,
    PrimaryBlock,
    QueryPlan,
    RequiredField,
    RequiredFragment,
    Sequence,
    Subscription,
    ValueSetter,
)

CASES = load_cases()

_ENTITIES = (
    "query($representations:[_Any!]!$contextualArgument_1_0:String)"
    "{_entities(representations:$representations)"
    "{...on Product{price(currency:$contextualArgument_1_0)}}}"
)

# Apollo's plan for a @fromContext argument (oracle/plan.mjs refuses supergraphs that
# link the context spec, so this one is kept by hand).
CONTEXT_PLAN: dict[str, Any] = {
    "kind": "QueryPlan",
    "node": {
        "kind": "Flatten",
        "path": ["store", "products", "@"],
        "node": {
            "kind": "Fetch",
            "serviceName": "store",
            "requires": [
                {
                    "kind": "InlineFragment",
                    "typeCondition": "Product",
                    "selections": [
                        {"kind": "Field", "name": "__typename"},
                        {"kind": "Field", "name": "sku"},
                    ],
                }
            ],
            "variableUsages": ["contextualArgument_1_0"],
            "operation": _ENTITIES,
            "operationKind": "query",
            "contextRewrites": [
                {
                    "kind": "KeyRenamer",
                    "path": ["..", "... on Store", "currency"],
                    "renameKeyTo": "contextualArgument_1_0",
                }
            ],
        },
    },
}


def _fetch(service: str, **kwargs: Any) -> Fetch:
    return Fetch(
        service_name=service,
        operation=kwargs.pop("operation", "{a}"),
        operation_name=kwargs.pop("operation_name", None),
        operation_kind=kwargs.pop("operation_kind", "query"),
        **kwargs,
    )


EVERY_FORM = QueryPlan(
    Sequence(
        (
            _fetch("a", operation_name="Q__a__0", variable_usages=("x",), id=0),
            Parallel(
                (
                    Flatten(
                        ("items", "@"),
                        _fetch(
                            "b",
                            operation=_ENTITIES,
                            requires=(
                                RequiredFragment(
                                    "Item",
                                    (
                                        RequiredField("id"),
                                        RequiredField("dims", (RequiredField("w"),)),
                                        RequiredFragment(None, (RequiredField("z"),)),
                                    ),
                                ),
                            ),
                            input_rewrites=(
                                ValueSetter(("... on Item", "__typename"), "Item"),
                            ),
                            output_rewrites=(KeyRenamer(("x__alias_0",), "x"),),
                            context_rewrites=(KeyRenamer(("..", "c"), "ctx_0"),),
                        ),
                    ),
                    Condition("flag", _fetch("c"), None),
                    Condition("flag", None, _fetch("d")),
                    Condition("flag", _fetch("c"), _fetch("d")),
                )
            ),
            Defer(
                PrimaryBlock("{ a }", _fetch("a", id=1)),
                (
                    DeferredBlock(
                        depends=(DeferredDependency("1", "lbl"),),
                        query_path=("a",),
                        label="lbl",
                        subselection="{ b }",
                        node=_fetch("b"),
                        conditions=(("w", True), ("s", False)),
                    ),
                    DeferredBlock(depends=(), query_path=("a",)),
                ),
            ),
            Subscription(
                _fetch("s", operation="subscription{s}", operation_kind="subscription"),
                Sequence(()),
            ),
        )
    )
)


def test_fixtures_cover_every_json_member() -> None:
    text = json.dumps([case.plan for case in CASES])
    for member in (
        '"inputRewrites"',
        '"outputRewrites"',
        '"ValueSetter"',
        '"KeyRenamer"',
        '"elseClause"',
        '"ifClause"',
        '"deferred"',
        '"label"',
        '"rest"',
        '"operationName"',
        '"id": "0"',
    ):
        assert member in text, member


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_apollos_json_round_trips_unchanged(case: PlanCase) -> None:
    again = plan_to_json(plan_from_json(case.plan))
    # Same members in the same order, as JSON.stringify would write them.
    assert json.dumps(again) == json.dumps(case.plan)


def test_context_rewrites_round_trip() -> None:
    plan = plan_from_json(CONTEXT_PLAN)
    assert isinstance(plan.node, Flatten) and isinstance(plan.node.node, Fetch)
    assert plan.node.node.context_rewrites == (
        KeyRenamer(("..", "... on Store", "currency"), "contextualArgument_1_0"),
    )
    assert json.dumps(plan_to_json(plan)) == json.dumps(CONTEXT_PLAN)


def test_every_node_form_round_trips_through_json() -> None:
    encoded = json.loads(json.dumps(plan_to_json(EVERY_FORM)))
    assert plan_from_json(encoded) == EVERY_FORM


def test_fetch_id_is_a_string_in_json() -> None:
    encoded = plan_to_json(QueryPlan(_fetch("a", id=3)))
    assert encoded["node"]["id"] == "3"


def test_empty_plan_has_no_node() -> None:
    assert plan_to_json(QueryPlan()) == {"kind": "QueryPlan"}
    assert plan_from_json({"kind": "QueryPlan"}) == QueryPlan()


def test_client_aliases_round_trip_and_are_left_out_when_none() -> None:
    plan = QueryPlan(_fetch("a"), ("id__client_alias",))
    encoded = json.loads(json.dumps(plan_to_json(plan)))
    assert encoded["clientAliases"] == ["id__client_alias"]
    assert plan_from_json(encoded) == plan
    assert "clientAliases" not in plan_to_json(QueryPlan(_fetch("a")))


def _sequence_of(fetch: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "QueryPlan", "node": {"kind": "Sequence", "nodes": [fetch]}}


_GOOD_FETCH = {
    "kind": "Fetch",
    "serviceName": "a",
    "variableUsages": [],
    "operation": "{a}",
    "operationKind": "query",
}


@pytest.mark.parametrize(
    ("data", "path", "problem"),
    [
        ([], "$", "expected an object, got a list"),
        ({"kind": "Plan"}, "$.kind", "expected 'QueryPlan'"),
        (
            {"kind": "QueryPlan", "node": {"kind": "Fetc"}},
            "$.node.kind",
            "expected one of Condition, Defer, Fetch",
        ),
        (
            _sequence_of({**_GOOD_FETCH, "serviceName": 3}),
            "$.node.nodes[0].serviceName",
            "expected a string, got a number",
        ),
        (
            _sequence_of({k: v for k, v in _GOOD_FETCH.items() if k != "operation"}),
            "$.node.nodes[0].operation",
            "missing",
        ),
        (
            _sequence_of({**_GOOD_FETCH, "operationKind": "delete"}),
            "$.node.nodes[0].operationKind",
            "expected query, mutation or subscription",
        ),
        (
            _sequence_of({**_GOOD_FETCH, "servicename": "a"}),
            "$.node.nodes[0].servicename",
            "unknown key",
        ),
        (
            _sequence_of({**_GOOD_FETCH, "id": "first"}),
            "$.node.nodes[0].id",
            "expected a decimal string",
        ),
        (
            _sequence_of(
                {
                    **_GOOD_FETCH,
                    "requires": [{"kind": "InlineFragment", "selections": [1]}],
                }
            ),
            "$.node.nodes[0].requires[0].selections[0]",
            "expected an object, got a number",
        ),
        (
            _sequence_of(
                {**_GOOD_FETCH, "inputRewrites": [{"kind": "ValueSetter", "path": []}]}
            ),
            "$.node.nodes[0].inputRewrites[0].setValueTo",
            "missing",
        ),
        (
            {
                "kind": "QueryPlan",
                "node": {"kind": "Flatten", "path": "a.b", "node": {}},
            },
            "$.node.path",
            "expected a list, got a string",
        ),
        (
            {
                "kind": "QueryPlan",
                "node": {"kind": "Subscription", "primary": {"kind": "Sequence"}},
            },
            "$.node.primary.kind",
            "expected 'Fetch'",
        ),
    ],
)
def test_bad_json_names_the_faulty_path(data: object, path: str, problem: str) -> None:
    with pytest.raises(PlanJsonError) as caught:
        plan_from_json(data)
    assert caught.value.path == path
    assert problem in str(caught.value)
    assert str(caught.value).startswith(path + ": ")
    assert isinstance(caught.value, ValueError)
