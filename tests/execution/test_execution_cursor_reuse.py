"""Remembered cursors (``paths.Cursors``) and the merge and dedup shortcuts.

The executor remembers what each Flatten path reaches from the root and forgets it when a
merge could change it; these tests check that a remembered cursor is always what a fresh
walk of the tree would give: after a fetch changes ``__typename`` (the @interfaceObject
case), adds a list on the way, or nulls one. The subgraph is an in-process ``post``: the
behaviour is the tree walk, not the network.
"""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest
from graphql import build_schema

from planner.query_plan import (
    Fetch,
    Flatten,
    QueryPlan,
    RequiredField,
    RequiredFragment,
    Sequence,
    ValueSetter,
)
from router.execution import SubgraphClient, execute_plan
from router.execution.merge import deep_merge, deep_merge_each
from router.execution.paths import CursorEntry, Cursors, descend
from router.execution.representations import collect_representations
from router.execution.subgraph_client import SubgraphResponse
from router.execution.type_conditions import TypeConditions

SCHEMA = build_schema(
    """
    type Query { shelf: Shelf users: [User] grid: [[Shelf]] }
    type Shelf { id: ID! items: [Item] rows: [[Item]] }
    interface Item { id: ID! }
    type Book implements Item { id: ID! title: String }
    type Toy implements Item { id: ID! }
    type User { id: ID! reviews: [Review] }
    type Review { id: ID! body: String }
    """
)
TYPES = TypeConditions(SCHEMA)


def root_fetch(operation: str = "{x}", **extra: Any) -> Fetch:
    return Fetch(
        service_name="s",
        operation=operation,
        operation_name=None,
        operation_kind="query",
        **extra,
    )


def entity_fetch(typename: str, *fields: str, **extra: Any) -> Fetch:
    requires = (
        RequiredFragment(
            typename, tuple(RequiredField(f) for f in ("__typename", *fields))
        ),
    )
    return root_fetch(
        "query($representations:[_Any!]!){_entities}", requires=requires, **extra
    )


