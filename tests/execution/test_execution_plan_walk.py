"""The executor on hand-written plans against scripted loopback subgraphs.

Checks the rules of QUERY_PLANNING.md §4.1-4.3 one by one, on the unshaped tree: what is
gathered into representations, what is merged where, rewrites, Condition, nested root
fetches.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
from aiohttp import web
from graphql import build_schema

from planner.query_plan import (
    Condition,
    Fetch,
    Flatten,
    KeyRenamer,
    QueryPlan,
    RequiredField,
    RequiredFragment,
    Sequence,
    ValueSetter,
)
from router.execution import (
    ExecutionResult,
    SubgraphClient,
    SubgraphEndpoint,
    execute_plan,
)

SCHEMA = build_schema(
    """
    type Query { root: [Shelf] top: Shelf }
    type Shelf { books: [[Item]] parent: Query }
    interface Item { id: ID! }
    type Book implements Item { id: ID! title: String }
    type Toy implements Item { id: ID! }
    """
)


class Scripted:
    """A loopback subgraph answering each request with the next scripted body."""

    def __init__(self) -> None:
        self.answers: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(await request.json())
        return web.json_response(self.answers.pop(0))


@pytest_asyncio.fixture
async def scripted(
    loopback_app: Any,
) -> AsyncIterator[Callable[..., Any]]:
    """``run(plan, data_answers..., variables=)``: one scripted subgraph named "s"."""
    subgraph = Scripted()
    url = await loopback_app(subgraph.handle)
    client = SubgraphClient({"s": SubgraphEndpoint(name="s", url=url)})

    async def run(
        plan: QueryPlan,
        *answers: dict[str, Any],
        variables: dict[str, Any] | None = None,
    ) -> tuple[ExecutionResult, list[dict[str, Any]]]:
        subgraph.answers = list(answers)
        subgraph.requests = []
        result = await execute_plan(
            plan, variables=variables or {}, client=client, schema=SCHEMA
        )
        return result, subgraph.requests

    yield run
    await client.close()


def root_fetch(operation: str = "{x}", **extra: Any) -> Fetch:
    return Fetch(
        service_name="s",
        operation=operation,
        operation_name=None,
        operation_kind="query",
        **extra,
    )


def entity_fetch(*requires: Any, **extra: Any) -> Fetch:
    return root_fetch(
        "query($representations:[_Any!]!){_entities}", requires=requires, **extra
    )


ITEM_KEY = RequiredFragment("Item", (RequiredField("__typename"), RequiredField("id")))


async def test_representations_skip_nulls_missing_keys_and_other_types(
    scripted: Any,
) -> None:
    books = [
        [{"__typename": "Book", "id": "1"}, None, {"__typename": "Book"}],
        None,
        [{"__typename": "Toy", "id": "2"}, {"id": "3"}],
    ]
    plan = QueryPlan(
        Sequence(
            (
                root_fetch(),
                Flatten(("root", "@", "books", "@", "@"), entity_fetch(ITEM_KEY)),
            )
        )
    )

    result, requests = await scripted(
        plan,
        {"data": {"root": [{"books": books}, None]}},
        {"data": {"_entities": [{"title": "One"}, {"title": "Two"}]}},
    )

    sent = requests[1]["variables"]["representations"]
    assert sent == [{"__typename": "Book", "id": "1"}, {"__typename": "Toy", "id": "2"}]
    assert result.data is not None
    shelf = result.data["root"][0]["books"]
    assert shelf[0][0] == {"__typename": "Book", "id": "1", "title": "One"}
    assert shelf[2][0] == {"__typename": "Toy", "id": "2", "title": "Two"}
    assert shelf[2][1] == {"id": "3"}
    assert result.errors == []


async def test_requires_fragment_matches_only_its_type_and_subtypes(
    scripted: Any,
) -> None:
    only_books = RequiredFragment(
        "Book", (RequiredField("__typename"), RequiredField("id"))
    )
    plan = QueryPlan(
        Sequence(
            (
                root_fetch(),
                Flatten(("top", "books", "@", "@"), entity_fetch(only_books)),
            )
        )
    )
    items = [[{"__typename": "Toy", "id": "1"}, {"__typename": "Book", "id": "2"}]]

    _, requests = await scripted(
        plan,
        {"data": {"top": {"books": items}}},
        {"data": {"_entities": [{"title": "B"}]}},
    )

    assert requests[1]["variables"]["representations"] == [
        {"__typename": "Book", "id": "2"}
    ]


async def test_input_rewrite_changes_only_the_sent_copy_and_typename_is_kept(
    scripted: Any,
) -> None:
    fetch = entity_fetch(
        ITEM_KEY,
        input_rewrites=(ValueSetter(("... on Item", "__typename"), "Item"),),
    )
    plan = QueryPlan(
        Sequence((root_fetch(), Flatten(("top", "books", "@", "@"), fetch)))
    )

    result, requests = await scripted(
        plan,
        {"data": {"top": {"books": [[{"__typename": "Book", "id": "1"}]]}}},
        {"data": {"_entities": [{"__typename": "Item", "title": "T"}]}},
    )

    assert requests[1]["variables"]["representations"] == [
        {"__typename": "Item", "id": "1"}
    ]
    assert result.data == {
        "top": {"books": [[{"__typename": "Book", "id": "1", "title": "T"}]]}
    }


async def test_output_rewrite_renames_a_planner_alias(scripted: Any) -> None:
    fetch = entity_fetch(
        ITEM_KEY,
        output_rewrites=(KeyRenamer(("... on Book", "title__alias_0"), "title"),),
    )
    plan = QueryPlan(
        Sequence((root_fetch(), Flatten(("top", "books", "@", "@"), fetch)))
    )

    result, _ = await scripted(
        plan,
        {"data": {"top": {"books": [[{"__typename": "Book", "id": "1"}]]}}},
        {"data": {"_entities": [{"title__alias_0": "T"}]}},
    )

    assert result.data == {
        "top": {"books": [[{"__typename": "Book", "id": "1", "title": "T"}]]}
    }


async def test_client_variable_named_representations_is_refused(scripted: Any) -> None:
    fetch = entity_fetch(ITEM_KEY, variable_usages=("representations",))
    plan = QueryPlan(
        Sequence((root_fetch(), Flatten(("top", "books", "@", "@"), fetch)))
    )

    result, requests = await scripted(
        plan,
        {"data": {"top": {"books": [[{"__typename": "Book", "id": "1"}]]}}},
        variables={"representations": []},
    )

    assert len(requests) == 1
    (error,) = result.errors
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["path"] == ["top", "books"]


async def test_nested_root_fetch_merges_into_each_parent_and_skips_null(
    scripted: Any,
) -> None:
    nested = root_fetch("{top{books{__typename id}}}")
    plan = QueryPlan(Sequence((root_fetch(), Flatten(("root", "@", "parent"), nested))))

    result, requests = await scripted(
        plan,
        {"data": {"root": [{"parent": {}}, {"parent": None}]}},
        {"data": {"top": {"books": []}}, "errors": [{"message": "m", "path": ["top"]}]},
    )

    assert len(requests) == 2
    assert result.data == {
        "root": [{"parent": {"top": {"books": []}}}, {"parent": None}]
    }
    # One parent: the error is prefixed with its concrete path.
    assert result.errors[0]["path"] == ["root", 0, "parent", "top"]


@pytest.mark.parametrize(
    ("variables", "branch"),
    [({"go": True}, "then"), ({"go": False}, "else"), ({}, "then")],
)
async def test_condition_picks_a_branch_and_treats_a_missing_variable_as_true(
    scripted: Any, variables: dict[str, Any], branch: str
) -> None:
    plan = QueryPlan(Condition("go", root_fetch("{then}"), root_fetch("{else}")))

    result, requests = await scripted(
        plan, {"data": {branch: True}}, variables=variables
    )

    assert [r["query"] for r in requests] == [f"{{{branch}}}"]
    assert result.data == {branch: True}


async def test_root_fetch_sends_used_variables_and_operation_name(
    scripted: Any,
) -> None:
    fetch = Fetch(
        service_name="s",
        operation="query Op__s__0($a:Int){x(a:$a)}",
        operation_name="Op__s__0",
        operation_kind="query",
        variable_usages=("a", "missing"),
    )

    result, requests = await scripted(
        QueryPlan(fetch), {"data": {"x": 1}}, variables={"a": 1, "b": 2}
    )

    assert requests == [
        {
            "query": "query Op__s__0($a:Int){x(a:$a)}",
            "variables": {"a": 1},
            "operationName": "Op__s__0",
        }
    ]
    assert result.data == {"x": 1}
