"""Choosing one option per branch: a greedy first plan, then bounded branch-and-bound.

The cost of a choice is the cost of the fetch graph it builds (``plan_cost``): each fetch
costs 1000 plus its selection size, weighted by how deep in the dependency chain it runs,
so a plan that adds a stage pays a hundred times more than one that adds a parallel
fetch (QUERY_PLANNING.md §2.4). Adding paths never lowers that cost, so the cost of a
partial choice bounds every completion of it, and the depth-first search abandons a
partial choice as soon as it costs no less than the best complete one. The number of
evaluated plans and the wall-clock time are capped; when a cap is hit the best plan
found so far is returned.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from planner.planning.fetch_graph import FetchGraph, FetchGroup
from planner.planning.paths import GraphPath, Option, Step
from planner.planning.selection import SelectionTree
from planner.planning.traversal import Branch

__all__ = ["SearchLimits", "choose_paths", "plan_cost"]

FETCH_COST = 1000
STAGE_WEIGHT = 100


@dataclass(frozen=True, slots=True)
class SearchLimits:
    max_evaluated_plans: int = 10_000
    time_budget_seconds: float = 5.0


def plan_cost(graph: FetchGraph) -> float:
    depth: dict[int, int] = {}

    def depth_of(group: FetchGroup) -> int:
        known = depth.get(group.id)
        if known is not None:
            return known
        value = 0 if not group.parents else 1 + max(depth_of(p) for p in group.parents)
        depth[group.id] = value
        return value

    total = 0.0
    for group in graph.groups:
        weight = max(1, STAGE_WEIGHT * depth_of(group))
        total += (FETCH_COST + _size(group.selection)) * weight
    return total


def _size(tree: SelectionTree) -> int:
    size = 0
    for item in tree:
        size += 1
        children = item.children
        if children is not None:
            size += _size(children)
    return size


def choose_paths(
    branches: list[Branch],
    evaluate: Callable[[list[GraphPath]], float],
    limits: SearchLimits,
) -> list[GraphPath]:
    """The paths of the cheapest choice found (one option per branch)."""
    fixed: list[Option] = [b.options[0] for b in branches if len(b.options) == 1]
    open_branches = [
        (index, branch)
        for index, branch in enumerate(branches)
        if len(branch.options) > 1
    ]
    if not open_branches:
        return _flatten(fixed)
    greedy = _greedy(branches)
    best_choice = greedy
    best_cost = evaluate(_flatten(greedy))
    evaluated = 1
    deadline = time.monotonic() + limits.time_budget_seconds
    order = [index for index, _ in open_branches]
    chosen: dict[int, Option] = {}

    def assemble(extra: dict[int, Option]) -> list[Option]:
        return [
            extra.get(index, branch.options[0])
            for index, branch in enumerate(branches)
            if len(branch.options) == 1 or index in extra
        ]

    def search(position: int) -> None:
        nonlocal best_choice, best_cost, evaluated
        index = order[position]
        for option in branches[index].options:
            if evaluated >= limits.max_evaluated_plans or time.monotonic() > deadline:
                return
            chosen[index] = option
            partial = assemble(chosen)
            cost = evaluate(_flatten(partial))
            evaluated += 1
            if cost < best_cost:
                if position == len(order) - 1:
                    best_cost, best_choice = cost, partial
                else:
                    search(position + 1)
            del chosen[index]

    search(0)
    return _flatten(best_choice)


def _flatten(options: list[Option]) -> list[GraphPath]:
    return [path for option in options for path in option]


def _greedy(branches: list[Branch]) -> list[Option]:
    """Per branch, the cheapest option, preferring ones that reuse chosen prefixes."""
    prefixes: set[tuple[Step, ...]] = set()
    result: list[Option] = []
    for branch in branches:
        best = min(
            branch.options,
            key=lambda option: (
                sum(path.cost for path in option),
                -sum(_shared(path, prefixes) for path in option),
            ),
        )
        result.append(best)
        for path in best:
            for end in range(1, len(path.steps) + 1):
                prefixes.add(path.steps[:end])
    return result


def _shared(path: GraphPath, prefixes: set[tuple[Step, ...]]) -> int:
    shared = 0
    for end in range(1, len(path.steps) + 1):
        if path.steps[:end] in prefixes:
            shared = end
        else:
            break
    return shared
