"""Paths through the federated query graph, and the options for each selection.

A vertex is (type, subgraph, provided fields); the fake root has no subgraph. A path is
the steps taken from the root: a field taken in a subgraph, a downcast, a key jump into
another subgraph (``_entities``), or a jump between root types. An *option* for a
selection is a set of simultaneous paths: one, or one per implementation once an
interface is exploded (QUERY_PLANNING.md §2.2).

The edges are not materialised as a graph: they are derived on demand from
``Federation``, which answers the same questions (field edges, downcasts, key edges,
interface-object edges) and caches them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from planner.planning.federation import Federation, FieldInGraph, KeyEntry
from planner.planning.operation import OpField, OpFragment, OpSelection
from planner.supergraph import TypeKind
from planner.supergraph.fieldsets import parse_field_set

__all__ = [
    "NEVER",
    "FieldStep",
    "FragmentStep",
    "GraphPath",
    "KeyStep",
    "Option",
    "PathAdvancer",
    "Provided",
    "RootJumpStep",
    "Step",
    "Vertex",
]

MAX_KEY_CHAIN = 3
# Vertices whose key jumps an advancer keeps (a planner keeps its advancers between
# operations; vertices narrowed by type conditions or @provides vary with them).
_JUMPS_KEPT = 20_000
JUMP_COST = 1
REQUIRES_COST = 1


class Provided:
    """Fields a ``@provides`` makes available below a field: name -> nested Provided."""

    __slots__ = ("_hash", "fields")

    def __init__(self, fields: dict[str, Provided | None]) -> None:
        self.fields = fields
        self._hash = hash(tuple(sorted(fields)))

    @classmethod
    def parse(cls, field_set: str) -> Provided:
        return cls._from_node(parse_field_set(field_set))

    @classmethod
    def _from_node(cls, node: SelectionSetNode) -> Provided:
        fields: dict[str, Provided | None] = {}
        for selection in node.selections:
            if isinstance(selection, FieldNode):
                nested = (
                    cls._from_node(selection.selection_set)
                    if selection.selection_set
                    else None
                )
                previous = fields.get(selection.name.value)
                if previous is not None and nested is not None:
                    nested = Provided({**previous.fields, **nested.fields})
                fields[selection.name.value] = nested or previous
            elif isinstance(selection, InlineFragmentNode):
                for name, nested in cls._from_node(
                    selection.selection_set
                ).fields.items():
                    fields.setdefault(name, nested)
        return cls(fields)

    def __contains__(self, name: str) -> bool:
        return name in self.fields

    def below(self, name: str) -> Provided | None:
        return self.fields.get(name)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Provided) and self.fields == other.fields

    def __hash__(self) -> int:
        return self._hash


@dataclass(frozen=True, slots=True)
class Vertex:
    """A position in the query graph. ``runtime`` narrows an abstract ``type`` to the
    object types enclosing type conditions allow (None: every possible type)."""

    type: str
    graph: str | None
    provided: Provided | None = None
    runtime: frozenset[str] | None = None


# Steps are dictionary keys in every path tree built, once per plan evaluated: each
# remembers its hash (the one the dataclass would compute).
def _remember_hash(step: object, *values: object) -> None:
    object.__setattr__(step, "hash_", hash(values))


@dataclass(frozen=True, slots=True)
class FieldStep:
    field: OpField
    graph: str
    parent_type: str
    field_type: str
    requires: str | None
    hash_: int = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _remember_hash(
            self,
            self.field,
            self.graph,
            self.parent_type,
            self.field_type,
            self.requires,
        )

    def __hash__(self) -> int:
        return self.hash_


@dataclass(frozen=True, slots=True)
class FragmentStep:
    """A type condition: the client's fragment, or a planner-made downcast (None)."""

    fragment: OpFragment | None
    graph: str
    type_condition: str
    printed_condition: str | None
    hash_: int = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _remember_hash(
            self, self.fragment, self.graph, self.type_condition, self.printed_condition
        )

    def __hash__(self) -> int:
        return self.hash_


