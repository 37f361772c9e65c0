"""`planner.printer`: plans print exactly as Apollo's `prettyFormatQueryPlan` prints them.

The fixture plans are Apollo's own (see `plan_format_fixtures`), loaded with
`plan_from_json`; the hand-built plans cover forms Apollo's planner rarely emits.
"""

from __future__ import annotations

from textwrap import dedent

import pytest
from plan_format_fixtures import PlanCase, load_cases

from planner.plan_json import plan_from_json, plan_to_json
from planner.printer import format_query_plan, print_selections
from planner.query_plan import (
    Condition,
    Defer,
    DeferredBlock,
    DeferredDependency,
    Fetch,
    Flatten,
    Parallel,
    PrimaryBlock,
    QueryPlan,
    RequiredField,
    RequiredFragment,
    Sequence,
    apollo_path,
    path_from_apollo,
)

CASES = load_cases()


def _expected(text: str) -> str:
    return dedent(text).strip("\n")


def _fetch(service: str, operation: str, **kwargs: object) -> Fetch:
    return Fetch(
        service_name=service,
        operation=operation,
        operation_name=None,
        operation_kind="query",
        **kwargs,  # type: ignore[arg-type]
    )


def test_fixtures_cover_every_plan_form() -> None:
    text = "\n".join(case.text for case in CASES)
    for form in (
        "Sequence {",
        "Parallel {",
        "Flatten(path:",
        " =>",
        "Include(if:",
        "Skip(if:",
        "Condition(if:",
        "Defer {",
        "Deferred(depends:",
        "Subscription {",
        "fragment ",
        ", id: 0)",
        "QueryPlan {}",
    ):
        assert form in text, form
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_prints_apollos_text_for_apollos_plan(case: PlanCase) -> None:
    assert format_query_plan(plan_from_json(case.plan)) == case.text


def test_empty_plan_prints_empty_braces() -> None:
    assert format_query_plan(QueryPlan()) == "QueryPlan {}"


def test_fetch_id_zero_is_printed() -> None:
    plan = QueryPlan(_fetch("a", "{me{id}}", id=0))
    assert format_query_plan(plan) == _expected(
        """
        QueryPlan {
          Fetch(service: "a", id: 0) {
            {
              me {
                id
              }
            }
          },
        }
        """
    )


def test_entities_fetch_shows_requires_and_the_selection_inside_entities() -> None:
    requires = (
        RequiredFragment(
            "User",
            (
                RequiredField("__typename"),
                RequiredField("address", (RequiredField("country"),)),
            ),
        ),
    )
    operation = (
        "query($representations:[_Any!]!){_entities(representations:$representations)"
        '{...on User{greeting(style:FORMAL,tags:["a","b"],opts:{x:1}) @skip(if:$s)}}}'
    )
    plan = QueryPlan(Flatten(("me",), _fetch("b", operation, requires=requires)))
    assert format_query_plan(plan) == _expected(
        """
        QueryPlan {
          Flatten(path: "me") {
            Fetch(service: "b") {
              {
                ... on User {
                  __typename
                  address {
                    country
                  }
                }
              } =>
              {
                ... on User {
                  greeting(style: FORMAL, tags: ["a", "b"], opts: {x: 1}) @skip(if: $s)
                }
              }
            },
          },
        }
        """
    )


def test_condition_with_both_branches_prints_then_and_else() -> None:
    plan = QueryPlan(
        Sequence(
            (
                Condition("v", _fetch("a", "{a}"), _fetch("b", "{b}")),
                Parallel(()),
            )
        )
    )
    assert format_query_plan(plan) == _expected(
        """
        QueryPlan {
          Sequence {
            Condition(if: $v) {
              Then {
                Fetch(service: "a") {
                  {
                    a
                  }
                }
              } Else {
                Fetch(service: "b") {
                  {
                    b
                  }
                }
              }
            },
            Parallel,
          },
        }
        """
    )


def test_deferred_dependency_labels_and_empty_primary() -> None:
    plan = QueryPlan(
        Defer(
            PrimaryBlock(),
            (
                DeferredBlock(
                    depends=(DeferredDependency("0", "slow"), DeferredDependency("1")),
                    query_path=("me", "reviews"),
                    label="slow",
                    subselection="{ body }",
                ),
            ),
        )
    )
    assert format_query_plan(plan) == _expected(
        """
        QueryPlan {
          Defer {
            Primary {
              :
            }, [
              Deferred(depends: [0:"slow", 1], path: "me/reviews", label: "slow") {
                {
                  body
                }:
              },
            ]
          },
        }
        """
    )


def test_print_selections_keeps_named_fragments_after_the_selection() -> None:
    operation = "query Q__a__0{me{...U}}fragment U on User{id name}"
    assert print_selections(operation) == _expected(
        """
        {
          me {
            ...U
          }
        }

        fragment U on User {
          id
          name
        }
        """
    )


def test_type_conditions_in_flatten_paths_print_as_apollo_writes_them() -> None:
    path = ("items", "@", "... on Book", "product", "... on A", "... on B", "x")
    assert apollo_path(path) == ["items", "@|[Book]", "product|[A,B]", "x"]
    assert path_from_apollo(apollo_path(path)) == path
    fetch = Fetch("inventory", "{ _entities { x } }", None, "query")
    plan = QueryPlan(Flatten(("items", "@", "... on Book", "product"), fetch))
    assert 'Flatten(path: "items.@|[Book].product")' in format_query_plan(plan)
    assert plan_from_json(plan_to_json(plan)) == plan
