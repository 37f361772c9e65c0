"""Planning and composition pause Python's cycle collector and give it back as found."""

from __future__ import annotations

import gc
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import parse

from planner.planning import QueryPlanner, QueryPlanningError
from planner.supergraph import load_supergraph

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = load_supergraph((REPO / "supergraph.graphql").read_text())


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    try:
        yield
    finally:
        (gc.enable if was else gc.disable)()


def test_planning_turns_the_collector_back_on(collector_on: None) -> None:
    QueryPlanner(EXAMPLE).plan(parse("{ me { reviews { body } } }"))
    assert gc.isenabled()


def test_a_failed_plan_turns_the_collector_back_on(collector_on: None) -> None:
    planner = QueryPlanner(EXAMPLE)
    with pytest.raises(QueryPlanningError):
        planner.plan(parse("query A { me { id } } query B { me { id } }"), "C")
    assert gc.isenabled()


def test_planning_leaves_a_collector_the_caller_turned_off_off(
    collector_on: None,
) -> None:
    gc.disable()
    QueryPlanner(EXAMPLE).plan(parse("{ me { reviews { body } } }"))
    assert not gc.isenabled()


class _Cycle:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def full_collections(collector_on: None) -> Iterator[list[int]]:
    """The full collections that run meanwhile (each one's generation, 2)."""
    seen: list[int] = []

    def count(phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] == 2:
            seen.append(2)

    gc.callbacks.append(count)
    try:
        yield seen
    finally:
        gc.callbacks.remove(count)


def test_pauses_back_to_back_still_free_old_cyclic_garbage(
    full_collections: list[int],
) -> None:
    # A process planning a stream of new operations pauses the collector nearly all the
    # time: garbage that had grown old before it became garbage must still be freed,
    # once the old generation has grown by a quarter, as automatic collection frees it.
    from planner.collector import collector_paused

    old = _Cycle()
    freed = weakref.ref(old)
    gc.collect()  # `old` survives a full collection: it is in the oldest generation
    del old
    survivors: list[list[int]] = []
    per_pause = sys.getallocatedblocks() // 2000 + 1  # a quarter in 500 pauses
    for _ in range(3000):
        with collector_paused():
            for _ in range(50):
                _Cycle()
            survivors.extend([] for _ in range(per_pause))
        if freed() is None:
            break
    assert freed() is None
    assert full_collections


def test_pauses_over_a_heap_that_does_not_grow_do_not_walk_it_again(
    full_collections: list[int],
) -> None:
    # Each full collection walks the whole heap; over one that does not grow, CPython
    # skips them (a quarter's growth first), and so must the pauses: 500 of them made
    # three full collections when the pause ignored the growth.
    from planner.collector import collector_paused

    gc.collect()
    full_collections.clear()
    for _ in range(500):
        with collector_paused():
            for _ in range(50):
                _Cycle()
    assert len(full_collections) <= 1