@dataclass(frozen=True, slots=True)
class KeyStep:
    """``_entities`` from ``source_type`` in ``from_graph`` into ``target_type`` in
    ``to_graph``, with ``key`` as representation."""

    source_type: str
    from_graph: str
    to_graph: str
    target_type: str
    key: KeyEntry
    hash_: int = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _remember_hash(
            self,
            self.source_type,
            self.from_graph,
            self.to_graph,
            self.target_type,
            self.key,
        )

    def __hash__(self) -> int:
        return self.hash_


@dataclass(frozen=True, slots=True)
class RootJumpStep:
    from_graph: str
    to_graph: str
    root_type: str
    hash_: int = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _remember_hash(self, self.from_graph, self.to_graph, self.root_type)

    def __hash__(self) -> int:
        return self.hash_


Step = FieldStep | FragmentStep | KeyStep | RootJumpStep


@dataclass(frozen=True, slots=True)
class GraphPath:
    steps: tuple[Step, ...]
    tail: Vertex
    cost: int


Option = tuple[GraphPath, ...]


class _Never:
    """The selection can never apply on this path (a type condition that cannot match)."""

    def __repr__(self) -> str:
        return "NEVER"


NEVER = _Never()
Advance = list[Option] | _Never


class PathAdvancer:
    """Computes how each path can advance by one selection."""

    def __init__(self, federation: Federation, labels: frozenset[str]) -> None:
        self.fed = federation
        self.labels = labels
        self._jump_cache: dict[Vertex, list[tuple[tuple[Step, ...], Vertex, int]]] = {}

    # -- options ---------------------------------------------------------------

    def advance_option(self, option: Option, selection: OpSelection) -> Advance:
        """Options after ``selection``: each path of ``option`` advanced, combined."""
        per_path: list[list[Option]] = []
        for path in option:
            result = self.advance_path(path, selection)
            if isinstance(result, _Never):
                continue
            if not result:
                return []
            per_path.append(result)
        if not per_path:
            return NEVER
        if len(per_path) == 1:
            return per_path[0]
        combined: list[Option] = []
        for combo in itertools.islice(itertools.product(*per_path), 64):
            combined.append(tuple(p for option_part in combo for p in option_part))
        return combined

    def advance_path(self, path: GraphPath, selection: OpSelection) -> Advance:
        if isinstance(selection, OpField):
            if (
                path.tail.graph is not None
                and selection.name != "__typename"
                and _defer_on_tail(path)
            ):
                deferred = self._deferred_field(path, selection)
                if deferred:
                    return deferred
            return self._advance_field(path, selection)
        return self._advance_fragment(path, selection)

    def _deferred_field(self, path: GraphPath, field: OpField) -> list[Option]:
        """A field right inside a deferred fragment comes from a fetch of its own: only
        options that jump by a key, into another subgraph or back into this one
        (QUERY_PLANNING.md §2.10). None when no key allows it: the field is then
        fetched where the entity is, and the deferred part waits for nothing."""
        tail = path.tail
        options: list[Option] = []
        jumps = [*self._self_jumps(tail), *self.jumps(tail)]
        for steps, vertex, cost in jumps:
            jumped = GraphPath((*path.steps, *steps), vertex, path.cost + cost)
            direct = self._direct_field(jumped, field)
            if isinstance(direct, _Never):
                continue
            options.extend(direct)
        return _dedupe(options)

    def _self_jumps(self, tail: Vertex) -> list[tuple[tuple[Step, ...], Vertex, int]]:
        """The key jump from ``tail`` back into its own subgraph (only @defer uses it)."""
        fed = self.fed
        graph = tail.graph
        assert graph is not None
        if fed.kind(tail.type) != TypeKind.OBJECT and not fed.is_interface_object(
            tail.type, graph
        ):
            return []
        for key in fed.keys_into(tail.type, graph):
            if self.covers(tail, key.selection):
                step = KeyStep(tail.type, graph, graph, tail.type, key)
                return [((step,), Vertex(tail.type, graph), JUMP_COST)]
        return []

    # -- fields ----------------------------------------------------------------

    def _advance_field(self, path: GraphPath, field: OpField) -> Advance:
        tail = path.tail
        if tail.graph is None:
            return [
                (self._take(path, field, graph, tail.type, info),)
                for graph in self.fed.graphs_declaring(tail.type, field.name)
                if (
                    info := self.fed.resolves(tail.type, field.name, graph, self.labels)
                )
            ]
        direct = self._direct_field(path, field)
        if isinstance(direct, _Never):
            return NEVER
        if direct and field.selections is None and len(direct[0]) == 1:
            return direct
        return _dedupe([*direct, *self._indirect_field(path, field)])

    def _direct_field(self, path: GraphPath, field: OpField) -> Advance:
        tail = path.tail
        type_name, graph = tail.type, tail.graph
        assert graph is not None
        fed = self.fed
        provided = tail.provided is not None and field.name in tail.provided
        if field.name == "__typename":
            if fed.is_interface_object(type_name, graph):
                return []
            info = fed.resolves(type_name, "__typename", graph, self.labels)
            return [(self._take(path, field, graph, type_name, info),)] if info else []
        kind = fed.kind(type_name)
        if kind == TypeKind.OBJECT or fed.is_interface_object(type_name, graph):
            info = fed.resolves(type_name, field.name, graph, self.labels, provided)
            return [(self._take(path, field, graph, type_name, info),)] if info else []
        if kind != TypeKind.INTERFACE:
            return []
        implementations = self._runtime_types(tail)
        info = fed.resolves(type_name, field.name, graph, self.labels, provided)
        if info is not None and not info.requires:
            local = all(
                (
                    impl_info := fed.resolves(
                        impl, field.name, graph, self.labels, provided
                    )
                )
                is not None
                and not impl_info.requires
                for impl in implementations
            )
            if local:
                return [(self._take(path, field, graph, type_name, info),)]
        if not implementations:
            return NEVER
        per_type: list[list[Option]] = []
        for implementation in implementations:
            down = self._downcast(path, None, graph, implementation, implementation)
            advanced = self._advance_field(down, field)
            if isinstance(advanced, _Never):
                continue
            if not advanced:
                return []
            per_type.append(advanced[:4])
        if not per_type:
            return NEVER
        return [
            tuple(p for part in combo for p in part)
            for combo in itertools.islice(itertools.product(*per_type), 32)
        ]

    def _indirect_field(self, path: GraphPath, field: OpField) -> list[Option]:
        tail = path.tail
        assert tail.graph is not None
        options: list[Option] = []
        if tail.type in self.fed.root_types:
            for graph in self.fed.graph_order:
                if graph == tail.graph:
                    continue
                info = self.fed.resolves(tail.type, field.name, graph, self.labels)
                if info is None:
                    continue
                jumped = GraphPath(
                    (*path.steps, RootJumpStep(tail.graph, graph, tail.type)),
                    Vertex(tail.type, graph),
                    path.cost + JUMP_COST,
                )
                options.append((self._take(jumped, field, graph, tail.type, info),))
            return options
        for steps, vertex, cost in self.jumps(tail):
            jumped = GraphPath((*path.steps, *steps), vertex, path.cost + cost)
            direct = self._direct_field(jumped, field)
            if isinstance(direct, _Never):
                continue
            options.extend(direct)
        return options

    def _take(
        self,
        path: GraphPath,
        field: OpField,
        graph: str,
        parent_type: str,
        info: FieldInGraph,
    ) -> GraphPath:
        field_type = self.fed.field_type(parent_type, field.name)
        provided: Provided | None = None
        if info.provides:
            provided = Provided.parse(info.provides)
        elif path.tail.provided is not None:
            provided = path.tail.provided.below(field.name)
        step = FieldStep(field, graph, parent_type, field_type, info.requires)
        cost = path.cost + (REQUIRES_COST if info.requires else 0)
        return GraphPath((*path.steps, step), Vertex(field_type, graph, provided), cost)

    # -- fragments ---------------------------------------------------------------

    def _runtime_types(self, vertex: Vertex) -> tuple[str, ...]:
        """The object types a value at ``vertex`` can be, in its subgraph."""
        assert vertex.graph is not None
        types = self.fed.possible_types_in(vertex.type, vertex.graph)
        if vertex.runtime is None:
            return types
        return tuple(t for t in types if t in vertex.runtime)

    def _downcast(
        self,
        path: GraphPath,
        fragment: OpFragment | None,
        graph: str,
        type_condition: str,
        printed: str | None,
    ) -> GraphPath:
        step = FragmentStep(fragment, graph, type_condition, printed)
        tail = path.tail
        enclosing = tail.runtime
        if enclosing is None:
            # What the subgraph at hand can return, not what the supergraph allows:
            # ``... on Feed { ... on Order }`` under a ``Media`` field of a subgraph
            # where ``Order`` is no ``Media`` must not ask ``... on Order`` there (the
            # subgraph refuses the query).
            if tail.graph is not None and not self.fed.is_interface_object(
                tail.type, tail.graph
            ):
                enclosing = frozenset(self.fed.possible_types_in(tail.type, tail.graph))
            else:
                enclosing = frozenset(self.fed.possible_types(tail.type))
        runtime = enclosing & frozenset(self.fed.possible_types(type_condition))
        return GraphPath(
            (*path.steps, step),
            Vertex(type_condition, graph, path.tail.provided, runtime),
            path.cost,
        )

    def _advance_fragment(self, path: GraphPath, fragment: OpFragment) -> Advance:
        tail = path.tail
        fed = self.fed
        graph = tail.graph
        assert graph is not None, "root fragments are distributed before planning"
        condition = fragment.type_condition
        current = tail.type
        if condition == current:
            printed = None if fragment.untyped else condition
            return [(self._downcast(path, fragment, graph, current, printed),)]
        condition_types = set(fed.possible_types(condition))
        if fed.is_interface_object(current, graph):
            return self._fragment_elsewhere(path, fragment)
        # The subgraph query may name the condition only where it is valid there: the
        # subgraph defines it, and every object that can reach here is one of its
        # members in that subgraph. Otherwise it names the object types themselves.
        if not fed.is_abstract(current):
            if current not in condition_types:
                return NEVER
            printed = (
                condition
                if current in fed.possible_types_in(condition, graph)
                else current
            )
            return [(self._downcast(path, fragment, graph, current, printed),)]
        runtime = [t for t in self._runtime_types(tail) if t in condition_types]
        if not runtime:
            return NEVER
        if not fed.is_abstract(condition):
            return [(self._downcast(path, fragment, graph, condition, condition),)]
        if fed.has_type(condition, graph) and set(runtime) <= set(
            fed.possible_types_in(condition, graph)
        ):
            return [(self._downcast(path, fragment, graph, condition, condition),)]
        return [tuple(self._downcast(path, fragment, graph, t, t) for t in runtime)]

    def _fragment_elsewhere(self, path: GraphPath, fragment: OpFragment) -> Advance:
        """A type condition below an ``@interfaceObject``: only a subgraph that knows the
        real type can tell which objects match."""
        options: list[Option] = []
        for steps, vertex, cost in self.jumps(path.tail):
            assert vertex.graph is not None
            if self.fed.is_interface_object(vertex.type, vertex.graph):
                continue
            jumped = GraphPath((*path.steps, *steps), vertex, path.cost + cost)
            advanced = self._advance_fragment(jumped, fragment)
            if isinstance(advanced, _Never):
                continue
            options.extend(advanced)
        return options

    # -- key jumps ---------------------------------------------------------------

    def jumps(self, tail: Vertex) -> list[tuple[tuple[Step, ...], Vertex, int]]:
        """Key-jump chains from ``tail`` to other subgraphs: the shortest to each
        (type, subgraph), never back to where it started."""
        cached = self._jump_cache.get(tail)
        if cached is not None:
            return cached
        assert tail.graph is not None
        seen = {(tail.type, tail.graph)}
        origin = tail.graph
        results: list[tuple[tuple[Step, ...], Vertex, int]] = []
        frontier: list[tuple[tuple[Step, ...], Vertex, int]] = [((), tail, 0)]
        for _ in range(MAX_KEY_CHAIN):
            next_frontier = []
            for steps, vertex, cost in frontier:
                for step, target in self.key_edges(vertex):
                    assert target.graph is not None
                    if target.graph == origin or (target.type, target.graph) in seen:
                        continue
                    seen.add((target.type, target.graph))
                    entry = ((*steps, step), target, cost + JUMP_COST)
                    results.append(entry)
                    next_frontier.append(entry)
            frontier = next_frontier
            if not frontier:
                break
        if len(self._jump_cache) >= _JUMPS_KEPT:
            self._jump_cache.clear()
        self._jump_cache[tail] = results
        return results

    def key_edges(self, vertex: Vertex) -> list[tuple[KeyStep, Vertex]]:
        """One key jump from ``vertex`` to each subgraph it can enter, with the first key
        whose fields ``vertex`` can give."""
        fed = self.fed
        graph = vertex.graph
        assert graph is not None
        type_name = vertex.type
        targets: list[tuple[str, str]] = [
            (type_name, other) for other in fed.graphs_with(type_name) if other != graph
        ]
        if fed.kind(type_name) == TypeKind.OBJECT:
            for interface, other in fed.interface_objects_of(type_name):
                if other != graph:
                    targets.append((interface, other))
        edges = []
        for target_type, other in targets:
            for key in fed.keys_into(target_type, other):
                if self.covers(vertex, key.selection):
                    step = KeyStep(type_name, graph, other, target_type, key)
                    edges.append((step, Vertex(target_type, other)))
                    break
        return edges

    def covers(self, vertex: Vertex, selection: SelectionSetNode) -> bool:
        """Whether ``vertex``'s subgraph can give every field of ``selection`` itself."""
        graph = vertex.graph
        assert graph is not None
        for node in selection.selections:
            if isinstance(node, InlineFragmentNode):
                if not self.covers(vertex, node.selection_set):
                    return False
                continue
            if not isinstance(node, FieldNode):
                return False
            name = node.name.value
            if name == "__typename":
                continue
            provided = vertex.provided is not None and name in vertex.provided
            info = self.fed.resolves(vertex.type, name, graph, self.labels, provided)
            if info is None or info.requires:
                return False
            if node.selection_set is not None:
                nested = Vertex(
                    self.fed.field_type(vertex.type, name),
                    graph,
                    vertex.provided.below(name) if vertex.provided else None,
                )
                if not self.covers(nested, node.selection_set):
                    return False
        return True


def _defer_on_tail(path: GraphPath) -> bool:
    """Whether the path entered a deferred fragment since its last field."""
    for step in reversed(path.steps):
        if isinstance(step, FieldStep | KeyStep | RootJumpStep):
            return False
        if step.fragment is not None and step.fragment.defer is not None:
            return True
    return False


def _dedupe(options: list[Option]) -> list[Option]:
    seen: set[tuple[tuple[Step, ...], ...]] = set()
    result = []
    for option in options:
        key = tuple(path.steps for path in option)
        if key in seen:
            continue
        seen.add(key)
        result.append(option)
    return result
