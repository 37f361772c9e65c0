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
from planner.planning.paths import FieldStep, GraphPath, Option
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
    items = tree.items
    size = len(items)
    for item in items.values():
        children = item.children
        if children is not None and children.items:
            size += _size(children)
    return size


class _Budget:
    """Plans evaluated so far against ``max_evaluated_plans`` and the deadline."""

    def __init__(self, limits: SearchLimits) -> None:
        self.limits = limits
        self.evaluated = 0
        self.deadline = time.monotonic() + limits.time_budget_seconds

    def spent(self) -> bool:
        return (
            self.evaluated >= self.limits.max_evaluated_plans
            or time.monotonic() > self.deadline
        )


def choose_paths(
    branches: list[Branch],
    evaluate: Callable[[list[GraphPath]], float],
    limits: SearchLimits,
) -> list[GraphPath]:
    """The paths of the cheapest choice found (one option per branch).

    Branches whose options part at the same point the same ways (every leaf under an
    interface field that can be exploded or entered through a key, say) are one
    *decision*: they take the same alternative, so the search is over decisions. Once
    decided, each branch keeps the options of its alternative, and the choices those
    still leave (which subgraph to jump to next, say) are decided the same way, level by
    level. Last, branches are improved one by one, since branches grouped into one
    decision may do better apart (a shareable root field taken in two subgraphs).
    """
    budget = _Budget(limits)
    # Where each branch's fetches can be: at or below these paths.
    reaches = [_reach(branch, _leaf_path(branch)) for branch in branches]
    current = list(branches)
    while True:
        decisions = [d for d in _decisions(current) if len(d.alternatives) > 1]
        if not decisions:
            break
        choice = _branch_and_bound(current, decisions, evaluate, budget, reaches)
        current = _narrow(current, decisions, choice)
    # Options no decision tells apart (identical up to where they end) are equivalent
    # for the search: the first one stands.
    options = [branch.options[0] for branch in current]
    if all(len(branch.options) == 1 for branch in branches):
        return _flatten(options)
    undecided = [
        index for index, branch in enumerate(branches) if len(branch.options) > 1
    ]
    parting = []
    for index in undecided:
        at, at_root = _parting_at(branches[index], _parting_point(branches[index])[0])
        parting.append((_reach(branches[index], at), at_root))
    for group in _independent(parting):
        component = [undecided[position] for position in group]
        if any(parting[position][1] for position in group):
            # Root fetches are shared by subgraph: every root field counts.
            kept = set(range(len(branches)))
        else:
            kept = set(component) | _fixed_around(
                branches, reaches, [parting[position][0] for position in group]
            )
        if not _improve(branches, options, component, evaluate, budget, kept):
            break
    return _flatten(options)


def _fixed_around(
    branches: list[Branch],
    reaches: list[tuple[str, ...]],
    paths: list[tuple[str, ...]],
) -> set[int]:
    """The branches with one option whose fetches may be at, above or below one of
    ``paths`` (``reaches``: see ``_reach``). The others cannot change what choosing
    there costs: what they fetch sits at response paths of their own (the fetches on
    the way, shared or not, are there whatever is chosen), so a group of choices is
    costed without them."""
    return {
        index
        for index, branch in enumerate(branches)
        if len(branch.options) == 1
        and any(_comparable(reaches[index], path) for path in paths)
    }


def _reach(branch: Branch, at: tuple[str, ...]) -> tuple[str, ...]:
    """``at``, cut back to the entity of every @requires field the branch's options
    take: the fetches of its required fields are at response paths below that entity,
    not below the field."""
    reach = at
    for option in branch.options:
        for path in option:
            names: list[str] = []
            for step in path.steps:
                if isinstance(step, FieldStep):
                    if step.requires is not None:
                        common = 0
                        while (
                            common < min(len(reach), len(names))
                            and reach[common] == names[common]
                        ):
                            common += 1
                        reach = reach[:common]
                    names.append(step.field.response_name)
    return reach


def _comparable(one: tuple[str, ...], other: tuple[str, ...]) -> bool:
    """Whether one response path is a prefix of the other."""
    shorter = min(len(one), len(other))
    return one[:shorter] == other[:shorter]


def _leaf_path(branch: Branch) -> tuple[str, ...]:
    """The response path of the branch's leaf (the same for every path of every
    option)."""
    return tuple(
        step.field.response_name
        for step in branch.options[0][0].steps
        if isinstance(step, FieldStep)
    )


