"""Entity fetches to one subgraph at the same level of a plan, put in one stage.

Apollo's plan shape nests each branch's fetches under the fetch they wait for, so two
``_entities`` fetches to one subgraph in sibling branches (``users.@.reviews.@.product``
and ``topProducts.@.reviews.@.author.reviews.@.product``) start whenever their own
parents answer, each its own subgraph request. This pass lays such a plan out by level
instead: a ``Sequence`` of stages, stage n a ``Parallel`` of every fetch whose longest
chain of fetches before it is n. The executor sends the entity fetches to one subgraph
that start together as one request (``router.execution.entity_batch``), so each stage
costs one request per subgraph.

Why stages and not one fetch with two paths: a ``Flatten`` has one path, so a fetch
merged across paths has no place in Apollo's plan format (printed text or JSON), which
``router plan``, the explorer and the differential tests read. Stages keep every fetch
as Apollo would print it; only their grouping changes. The fetch count is the same and
so is the chain of dependent fetches (a fetch never moves before its level nor after
the level its first dependant needs it by), so nothing waits longer than the plan's
critical path in fetches; what a stage costs is that a fetch may wait for an unrelated
fetch of the stage before.

A fetch no later fetch depends on may run at any level up to the plan's last: it goes
to a later one when that stage already calls its subgraph (one request fewer). The
plan is kept as it was unless the stages need fewer requests than its own shape,
counted the same way (fetches that start together share a request per subgraph).
Mutations (order is the meaning), ``@defer`` and subscriptions are kept as they are, as
is a ``Condition`` with two branches.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.query_plan import (
    Condition,
    Defer,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    Sequence,
    Subscription,
    fetches_in,
)

__all__ = ["merge_same_level_fetches"]

# (variable, include): a one-sided Condition around a fetch, outermost first.
_Conditions = tuple[tuple[str, bool], ...]


@dataclass(slots=True)
class _Placed:
    """One fetch of the plan (with its Flatten) and the levels it may run at."""

    node: Fetch | Flatten
    fetch: Fetch
    conditions: _Conditions
    earliest: int
    latest: int
    level: int = -1


class _Unsupported(Exception):
    """A node this pass keeps as it is."""


def merge_same_level_fetches(plan: QueryPlan) -> QueryPlan:
    """``plan`` laid out in stages when that needs fewer subgraph requests."""
    node = plan.node
    if node is None or isinstance(node, Fetch | Flatten):
        return plan
    if any(fetch.operation_kind != "query" for fetch in fetches_in(node)):
        return plan
    spans: dict[int, int] = {}
    placed: list[_Placed] = []
    try:
        span = _span(node, spans)
        _collect(node, 0, span - 1, (), spans, placed)
    except _Unsupported:
        return plan
    _choose_levels(placed)
    if _requests_by_level(placed) >= _requests_as_planned(node):
        return plan
    return QueryPlan(_stages(placed, span))


def _span(node: PlanNode, spans: dict[int, int]) -> int:
    """How many levels ``node`` needs: its longest chain of fetches."""
    known = spans.get(id(node))
    if known is not None:
        return known
    if isinstance(node, Fetch):
        result = 1
    elif isinstance(node, Flatten):
        if not isinstance(node.node, Fetch):
            raise _Unsupported
        result = 1
    elif isinstance(node, Sequence):
        result = sum(_span(child, spans) for child in node.nodes)
    elif isinstance(node, Parallel):
        result = max((_span(child, spans) for child in node.nodes), default=0)
    elif isinstance(node, Condition):
        if node.if_clause is not None and node.else_clause is not None:
            raise _Unsupported
        branch = node.if_clause if node.if_clause is not None else node.else_clause
        result = 0 if branch is None else _span(branch, spans)
    else:  # Defer, Subscription
        raise _Unsupported
    spans[id(node)] = result
    return result


def _collect(
    node: PlanNode,
    start: int,
    deadline: int,
    conditions: _Conditions,
    spans: dict[int, int],
    out: list[_Placed],
) -> None:
    """Every fetch under ``node`` (which starts at level ``start`` and must be done by
    ``deadline``) with its earliest and latest level, in plan order."""
    if isinstance(node, Fetch):
        out.append(_Placed(node, node, conditions, start, deadline))
    elif isinstance(node, Flatten):
        assert isinstance(node.node, Fetch)
        out.append(_Placed(node, node.node, conditions, start, deadline))
    elif isinstance(node, Sequence):
        at = start
        last = len(node.nodes) - 1
        for index, child in enumerate(node.nodes):
            end = at + spans[id(child)]
            # A child's fetches must be done before the next child starts.
            _collect(
                child,
                at,
                deadline if index == last else end - 1,
                conditions,
                spans,
                out,
            )
            at = end
    elif isinstance(node, Parallel):
        for child in node.nodes:
            _collect(child, start, deadline, conditions, spans, out)
    elif isinstance(node, Condition):
        if node.if_clause is not None:
            _collect(
                node.if_clause,
                start,
                deadline,
                (*conditions, (node.condition, True)),
                spans,
                out,
            )
        elif node.else_clause is not None:
            _collect(
                node.else_clause,
                start,
                deadline,
                (*conditions, (node.condition, False)),
                spans,
                out,
            )
    else:
        raise _Unsupported


def _entity(fetch: Fetch) -> bool:
    """Whether the executor can send ``fetch`` in one request with others."""
    return fetch.requires is not None


def _choose_levels(placed: list[_Placed]) -> None:
    """Each fetch at its earliest level, except a fetch with room to wait, which joins
    the first later stage already calling its subgraph, if any."""
    calling: set[tuple[int, str]] = set()
    waiting: list[_Placed] = []
    for item in placed:
        if item.latest > item.earliest and _entity(item.fetch):
            waiting.append(item)
            continue
        item.level = item.earliest
        if _entity(item.fetch):
            calling.add((item.level, item.fetch.service_name))
    for item in waiting:
        service = item.fetch.service_name
        item.level = next(
            (
                level
                for level in range(item.earliest, item.latest + 1)
                if (level, service) in calling
            ),
            item.earliest,
        )
        calling.add((item.level, service))


def _requests(fetches: list[Fetch]) -> int:
    """Requests for fetches that start together: one per subgraph for entity fetches,
    one each for the others."""
    services = {fetch.service_name for fetch in fetches if _entity(fetch)}
    return len(services) + sum(1 for fetch in fetches if not _entity(fetch))


def _requests_by_level(placed: list[_Placed]) -> int:
    levels: dict[int, list[Fetch]] = {}
    for item in placed:
        levels.setdefault(item.level, []).append(item.fetch)
    return sum(_requests(fetches) for fetches in levels.values())


def _requests_as_planned(node: PlanNode) -> int:
    """Requests of the plan's own shape: the fetches that start together are the
    plan's first ones and those of each ``Sequence`` step after the first."""
    total = _requests(_starting(node))
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Sequence):
            total += sum(_requests(_starting(child)) for child in current.nodes[1:])
            stack.extend(current.nodes)
        elif isinstance(current, Parallel):
            stack.extend(current.nodes)
        elif isinstance(current, Condition):
            stack.extend(
                n for n in (current.if_clause, current.else_clause) if n is not None
            )
    return total


def _starting(node: PlanNode | None) -> list[Fetch]:
    """The fetches that start when ``node`` starts."""
    if node is None:
        return []
    if isinstance(node, Fetch):
        return [node]
    if isinstance(node, Flatten):
        return _starting(node.node)
    if isinstance(node, Sequence):
        return _starting(node.nodes[0]) if node.nodes else []
    if isinstance(node, Parallel):
        return [fetch for child in node.nodes for fetch in _starting(child)]
    if isinstance(node, Condition):
        return _starting(node.if_clause) + _starting(node.else_clause)
    assert not isinstance(node, Defer | Subscription)
    return []


def _stages(placed: list[_Placed], span: int) -> PlanNode:
    stages: list[PlanNode] = []
    for level in range(span):
        nodes = [_wrapped(item) for item in placed if item.level == level]
        if nodes:
            stages.append(nodes[0] if len(nodes) == 1 else Parallel(tuple(nodes)))
    return stages[0] if len(stages) == 1 else Sequence(tuple(stages))


def _wrapped(item: _Placed) -> PlanNode:
    node: PlanNode = item.node
    for variable, include in reversed(item.conditions):
        node = (
            Condition(variable, node, None)
            if include
            else Condition(variable, None, node)
        )
    return node