async def run(
    plan: QueryPlan, *answers: dict[str, Any]
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Runs ``plan``; each request gets the next answer. Returns the tree and the
    variables of each request."""
    pending = list(answers)
    sent: list[dict[str, Any]] = []

    async def post(
        subgraph: str, payload: dict[str, Any], headers: Any
    ) -> SubgraphResponse:
        sent.append(copy.deepcopy(payload["variables"]))
        return SubgraphResponse(200, {}, copy.deepcopy(pending.pop(0)))

    result = await execute_plan(
        plan, variables={}, client=SubgraphClient({}), schema=SCHEMA, post=post
    )
    assert not pending, "a scripted answer was not asked for"
    assert result.errors == []
    return result.data, sent


# --- through the executor ---------------------------------------------------------


async def test_typename_changed_by_a_merge_is_seen_by_a_later_type_condition() -> None:
    # An @interfaceObject subgraph answers with the interface's name; a later fetch
    # (here at the parent) brings the concrete types.
    books = Flatten(("shelf", "items", "@", "... on Book"), entity_fetch("Book", "id"))
    plan = QueryPlan(
        Sequence(
            (
                root_fetch(),
                books,
                Flatten(("shelf",), entity_fetch("Shelf", "id")),
                books,
            )
        )
    )
    item = {"__typename": "Item", "id": "1"}
    data, sent = await run(
        plan,
        {"data": {"shelf": {"__typename": "Shelf", "id": "s", "items": [item, item]}}},
        # (the first `books` finds no Book and sends nothing)
        {"data": {"_entities": [{"items": [{"__typename": "Book"}, None]}]}},
        {"data": {"_entities": [{"title": "T"}]}},
    )

    assert sent[2]["representations"] == [{"__typename": "Book", "id": "1"}]
    assert data == {
        "shelf": {
            "__typename": "Shelf",
            "id": "s",
            "items": [{"__typename": "Book", "id": "1", "title": "T"}, None],
        }
    }


async def test_typename_set_at_the_cursor_is_seen_by_a_type_condition_there() -> None:
    # A nested root fetch merges __typename into the very objects a later path
    # filters by type.
    books = Flatten(("shelf", "items", "@", "... on Book"), entity_fetch("Book", "id"))
    plan = QueryPlan(
        Sequence(
            (
                root_fetch(),
                books,
                Flatten(("shelf", "items", "@"), root_fetch("{__typename}")),
                books,
            )
        )
    )
    data, sent = await run(
        plan,
        {"data": {"shelf": {"items": [{"__typename": "Item", "id": "1"}]}}},
        {"data": {"__typename": "Book"}},
        {"data": {"_entities": [{"title": "T"}]}},
    )

    assert sent[2]["representations"] == [{"__typename": "Book", "id": "1"}]
    assert data == {
        "shelf": {"items": [{"__typename": "Book", "id": "1", "title": "T"}]}
    }


async def test_typename_set_by_an_output_rewrite_is_seen_by_a_type_condition() -> None:
    books = Flatten(("shelf", "items", "@", "... on Book"), entity_fetch("Book", "id"))
    retype = entity_fetch(
        "Item",
        "id",
        output_rewrites=(ValueSetter(("... on Item", "__typename"), "Book"),),
    )
    plan = QueryPlan(
        Sequence((root_fetch(), books, Flatten(("shelf", "items", "@"), retype), books))
    )
    data, sent = await run(
        plan,
        {"data": {"shelf": {"items": [{"__typename": "Item", "id": "1"}]}}},
        {"data": {"_entities": [{"__typename": "Item"}]}},
        {"data": {"_entities": [{"title": "T"}]}},
    )

    assert sent[2]["representations"] == [{"__typename": "Book", "id": "1"}]
    assert data == {
        "shelf": {"items": [{"__typename": "Book", "id": "1", "title": "T"}]}
    }


async def test_a_list_added_on_the_way_is_walked_by_a_later_fetch() -> None:
    reviews = Flatten(("users", "@", "reviews", "@"), entity_fetch("Review", "id"))
    plan = QueryPlan(
        Sequence(
            (
                root_fetch(),
                reviews,  # nothing yet
                Flatten(("users", "@"), entity_fetch("User", "id")),
                reviews,
            )
        )
    )
    user = {"__typename": "User", "id": "1"}
    data, sent = await run(
        plan,
        {"data": {"users": [user, None, {**user, "id": "2"}]}},
        {
            "data": {
                "_entities": [
                    {"reviews": [{"__typename": "Review", "id": "r"}, None]},
                    {"reviews": None},
                ]
            }
        },
        {"data": {"_entities": [{"body": "b"}]}},
    )

    assert sent[2]["representations"] == [{"__typename": "Review", "id": "r"}]
    assert data is not None
    assert data["users"][0]["reviews"] == [
        {"__typename": "Review", "id": "r", "body": "b"},
        None,
    ]
    assert data["users"][2]["reviews"] is None


async def test_a_list_nulled_on_the_way_is_not_walked_by_a_later_fetch() -> None:
    reviews = Flatten(("users", "@", "reviews", "@"), entity_fetch("Review", "id"))
    review = {"__typename": "Review", "id": "r"}
    plan = QueryPlan(
        Sequence(
            (
                root_fetch(),
                reviews,
                Flatten(("users", "@"), entity_fetch("User", "id")),
                reviews,  # the list is gone: nothing to send
            )
        )
    )
    data, sent = await run(
        plan,
        {"data": {"users": [{"__typename": "User", "id": "1", "reviews": [review]}]}},
        {"data": {"_entities": [{"body": "b"}]}},
        {"data": {"_entities": [{"reviews": None}]}},
    )

    assert len(sent) == 3
    assert data == {"users": [{"__typename": "User", "id": "1", "reviews": None}]}


async def test_a_merge_of_other_fields_keeps_the_cursor_and_updates_requires() -> None:
    # The benchmark's shape: two fetches at one path, the second requiring what the
    # first added.
    path = ("shelf", "items", "@")
    plan = QueryPlan(
        Sequence(
            (
                root_fetch(),
                Flatten(path, entity_fetch("Book", "id")),
                Flatten(path, entity_fetch("Book", "id", "title")),
            )
        )
    )
    book = {"__typename": "Book", "id": "1"}
    data, sent = await run(
        plan,
        {"data": {"shelf": {"items": [book, {**book, "id": "2"}, book]}}},
        {"data": {"_entities": [{"title": "A"}, {"title": "B"}]}},
        {"data": {"_entities": [{"id": "1"}, {"id": "2"}]}},
    )

    assert sent[2]["representations"] == [
        {"__typename": "Book", "id": "1", "title": "A"},
        {"__typename": "Book", "id": "2", "title": "B"},
    ]
    assert data is not None
    assert [item["title"] for item in data["shelf"]["items"]] == ["A", "B", "A"]


async def test_fetches_with_the_same_requires_see_a_changed_key_field() -> None:
    # The two fetches could share one collection of representations, but the first
    # changes the field both send.
    same = Flatten(("shelf", "items", "@"), entity_fetch("Book", "id"))
    plan = QueryPlan(Sequence((root_fetch(), same, same)))
    book = {"__typename": "Book", "id": "1"}
    data, sent = await run(
        plan,
        {"data": {"shelf": {"items": [book, {**book}]}}},
        {"data": {"_entities": [{"id": "2"}]}},
        {"data": {"_entities": [{"title": "T"}]}},
    )

    assert sent[1]["representations"] == [{"__typename": "Book", "id": "1"}]
    assert sent[2]["representations"] == [{"__typename": "Book", "id": "2"}]
    assert data is not None
    assert data["shelf"]["items"] == [{**book, "id": "2", "title": "T"}] * 2


# --- Cursors against a fresh walk ------------------------------------------------


def tree() -> dict[str, Any]:
    book = {"__typename": "Book", "id": "b"}
    return {
        "shelf": {
            "items": [book, None, {"__typename": "Toy", "id": "t"}, [book, [book]]],
            "rows": [[book, None], None, [], [{"__typename": "Toy"}]],
        },
        "grid": [[{"items": [book]}, None], [{"items": None}], None, "scalar"],
        "users": None,
    }


PATHS = [
    ("shelf",),
    ("shelf", "items"),
    ("shelf", "items", "@"),
    ("shelf", "items", "@", "... on Book"),
    ("shelf", "items", "@", "... on Book", "id"),
    ("shelf", "items", "... on Item"),
    ("shelf", "rows"),
    ("shelf", "rows", "@"),
    ("shelf", "rows", "@", "@"),
    ("shelf", "rows", "@", "... on Book"),
    ("grid",),
    ("grid", "@"),
    ("grid", "@", "@"),
    ("grid", "@", "items", "@"),
    ("grid", "@", "@", "items", "@"),
    ("grid", "items"),
    ("users", "@"),
    (),
]


def fresh(data: dict[str, Any], path: tuple[str, ...]) -> list[CursorEntry]:
    return descend([(data, None)], path, TYPES)


def test_remembered_paths_and_their_continuations_equal_a_fresh_walk() -> None:
    data = tree()
    for order in itertools.islice(itertools.permutations(PATHS[:8]), 0, None, 997):
        cursors = Cursors([(data, None)], TYPES)
        for path in (*order, *PATHS):
            assert cursors.descend(path) == fresh(data, path), path


def test_a_remembered_cursor_is_reused_until_a_merge_on_its_way() -> None:
    data = tree()
    cursors = Cursors([(data, None)], TYPES)
    path = ("shelf", "items", "@", "... on Book")
    first = cursors.descend(path)

    cursors.merged(("shelf", "items", "@"), {"title"}, typename=False)
    cursors.merged(("shelf",), {"rows"}, typename=False)
    cursors.merged(("grid", "@"), {"items", "__typename"}, typename=True)
    assert cursors.descend(path) is first

    data["shelf"]["items"] = None
    cursors.merged(("shelf",), {"items"}, typename=False)
    assert cursors.descend(path) == [] == fresh(data, path)


def test_a_changed_typename_forgets_type_conditioned_paths_below_only() -> None:
    data = tree()
    cursors = Cursors([(data, None)], TYPES)
    conditioned = ("shelf", "items", "@", "... on Book")
    plain = ("shelf", "items", "@")
    first, second = cursors.descend(conditioned), cursors.descend(plain)

    deep_merge(data["shelf"]["items"][2], {"__typename": "Book"})
    cursors.merged(plain, {"__typename"}, typename=True)

    assert cursors.descend(plain) is second
    assert cursors.descend(conditioned) is not first
    assert cursors.descend(conditioned) == fresh(data, conditioned)
    assert len(cursors.descend(conditioned)) == len(first) + 1


def test_derived_values_are_forgotten_when_a_merge_reaches_their_objects() -> None:
    data = tree()
    cursors = Cursors([(data, None)], TYPES)
    items = cursors.descend(("shelf", "items", "@"))
    derived = cursors.derived(("shelf", "items", "@"), items)
    assert derived is not None
    assert cursors.derived(("shelf", "items", "@"), list(items)) is None

    derived["x"] = 1
    cursors.merged(("shelf", "rows", "@"), {"id"}, typename=False)
    cursors.merged(("shelf",), {"rows"}, typename=False)
    assert derived == {"x": 1}  # other objects

    cursors.merged(("shelf", "items", "@", "sub"), {"id"}, typename=False)
    assert derived == {}  # below them
    derived["x"] = 1
    cursors.merged(("shelf", "items", "@", "... on Book"), {"id"}, typename=False)
    assert derived == {}  # theirs
    assert cursors.descend(("shelf", "items", "@")) is items


# --- the merge and dedup shortcuts -----------------------------------------------


def test_merging_into_each_position_equals_merging_one_by_one() -> None:
    source = {
        "a": 1,
        "b": None,
        "nested": {"x": 1, "deep": {"y": 2}},
        "c": "s",
        "list": [{"z": 1}, None, [1, 2]],
        "short": [1],
        "d": True,
    }
    shared = {"x": 0}
    targets: list[dict[str, Any]] = [
        {"a": 0, "nested": {"deep": {"q": 1}}, "list": [{"w": 2}, {"v": 3}, [0, 0]]},
        {"zz": 1, "short": [1, 2], "list": None},
        {"nested": shared},
        {"nested": shared},
    ]
    expected = copy.deepcopy(targets)
    for target in expected:
        deep_merge(target, copy.deepcopy(source))
    entries: list[CursorEntry] = [(target, None) for target in targets]
    entries.append(entries[0])  # one object reached twice

    deep_merge_each(entries, source)

    assert targets == expected
    assert [list(t) for t in targets] == [list(t) for t in expected]  # key order


@pytest.mark.parametrize(
    "other_fields",
    [(), ("shelf",)],
    ids=["typename-and-one-key-field", "more-key-fields"],
)
def test_representations_keep_values_that_only_python_calls_equal_apart(
    other_fields: tuple[str, ...],
) -> None:
    objects = [
        {"__typename": "Book", "id": value, **dict.fromkeys(other_fields, "s")}
        for value in (1, True, 1.0, 1, None, None, "1", [1], [1.0], [True], -0.0, 0)
    ]
    entries: list[CursorEntry] = [(obj, None) for obj in objects]
    fields = ("__typename", "id", *other_fields)
    requires = (RequiredFragment("Book", tuple(RequiredField(f) for f in fields)),)

    found = collect_representations(entries, requires, (), TYPES)

    assert [item["id"] for item in found.items] == [
        1,
        True,
        1.0,
        None,
        "1",
        [1],
        [1.0],
        [True],
        -0.0,
        0,
    ]
    assert [len(p) for p in found.positions] == [2, 1, 1, 2, 1, 1, 1, 1, 1, 1]
