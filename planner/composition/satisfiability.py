"""Satisfiability: every field a client can query must be reachable by some query plan.

The check walks the API schema from each root, carrying the set of places the planner
could be in (``planner.planning.paths``: a vertex is a type in a subgraph, with what a
``@provides`` makes available there). At each step every field of the type, and every
type condition of an abstract type, must be reachable from at least one of those places
by the planner's own moves: a field taken in the subgraph, key jumps (chains and keys
collected through other subgraphs), interface-object and root-type jumps, ``@provides``
shortcuts. A field with ``@requires`` counts only where its condition can be planned from
the entity. A field no place can reach gets SATISFIABILITY_ERROR with an example query,
in the shape Apollo reports it; progressive ``@override`` is checked with its labels off
and on.

Because this is the planner's query graph, a supergraph that passes can be planned.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    get_named_type,
    is_abstract_type,
    is_composite_type,
)

from planner.composition.errors import error
from planner.composition.result import CompositionError
from planner.planning.errors import QueryPlanningError
from planner.planning.federation import Federation
from planner.planning.operation import OpField, OpFragment
from planner.planning.paths import (
    NEVER,
    FieldStep,
    GraphPath,
    Option,
    PathAdvancer,
    Vertex,
)
from planner.planning.traversal import collect_branches_from, field_set_selections
from planner.supergraph import JoinView
from planner.supergraph.fieldsets import parse_field_set

__all__ = ["check_satisfiability"]

_MAX_ERRORS = 10
# States (a type and the places the planner may be) explored per label setting: enough
# for graphs far larger than real ones, a bound for pathological ones.
_MAX_STATES = 200_000

# A place the planner may be: the tails of one option's simultaneous paths.
_Place = tuple[Vertex, ...]


@dataclass(frozen=True, slots=True)
class _State:
    type_name: str
    places: frozenset[_Place]
    path: tuple[str, ...]  # response path of the example query ("... on T" steps too)
    kind: str  # the root's operation kind


def check_satisfiability(supergraph: JoinView) -> list[CompositionError]:
    """Errors for every field some query reaches but no plan can fetch."""
    federation = Federation(supergraph)
    labels = _override_labels(supergraph)
    errors: list[CompositionError] = []
    reported: set[str] = set()
    for active in (frozenset(), labels) if labels else (frozenset(),):
        checker = _Checker(federation, PathAdvancer(federation, active))
        for found in checker.run():
            if found.coordinate not in reported and len(errors) < _MAX_ERRORS:
                reported.add(found.coordinate or "")
                errors.append(found)
    return errors


def _override_labels(supergraph: JoinView) -> frozenset[str]:
    return frozenset(
        join.override_label
        for type_join in supergraph.types.values()
        for field_join in type_join.fields.values()
        for join in field_join.joins
        if join.override_label
    )


class _Checker:
    def __init__(self, federation: Federation, advancer: PathAdvancer) -> None:
        self.fed = federation
        self.advancer = advancer
        self.api: GraphQLSchema = federation.supergraph.api_schema
        self._conditions: dict[tuple[str, str, str], bool] = {}
        self._moves: dict[tuple[_Place, str, str], frozenset[_Place] | None] = {}

    def run(self) -> list[CompositionError]:
        errors: list[CompositionError] = []
        reported: set[tuple[str, str]] = set()
        # Place sets already explored per type. A state whose places include all of an
        # explored set's can find nothing new: every query that fails from it failed
        # from the smaller set already (Apollo prunes its validation the same way).
        visited: dict[str, list[frozenset[_Place]]] = {}
        queue: deque[_State] = deque()
        roots = (
            ("query", self.api.query_type),
            ("mutation", self.api.mutation_type),
            ("subscription", self.api.subscription_type),
        )
        for kind, root in roots:
            if root is not None:
                start = (Vertex(root.name, None),)
                queue.append(_State(root.name, frozenset({start}), (), kind))
        explored = 0
        while queue and len(errors) < _MAX_ERRORS and explored < _MAX_STATES:
            state = queue.popleft()
            earlier = visited.setdefault(state.type_name, [])
            if any(places <= state.places for places in earlier):
                continue
            earlier.append(state.places)
            explored += 1
            named = self.api.get_type(state.type_name)
            if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
                for field_name, field in named.fields.items():
                    child = get_named_type(field.type)
                    selection = OpField(
                        name=field_name,
                        alias=None,
                        arguments=(),
                        directives=(),
                        selections=() if is_composite_type(child) else None,
                        merge_key=field_name,
                    )
                    places = self._advance(state, selection)
                    path = (*state.path, field_name)
                    if places is None:
                        continue  # no object can be here
                    if not places:
                        if (state.type_name, field_name) not in reported:
                            reported.add((state.type_name, field_name))
                            errors.append(self._error(state, field_name, path))
                        continue
                    if is_composite_type(child):
                        queue.append(_State(child.name, places, path, state.kind))
            if is_abstract_type(named):
                assert isinstance(named, GraphQLInterfaceType | GraphQLUnionType)
                for runtime in self.api.get_possible_types(named):
                    fragment = OpFragment(
                        type_condition=runtime.name,
                        directives=(),
                        selections=(),
                        merge_key="..." + runtime.name,
                    )
                    places = self._advance(state, fragment)
                    if places:
                        path = (*state.path, f"... on {runtime.name}")
                        queue.append(_State(runtime.name, places, path, state.kind))
        return errors

    def _advance(
        self, state: _State, selection: OpField | OpFragment
    ) -> frozenset[_Place] | None:
        """Where the planner may be after ``selection`` from the state's places; None
        when the selection can never apply (no object there can be of that type)."""
        found: set[_Place] = set()
        applies = False
        if isinstance(selection, OpField):
            kind, name = "field", selection.name
        else:
            kind, name = "fragment", selection.type_condition
        for place in state.places:
            key = (place, kind, name)
            if key in self._moves:
                moved = self._moves[key]
            else:
                moved = self._moves[key] = self._move(place, selection)
            if moved is None:
                continue
            applies = True
            found |= moved
        if not applies:
            return None
        return frozenset(found)

    def _move(
        self, place: _Place, selection: OpField | OpFragment
    ) -> frozenset[_Place] | None:
        option: Option = tuple(GraphPath((), vertex, 0) for vertex in place)
        advanced = self.advancer.advance_option(option, selection)
        if advanced is NEVER:
            return None
        assert isinstance(advanced, list)
        return frozenset(
            tuple(path.tail for path in result)
            for result in advanced
            if all(self._conditions_hold(path) for path in result)
        )

    def _conditions_hold(self, path: GraphPath) -> bool:
        """A ``@requires`` field on the path counts only if its condition can be
        planned from the entity in its subgraph."""
        for step in path.steps:
            if not isinstance(step, FieldStep) or not step.requires:
                continue
            key = (step.parent_type, step.graph, step.requires)
            held = self._conditions.get(key)
            if held is None:
                try:
                    branches = collect_branches_from(
                        self.advancer,
                        Vertex(step.parent_type, step.graph),
                        field_set_selections(parse_field_set(step.requires)),
                    )
                    held = bool(branches)
                except QueryPlanningError:
                    held = False
                self._conditions[key] = held
            if not held:
                return False
        return True

    def _error(
        self, state: _State, field_name: str, path: tuple[str, ...]
    ) -> CompositionError:
        coordinate = f"{state.type_name}.{field_name}"
        graphs = sorted(
            {v.graph for place in state.places for v in place if v.graph is not None}
        )
        requiring = [
            graph
            for graph in graphs
            if (info := self.fed.field_graphs(state.type_name, field_name).get(graph))
            is not None
            and info.requires
        ]
        reasons = []
        for graph in graphs:
            if graph in requiring:
                reasons.append(
                    f'- from subgraph "{graph}": cannot satisfy @require conditions '
                    f'on field "{coordinate}".'
                )
            else:
                reasons.append(
                    f'- from subgraph "{graph}": cannot find field "{coordinate}".'
                )
        query = _example_query(state.kind, list(path))
        message = (
            f"The following supergraph API query:\n{query}\n"
            "cannot be satisfied by the subgraphs because:\n" + "\n".join(reasons)
        )
        return error("SATISFIABILITY_ERROR", message, tuple(graphs), coordinate)


def _example_query(kind: str, fields: list[str]) -> str:
    lines = [("{" if kind == "query" else f"{kind} {{")]
    for depth, name in enumerate(fields, start=1):
        last = depth == len(fields)
        lines.append("  " * depth + name + ("" if last else " {"))
    for depth in range(len(fields) - 1, 0, -1):
        lines.append("  " * depth + "}")
    lines.append("}")
    return "\n".join(lines)