def _improve(
    branches: list[Branch],
    options: list[Option],
    component: list[int],
    evaluate: Callable[[list[GraphPath]], float],
    budget: _Budget,
    kept: set[int],
) -> bool:
    """Tries every other option of each branch of ``component`` in turn, keeping one
    that lowers the cost, until none does (``options`` is updated in place). Only the
    branches in ``kept`` are costed: the others cannot change what a swap here saves.
    False when the budget ran out."""

    def cost_of(choice: list[Option]) -> float:
        budget.evaluated += 1
        return evaluate(
            _flatten([option for index, option in enumerate(choice) if index in kept])
        )

    best_cost = cost_of(options)
    improved = True
    while improved:
        improved = False
        for index in component:
            for option in branches[index].options:
                if option is options[index]:
                    continue
                if budget.spent():
                    return False
                previous, options[index] = options[index], option
                cost = cost_of(options)
                if cost < best_cost:
                    best_cost, improved = cost, True
                else:
                    options[index] = previous
    return True


def _branch_and_bound(
    branches: list[Branch],
    decisions: list[_Decision],
    evaluate: Callable[[list[GraphPath]], float],
    budget: _Budget,
    reaches: list[tuple[str, ...]],
) -> dict[int, int]:
    """The cheapest alternative per decision found within the budget, searched
    group of dependent decisions by group (``_independent``): the cost of a choice is
    the sum of what each group's part of it adds, so each group's cheapest alternatives
    make the cheapest choice, and each group is searched with the others left out,
    as are the fixed branches elsewhere in the response (``_fixed_around``)."""
    choice: dict[int, int] = {}
    for component in _independent([(d.at, d.at_root) for d in decisions]):
        others: dict[int, Option] = {}
        left_out: set[int] = set()
        if not any(decisions[i].at_root for i in component):
            around = _fixed_around(
                branches, reaches, [decisions[i].at for i in component]
            )
            left_out = {
                index
                for index, branch in enumerate(branches)
                if len(branch.options) == 1 and index not in around
            }
        else:
            # Root fetches are shared by subgraph: the other components' root fields
            # say which exist (whatever they choose below them).
            mine = {index for i in component for index in decisions[i].branches}
            others = {
                index: branch.options[0]
                for index, branch in enumerate(branches)
                if len(branch.options) > 1 and index not in mine
            }
        found = _search(
            branches,
            [decisions[i] for i in component],
            evaluate,
            budget,
            others,
            left_out,
        )
        for position, index in enumerate(component):
            choice[index] = found[position]
    return choice


def _independent(parts: list[tuple[tuple[str, ...], bool]]) -> list[list[int]]:
    """Positions of ``parts`` (where options part: response path, and whether at a
    root field) in groups whose choices cannot change each other's cost, each group in
    order.

    Options that part at response paths neither of which is a prefix of the other
    (``product.item`` and ``product.reviews``) cannot interact: the fields, keys and
    fetches each alternative adds sit below its own path, fetches are only shared or
    merged at one response path, and a fetch's stage depends on the fetches above it,
    which the steps shared before the parting point fix. Choices at the same path, or
    one below the other, stay together, and so do all choices of a root field's
    subgraph: root fetches are shared by subgraph, whatever the path.
    """
    parent = list(range(len(parts)))

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for i, (one, one_at_root) in enumerate(parts):
        for j in range(i):
            other, other_at_root = parts[j]
            shorter = min(len(one), len(other))
            if (one_at_root and other_at_root) or one[:shorter] == other[:shorter]:
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for index in range(len(parts)):
        groups.setdefault(find(index), []).append(index)
    return list(groups.values())


def _search(
    branches: list[Branch],
    decisions: list[_Decision],
    evaluate: Callable[[list[GraphPath]], float],
    budget: _Budget,
    others: dict[int, Option],
    left_out: set[int],
) -> dict[int, int]:
    """Depth-first branch-and-bound over ``decisions``: a partial choice leaves
    undecided branches (other decisions' too, but for ``others``, taken as given) out;
    its cost bounds every completion. Fixed branches in ``left_out`` are left out."""
    picks = _picks(branches, decisions)
    best_choice: dict[int, int] = {index: 0 for index in range(len(decisions))}
    best_cost = evaluate(
        _flatten(_assemble(branches, picks, best_choice, others, left_out))
    )
    budget.evaluated += 1
    chosen: dict[int, int] = {}

    def search(position: int) -> None:
        nonlocal best_choice, best_cost
        for alternative in range(len(decisions[position].alternatives)):
            if budget.spent():
                return
            chosen[position] = alternative
            cost = evaluate(
                _flatten(_assemble(branches, picks, chosen, others, left_out))
            )
            budget.evaluated += 1
            if cost < best_cost:
                if position == len(decisions) - 1:
                    best_cost, best_choice = cost, dict(chosen)
                else:
                    search(position + 1)
            del chosen[position]

    search(0)
    return best_choice


def _narrow(
    branches: list[Branch], decisions: list[_Decision], choice: dict[int, int]
) -> list[Branch]:
    """Each decided branch keeps only the options of its chosen alternative."""
    narrowed = list(branches)
    for position, decision in enumerate(decisions):
        alternative = decision.alternatives[choice[position]]
        for index in decision.branches:
            narrowed[index] = Branch(_options_taking(branches[index], alternative))
    return narrowed


