"""What each subgraph can do, read from the supergraph's join model.

The planner's questions, answered once per supergraph and cached: which subgraphs
resolve ``T.f`` (honouring ``@external``, ``@override`` and progressive-override labels),
with which ``@requires``/``@provides``; which keys let ``_entities`` enter a subgraph;
which object types an abstract type can be at run time in one subgraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from graphql import (
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
)

from planner.planning.errors import QueryPlanningError
from planner.planning.required_fields import alias_required_arguments
from planner.query_plan import KeyRenamer
from planner.supergraph import JoinField, JoinView, TypeKind
from planner.supergraph.fieldsets import parse_field_set

__all__ = ["Federation", "FieldInGraph", "KeyEntry", "sanitize_graph_name"]


@dataclass(frozen=True, slots=True)
class FieldInGraph:
    """How one subgraph serves ``T.f``."""

    external: bool
    requires: str | None
    provides: str | None
    override_label: str | None
    label_owner: bool  # with a label: True for the new owner, False for the old one
    from_context: bool = False  # has arguments a @fromContext fills (not planned yet)


@dataclass(frozen=True, slots=True)
class KeyEntry:
    """A resolvable ``@key`` through which ``_entities`` enters ``graph`` as ``type``."""

    type: str
    graph: str
    fields: str
    selection: SelectionSetNode


def sanitize_graph_name(name: str) -> str:
    """A subgraph name made usable inside a GraphQL operation name."""
    return re.sub(r"[^_0-9A-Za-z]", "_", name)


class Federation:
    """Read-only index over a supergraph for planning."""

    def __init__(self, supergraph: JoinView) -> None:
        self.supergraph = supergraph
        self.schema: GraphQLSchema = supergraph.schema
        self.graph_order = supergraph.subgraph_names
        self._fields: dict[tuple[str, str], dict[str, FieldInGraph]] = {}
        self._possible: dict[tuple[str, str], tuple[str, ...]] = {}
        self._keys: dict[tuple[str, str], tuple[KeyEntry, ...]] = {}
        # Asked for every (type, subgraph) pair a key jump considers: read once.
        self._graphs: dict[str, tuple[str, ...]] = {}
        self._ordered: dict[str, tuple[str, ...]] = {}
        self._graph_sets: dict[str, frozenset[str]] = {}
        self._interface_objects: dict[str, frozenset[str]] = {}
        self._requires: dict[
            tuple[str, str], tuple[SelectionSetNode, tuple[KeyRenamer, ...]]
        ] = {}
        # Asked for every field and type walked into each plan evaluated.
        self._list_depths: dict[tuple[str, str], int] = {}
        self._abstract = frozenset(
            name
            for name, join in supergraph.types.items()
            if join.kind in (TypeKind.INTERFACE, TypeKind.UNION)
        )

    def required_fields(
        self, type_name: str, requires: str
    ) -> tuple[SelectionSetNode, tuple[KeyRenamer, ...]]:
        """A ``@requires`` field set on ``type_name`` as fetched, and the renamers
        that undo its aliases (``alias_required_arguments``); every plan evaluated
        asks again, so it is read once."""
        found = self._requires.get((type_name, requires))
        if found is None:
            found = self._requires[(type_name, requires)] = alias_required_arguments(
                parse_field_set(requires), type_name, self.schema
            )
        return found

    # -- types ---------------------------------------------------------------

    def kind(self, type_name: str) -> TypeKind:
        return self.supergraph.types[type_name].kind

    def is_abstract(self, type_name: str) -> bool:
        return type_name in self._abstract

    def type_graphs(self, type_name: str) -> tuple[str, ...]:
        graphs = self._graphs.get(type_name)
        if graphs is None:
            join = self.supergraph.types.get(type_name)
            graphs = self._graphs[type_name] = join.graphs if join else ()
        return graphs

    def graphs_with(self, type_name: str) -> tuple[str, ...]:
        """The subgraphs that have ``type_name``, in subgraph order."""
        ordered = self._ordered.get(type_name)
        if ordered is None:
            graphs = set(self.type_graphs(type_name))
            ordered = self._ordered[type_name] = tuple(
                g for g in self.graph_order if g in graphs
            )
        return ordered

    def graphs_declaring(self, type_name: str, field_name: str) -> tuple[str, ...]:
        """The subgraphs that declare ``T.f`` (all of ``T``'s for ``__typename``), in
        subgraph order: the only ones ``resolves`` can answer for."""
        if field_name == "__typename":
            return self.graphs_with(type_name)
        declared = self.field_graphs(type_name, field_name)
        return tuple(g for g in self.graphs_with(type_name) if g in declared)

    def has_type(self, type_name: str, graph: str) -> bool:
        graphs = self._graph_sets.get(type_name)
        if graphs is None:
            graphs = self._graph_sets[type_name] = frozenset(
                self.type_graphs(type_name)
            )
        return graph in graphs

    def is_interface_object(self, type_name: str, graph: str) -> bool:
        graphs = self._interface_objects.get(type_name)
        if graphs is None:
            join = self.supergraph.types.get(type_name)
            graphs = self._interface_objects[type_name] = (
                frozenset(j.graph for j in join.joins if j.is_interface_object)
                if join
                else frozenset()
            )
        return graph in graphs

    @cached_property
    def root_types(self) -> frozenset[str]:
        roots = (
            self.schema.query_type,
            self.schema.mutation_type,
            self.schema.subscription_type,
        )
        return frozenset(root.name for root in roots if root is not None)

    def possible_types(self, type_name: str) -> tuple[str, ...]:
        """Object types a value of this type can be, in the supergraph."""
        named = self.schema.get_type(type_name)
        if named is None or not is_abstract_type(named):
            return (type_name,)
        return tuple(t.name for t in self.schema.get_possible_types(named))

    def possible_types_in(self, type_name: str, graph: str) -> tuple[str, ...]:
        """Object types a value of this type can be when ``graph`` returns it."""
        cached = self._possible.get((type_name, graph))
        if cached is not None:
            return cached
        join = self.supergraph.types[type_name]
        if join.kind == TypeKind.UNION:
            result = join.members_in(graph)
        elif join.kind == TypeKind.INTERFACE:
            result = tuple(
                name
                for name in self.possible_types(type_name)
                if type_name in self.supergraph.types[name].interfaces_in(graph)
                and self.has_type(name, graph)
            )
        else:
            result = (type_name,)
        self._possible[(type_name, graph)] = result
        return result

    # -- fields --------------------------------------------------------------

    def field_graphs(self, type_name: str, field_name: str) -> dict[str, FieldInGraph]:
        """Every graph that declares ``T.f`` (external ones included), in graph order."""
        cached = self._fields.get((type_name, field_name))
        if cached is not None:
            return cached
        result: dict[str, FieldInGraph] = {}
        type_join = self.supergraph.types.get(type_name)
        field_join = type_join.fields.get(field_name) if type_join else None
        if type_join is not None and field_join is not None:
            for join in field_join.joins:
                if join.graph is None:
                    continue
                result[join.graph] = _field_in_graph(join)
        self._fields[(type_name, field_name)] = result
        return result

    def resolves(
        self,
        type_name: str,
        field_name: str,
        graph: str,
        labels: frozenset[str],
        provided: bool = False,
    ) -> FieldInGraph | None:
        """How ``graph`` resolves ``T.f``, or None if it cannot."""
        if field_name == "__typename":
            return _TYPENAME if self.has_type(type_name, graph) else None
        info = self.field_graphs(type_name, field_name).get(graph)
        if info is None:
            return None
        if info.external:
            return info if provided else None
        if info.from_context:
            # Fetched without the arguments its @context ancestor provides, the field
            # would silently get nulls: refuse the operation instead.
            raise QueryPlanningError(
                "QUERY_PLANNING_FAILED",
                f"{type_name}.{field_name} takes arguments from @fromContext in subgraph "
                f"'{graph}', which this router does not plan yet.",
            )
        if info.override_label is not None:
            active = info.override_label in labels
            if active != info.label_owner:
                return None
        return info

    def declared_type(self, type_name: str, field_name: str, graph: str) -> str | None:
        """``T.f``'s type as ``graph`` declares it, when that differs from the
        supergraph's (``@join__field(type:)``); None otherwise."""
        type_join = self.supergraph.types.get(type_name)
        field_join = type_join.fields.get(field_name) if type_join else None
        if field_join is None:
            return None
        for join in field_join.joins:
            if join.graph == graph:
                return join.type
        return None

    def field_type(self, type_name: str, field_name: str) -> str:
        """The named type of ``T.f`` in the supergraph."""
        if field_name == "__typename":
            return "String"
        parent = self.schema.get_type(type_name)
        field = parent.fields[field_name]  # type: ignore[union-attr]
        named: str = get_named_type(field.type).name
        return named

    def list_depth(self, type_name: str, field_name: str) -> int:
        """How many list levels ``T.f``'s type has (one ``@`` each in a response path)."""
        if field_name == "__typename":
            return 0
        known = self._list_depths.get((type_name, field_name))
        if known is None:
            known = self._list_depths[(type_name, field_name)] = self._list_depth(
                type_name, field_name
            )
        return known

    def _list_depth(self, type_name: str, field_name: str) -> int:
        parent = self.schema.get_type(type_name)
        field_type = parent.fields[field_name].type  # type: ignore[union-attr]
        depth = 0
        while isinstance(field_type, (GraphQLList, GraphQLNonNull)):
            if isinstance(field_type, GraphQLList):
                depth += 1
            field_type = field_type.of_type
        return depth

    # -- keys ----------------------------------------------------------------

    def keys_into(self, type_name: str, graph: str) -> tuple[KeyEntry, ...]:
        """Resolvable keys of ``type_name`` in ``graph`` (``_entities`` can enter there)."""
        cached = self._keys.get((type_name, graph))
        if cached is not None:
            return cached
        join = self.supergraph.types.get(type_name)
        result: tuple[KeyEntry, ...] = ()
        if join is not None:
            result = tuple(
                KeyEntry(type_name, graph, entry.key, parse_field_set(entry.key))
                for entry in join.keys(graph)
                if entry.resolvable and entry.key
            )
        self._keys[(type_name, graph)] = result
        return result

    def interface_objects_of(self, type_name: str) -> tuple[tuple[str, str], ...]:
        """(interface, graph) pairs where an interface ``type_name`` implements is an
        ``@interfaceObject``."""
        named = self.schema.get_type(type_name)
        interfaces = getattr(named, "interfaces", ()) or ()
        pairs = []
        for interface in interfaces:
            join = self.supergraph.types.get(interface.name)
            if join is None:
                continue
            for graph in join.graphs:
                if join.is_interface_object(graph):
                    pairs.append((interface.name, graph))
        return tuple(pairs)


_TYPENAME = FieldInGraph(
    external=False,
    requires=None,
    provides=None,
    override_label=None,
    label_owner=True,
)


def _field_in_graph(join: JoinField) -> FieldInGraph:
    return FieldInGraph(
        external=join.external or (join.used_overridden and not join.override_label),
        requires=join.requires,
        provides=join.provides,
        override_label=join.override_label,
        label_owner=join.override is not None,
        from_context=bool(join.context_arguments),
    )
