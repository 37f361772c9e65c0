"""`planner.plan_cache`: a repeated operation is planned once, per everything a plan
depends on."""

from __future__ import annotations

import threading

import pytest

from planner.plan_cache import PlanCache, PlanCacheKey, document_hash
from planner.planning.errors import QueryPlanningError
from planner.query_plan import Fetch, QueryPlan


class CountingPlanner:
    """Stands in for the planner: counts calls, returns a distinct plan per call."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> QueryPlan:
        self.calls += 1
        return QueryPlan(Fetch("s", f"{{n{self.calls}}}", None, "query"))


def _key(
    document: str = "{ me { id } }",
    schema: str = "schema-1",
    operation: str | None = None,
    labels: frozenset[str] = frozenset(),
) -> PlanCacheKey:
    return PlanCacheKey.of(schema, document, operation, labels)


def test_second_request_is_served_from_the_cache() -> None:
    cache, planner = PlanCache(10), CountingPlanner()
    first = cache.get_or_plan(_key(), planner)
    assert cache.get_or_plan(_key(), planner) is first
    assert (planner.calls, cache.hits, cache.misses, len(cache)) == (1, 1, 1, 1)


def test_whitespace_commas_and_comments_do_not_change_the_key() -> None:
    spaced = "# the viewer\nquery  {\n  me {  id , } }"
    assert _key(spaced) == _key("{me{id}}")
    assert document_hash(spaced) == document_hash("{ me { id } }")


def test_parsed_and_text_documents_hash_alike() -> None:
    from graphql import parse

    assert document_hash(parse("{ me { id } }")) == document_hash("{me{id}}")


@pytest.mark.parametrize(
    "other",
    [
        _key("{ me { name } }"),
        _key(schema="schema-2"),
        _key(operation="Me"),
        _key(labels=frozenset({"newTotals"})),
    ],
    ids=["document", "schema", "operation name", "override labels"],
)
def test_each_key_part_separates_entries(other: PlanCacheKey) -> None:
    cache, planner = PlanCache(10), CountingPlanner()
    cache.get_or_plan(_key(), planner)
    cache.get_or_plan(other, planner)
    assert planner.calls == 2
    assert len(cache) == 2


def test_override_label_order_does_not_matter() -> None:
    assert PlanCacheKey.of("s", "{a}", None, ["b", "a"]) == PlanCacheKey.of(
        "s", "{a}", None, frozenset({"a", "b"})
    )


def test_least_recently_used_entry_is_evicted_first() -> None:
    cache, planner = PlanCache(2), CountingPlanner()
    a, b, c = _key("{a}"), _key("{b}"), _key("{c}")
    cache.get_or_plan(a, planner)
    cache.get_or_plan(b, planner)
    cache.get_or_plan(a, planner)  # a is now the most recent
    cache.get_or_plan(c, planner)  # evicts b
    assert a in cache and c in cache and b not in cache
    assert (len(cache), cache.evictions) == (2, 1)
    cache.get_or_plan(b, planner)
    assert planner.calls == 4


def test_planning_errors_are_cached_and_raised_again() -> None:
    calls = 0

    def failing() -> QueryPlan:
        nonlocal calls
        calls += 1
        raise QueryPlanningError("QUERY_PLANNING_FAILED", "cannot satisfy field x")

    cache = PlanCache(4)
    for _ in range(3):
        with pytest.raises(QueryPlanningError) as caught:
            cache.get_or_plan(_key(), failing)
        assert caught.value.code == "QUERY_PLANNING_FAILED"
    assert calls == 1
    assert (cache.hits, cache.misses) == (2, 1)


def test_cached_answers_a_hit_as_a_hit_and_leaves_misses_and_errors_alone() -> None:
    cache, planner = PlanCache(2), CountingPlanner()
    a, b, failed = _key("{a}"), _key("{b}"), _key("{c}")
    assert cache.cached(a) is None
    assert (cache.hits, cache.misses) == (0, 0)
    plan = cache.get_or_plan(a, planner)
    cache.get_or_plan(b, planner)
    assert cache.cached(a) is plan  # a hit: counted, and a is now the most recent
    assert cache.hits == 1
    cache.get_or_plan(_key("{d}"), planner)  # evicts b, not a
    assert a in cache and b not in cache

    def failing() -> QueryPlan:
        raise QueryPlanningError("QUERY_PLANNING_FAILED", "cannot satisfy field x")

    with pytest.raises(QueryPlanningError):
        cache.get_or_plan(failed, failing)
    # A cached error is for get_or_plan to raise again: `cached` has no plan for it.
    assert cache.cached(failed) is None
    assert cache.hits == 1


def test_unexpected_exceptions_are_not_cached() -> None:
    cache, planner = PlanCache(4), CountingPlanner()

    def broken() -> QueryPlan:
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError):
        cache.get_or_plan(_key(), broken)
    assert len(cache) == 0
    cache.get_or_plan(_key(), planner)
    assert planner.calls == 1


def test_clear_empties_the_cache() -> None:
    cache, planner = PlanCache(4), CountingPlanner()
    cache.get_or_plan(_key(), planner)
    cache.clear()
    assert len(cache) == 0
    cache.get_or_plan(_key(), planner)
    assert planner.calls == 2


def test_max_entries_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_entries must be >= 1"):
        PlanCache(0)


def test_threads_sharing_a_cache_keep_it_within_bounds() -> None:
    cache, planner = PlanCache(8), CountingPlanner()
    keys = [_key(f"{{f{i}}}") for i in range(32)]

    def work() -> None:
        for _ in range(20):
            for key in keys:
                cache.get_or_plan(key, planner)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) == 8
    assert cache.hits + cache.misses == 4 * 20 * 32


def test_hottest_lists_planned_documents_most_used_first() -> None:
    from graphql import parse

    cache, planner = PlanCache(10), CountingPlanner()
    documents = {text: parse(text) for text in ("{ a }", "{ b }", "{ c }")}
    uses = {"{ a }": 1, "{ b }": 3, "{ c }": 2}
    for text, count in uses.items():
        for _ in range(count):
            cache.get_or_plan(_key(text), planner, documents[text])

    def failing() -> QueryPlan:
        raise QueryPlanningError("QUERY_PLANNING_FAILED", "no")

    for _ in range(5):  # errors are never warmed up
        with pytest.raises(QueryPlanningError):
            cache.get_or_plan(_key("{ d }"), failing, parse("{ d }"))

    hottest = cache.hottest(2)
    assert [(o.document, o.uses) for o in hottest] == [
        (documents["{ b }"], 3),
        (documents["{ c }"], 2),
    ]
    assert hottest[0].key == _key("{ b }")


def test_put_stores_a_plan_made_elsewhere() -> None:
    cache, planner = PlanCache(10), CountingPlanner()
    plan = QueryPlan(Fetch("s", "{ shared }", None, "query"))
    cache.put(_key(), plan)
    assert cache.get_or_plan(_key(), planner) is plan
    assert planner.calls == 0
