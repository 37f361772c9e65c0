"""The query planner: a client operation in, a query plan out.

Pure and synchronous. Normalise the operation, collect each leaf's options through the
query graph, choose one per leaf (greedy, then bounded branch-and-bound), build the
fetch dependency graph from the chosen paths, and turn it into plan nodes.

``@defer`` (QUERY_PLANNING.md §2.10): a deferred fragment's fields are planned through a
key jump, into fetches of their own that a ``Defer`` node runs after the fetches they
wait for. ``@defer(if: $v)`` plans the operation twice, under a top-level
``Condition``: deferred when ``$v`` is true, in one part when it is false.

A subscription plans like a query; ``plan_builder`` turns the plan into Apollo's
``Subscription`` node (its root fetch, then the rest that completes each event).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from graphql import DocumentNode, OperationType

from planner.collector import collector_paused
from planner.planning.client_aliases import planner_field_names
from planner.planning.errors import QueryPlanningError
from planner.planning.federation import Federation
from planner.planning.fetch_graph import (
    PathTree,
    RequirementPlans,
    SharedSubtrees,
    build_fetch_graph,
)
from planner.planning.fetch_levels import merge_same_level_fetches
from planner.planning.operation import normalize_operation
from planner.planning.paths import GraphPath, PathAdvancer
from planner.planning.plan_builder import build_plan
from planner.planning.search import SearchLimits, choose_paths, plan_cost
from planner.planning.traversal import collect_branches, distribute_root_fragments
from planner.query_plan import Condition, QueryPlan
from planner.supergraph import Supergraph

__all__ = ["PlannerConfig", "QueryPlanner"]

_ADVANCERS_KEPT = 16


# `@defer(if: $v)` variables planned both ways (a `Condition` node each, so up to
# 2**MAX_DEFER_CONDITIONS plans per operation): fourteen took 39 s of planning.
MAX_DEFER_CONDITIONS = 4


@dataclass(frozen=True, slots=True)
class PlannerConfig:
    """Planning limits: plans evaluated per operation and wall-clock seconds (the best plan
    found so far is returned when either is reached)."""

    max_evaluated_plans: int = 10_000
    time_budget_seconds: float = 5.0
    # Plan @defer into Defer nodes (Apollo's incrementalDelivery.enableDefer); off,
    # @defer is stripped and the operation planned as one part.
    defer_support: bool = True
    # Lay a plan out in stages by level when that sends fewer subgraph requests
    # (``fetch_levels``); off, the plan keeps Apollo's shape.
    merge_same_level_fetches: bool = True


class QueryPlanner:
    """Plans operations against one supergraph; build once, reuse for every request."""

    def __init__(
        self, supergraph: Supergraph, config: PlannerConfig | None = None
    ) -> None:
        self.supergraph = supergraph
        self.config = config or PlannerConfig()
        self.federation = Federation(supergraph)
        self.shadowed = planner_field_names(supergraph)
        self.keep_typename = frozenset(
            name
            for name, join in supergraph.types.items()
            if any(j.is_interface_object for j in join.joins)
        )
        # Per set of active override labels (a few per supergraph: progressive
        # override rolls them per request).
        self._advancers: dict[frozenset[str], PathAdvancer] = {}

    def _advancer(self, labels: frozenset[str]) -> PathAdvancer:
        """The path advancer for these override labels, kept between operations: the
        key jumps it finds from a vertex depend on the supergraph and labels only."""
        advancer = self._advancers.get(labels)
        if advancer is None:
            if len(self._advancers) >= _ADVANCERS_KEPT:
                self._advancers.clear()
            advancer = self._advancers[labels] = PathAdvancer(self.federation, labels)
        return advancer

    def plan(
        self,
        document: DocumentNode,
        operation_name: str | None = None,
        override_labels: frozenset[str] = frozenset(),
    ) -> QueryPlan:
        """The plan for ``operation_name`` in ``document`` (validated against the API
        schema). Raises ``QueryPlanningError``."""
        try:
            # Every choice the search evaluates builds a fetch graph; the collector
            # would rescan the caller's heap for them (``planner.collector``).
            with collector_paused():
                plan = self._plan(document, operation_name, override_labels)
        except RecursionError as error:
            raise QueryPlanningError(
                "QUERY_PLANNING_FAILED", "The operation is too deeply nested to plan."
            ) from error
        if self.config.merge_same_level_fetches:
            merged = merge_same_level_fetches(plan)
            return replace(merged, client_aliases=plan.client_aliases)
        return plan

    def _plan(
        self,
        document: DocumentNode,
        operation_name: str | None,
        override_labels: frozenset[str],
        defer_on: frozenset[str] = frozenset(),
        defer_off: frozenset[str] = frozenset(),
        share: float = 1.0,
    ) -> QueryPlan:
        """``defer_on``/``defer_off``: the ``@defer(if:)`` variables decided so far;
        ``share``: the part of the time budget this plan may search for. Each
        valuation of those variables is a plan of its own, and together they get the
        operation's budget, not one each: two variables planned four times over ran
        past the router's planning deadline."""
        # PORT_NOTE: each subscription event is sent whole, so @defer in a
        # subscription is ignored (the normaliser strips it) rather than planned into
        # a Defer node.
        operation = normalize_operation(
            self.supergraph.schema,
            document,
            operation_name,
            self.keep_typename,
            defer=self.config.defer_support,
            defer_off=defer_off,
            shadowed=self.shadowed,
        )
        decided = defer_on | defer_off
        undecided = [v for v in operation.defer_conditions if v not in decided]
        if undecided and len(decided) >= MAX_DEFER_CONDITIONS:
            # PORT_NOTE: each variable doubles the plans; past the cap, the remaining
            # fragments are delivered inline whatever their variable says, which the
            # incremental-delivery spec allows (a server may always not defer).
            return self._plan(
                document,
                operation_name,
                override_labels,
                defer_on,
                defer_off | frozenset(undecided),
                share,
            )
        if undecided:
            variable = undecided[0]
            deferred = self._plan(
                document,
                operation_name,
                override_labels,
                defer_on | {variable},
                defer_off,
                share / 2,
            )
            whole = self._plan(
                document,
                operation_name,
                override_labels,
                defer_on,
                defer_off | {variable},
                share / 2,
            )
            return QueryPlan(
                Condition(variable, deferred.node, whole.node),
                operation.client_aliases,
            )
        advancer = self._advancer(override_labels)
        fields = distribute_root_fragments(operation.selections)
        serial = operation.kind == OperationType.MUTATION
        limits = SearchLimits(
            self.config.max_evaluated_plans, self.config.time_budget_seconds * share
        )

        # The search comes back to choices it already costed (about one in six). Each
        # entry keeps its paths alive, so their ids keep naming the same choice.
        costs: dict[tuple[int, ...], tuple[list[GraphPath], float]] = {}
        subtrees: SharedSubtrees = {}
        requirements: RequirementPlans = {}

        def evaluate(paths: list[GraphPath]) -> float:
            key = tuple(map(id, paths))
            known = costs.get(key)
            if known is not None:
                return known[1]
            graph = build_fetch_graph(
                self.federation,
                advancer,
                PathTree.from_paths(paths, subtrees),
                operation.root_type,
                serial,
                requirements,
            )
            cost = plan_cost(graph)
            costs[key] = (paths, cost)
            return cost

        if serial:
            paths: list[GraphPath] = []
            for field in fields:
                branches = collect_branches(advancer, operation.root_type, (field,))
                paths.extend(choose_paths(branches, evaluate, limits))
        else:
            branches = collect_branches(advancer, operation.root_type, fields)
            paths = choose_paths(branches, evaluate, limits)
        graph = build_fetch_graph(
            self.federation,
            advancer,
            PathTree.from_paths(paths),
            operation.root_type,
            serial,
        )
        plan = build_plan(
            graph, operation.definition, self.federation, operation.selections
        )
        if operation.client_aliases:
            plan = replace(plan, client_aliases=operation.client_aliases)
        return plan