def _options_taking(branch: Branch, alternative: object) -> tuple[Option, ...]:
    """The branch's options that take ``alternative`` where its options part."""
    _, nexts = _parting_point(branch)
    return tuple(
        option
        for option, step in zip(branch.options, nexts, strict=True)
        if step == alternative
    )


@dataclass(slots=True)
class _Decision:
    """Branches that choose together, and their alternatives (the step where their
    options part)."""

    branches: list[int]
    alternatives: list[object]
    # The response path where the options part (fields' response names), cut back to
    # the entity of any @requires field an option takes (``_reach``), and whether
    # they part at a root field (the path is then the root field's).
    at: tuple[str, ...]
    at_root: bool


_PATH_BREAK = object()  # separates the paths of a simultaneous option in its signature


def _signature(option: Option) -> tuple[object, ...]:
    """An option's steps, path after path."""
    steps: list[object] = []
    for path in option:
        steps.extend(path.steps)
        steps.append(_PATH_BREAK)
    return tuple(steps)


def _parting_point(branch: Branch) -> tuple[tuple[object, ...], list[object]]:
    """The steps all of a branch's options share first, and what each option does next
    (with what it costs from there: leaves that are local on the same side part alike)."""
    signatures = [_signature(option) for option in branch.options]
    shortest = min(len(signature) for signature in signatures)
    common = 0
    while common < shortest and all(
        signature[common] == signatures[0][common] for signature in signatures
    ):
        common += 1
    nexts: list[object] = []
    for option, signature in zip(branch.options, signatures, strict=True):
        cost = sum(path.cost for path in option)
        nexts.append(
            (len(option), signature[common] if common < len(signature) else None, cost)
        )
    return signatures[0][:common], nexts


def _decisions(branches: list[Branch]) -> list[_Decision]:
    by_key: dict[object, _Decision] = {}
    for index, branch in enumerate(branches):
        if len(branch.options) < 2:
            continue
        prefix, nexts = _parting_point(branch)
        key = (prefix, frozenset(nexts))
        decision = by_key.get(key)
        if decision is None:
            alternatives = list(dict.fromkeys(nexts))
            at, at_root = _parting_at(branch, prefix)
            decision = by_key[key] = _Decision([], alternatives, at, at_root)
        decision.branches.append(index)
        decision.at = _reach(branch, decision.at)
    return list(by_key.values())


def _parting_at(
    branch: Branch, prefix: tuple[object, ...]
) -> tuple[tuple[str, ...], bool]:
    """Where the branch's options part after the steps they share (``prefix``): the
    response path (the fields of the last path the prefix reaches into; every path of
    an option leads to the same leaf), and whether they part at a root field, which
    subgraph to take it from (the path is then that field's)."""
    names: list[str] = []
    paths = 0
    for step in prefix:
        if step is _PATH_BREAK:
            names.clear()
            paths += 1
        elif isinstance(step, FieldStep):
            names.append(step.field.response_name)
    if names:
        return tuple(names), False
    option = branch.options[0]
    if paths < len(option) and option[paths].steps:
        first = option[paths].steps[0]
        if isinstance(first, FieldStep):
            return (first.field.response_name,), True
    return (), True


def _picks(
    branches: list[Branch], decisions: list[_Decision]
) -> list[list[list[tuple[int, Option]]]]:
    """Per decision, per alternative: each of its branches and the first option that
    takes the alternative (what ``_assemble`` puts in for a made decision)."""
    table: list[list[list[tuple[int, Option]]]] = []
    for decision in decisions:
        taking = {
            index: _options_by_step(branches[index]) for index in decision.branches
        }
        table.append(
            [
                [(index, taking[index][alternative]) for index in decision.branches]
                for alternative in decision.alternatives
            ]
        )
    return table


def _options_by_step(branch: Branch) -> dict[object, Option]:
    """The first of the branch's options taking each step where its options part."""
    _, nexts = _parting_point(branch)
    first: dict[object, Option] = {}
    for option, step in zip(branch.options, nexts, strict=True):
        first.setdefault(step, option)
    return first


def _assemble(
    branches: list[Branch],
    picks: list[list[list[tuple[int, Option]]]],
    chosen: dict[int, int],
    others: dict[int, Option],
    left_out: set[int],
) -> list[Option]:
    """The options of a (partial) choice: fixed branches but ``left_out``,
    ``others``, and those whose decision is made; undecided branches are left out."""
    picked: dict[int, Option] = dict(others)
    for position, alternative_index in chosen.items():
        for index, option in picks[position][alternative_index]:
            picked[index] = option
    result = []
    for index, branch in enumerate(branches):
        if len(branch.options) == 1:
            if index not in left_out:
                result.append(branch.options[0])
        elif index in picked:
            result.append(picked[index])
    return result


def _flatten(options: list[Option]) -> list[GraphPath]:
    return [path for option in options for path in option]
