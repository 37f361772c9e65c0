"""Planning and composition pause Python's cycle collector and give it back as found."""

from __future__ import annotations

import gc
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


def test_pauses_back_to_back_still_free_old_cyclic_garbage(collector_on: None) -> None:
    # A process planning a stream of new operations pauses the collector nearly all the
    # time: garbage that had grown old before it became garbage must still be freed.
    from planner.collector import collector_paused

    old = _Cycle()
    freed = weakref.ref(old)
    gc.collect()  # `old` survives a full collection: it is in the oldest generation
    del old
    for _ in range(500):
        with collector_paused():
            for _ in range(50):
                _Cycle()
    assert freed() is None
