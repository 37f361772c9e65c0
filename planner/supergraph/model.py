"""The loaded supergraph and its join model: who contributes what, per subgraph.

The join model is the supergraph's ``@join__*`` applications read once into frozen records,
so the planner asks "which subgraphs resolve ``User.name``?" without looking at directives.
Graphs are named by subgraph name (``"users"``), not by ``join__Graph`` enum value.

https://specs.apollo.dev/join/v0.5/ and QUERY_PLANNING.md §1.1.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from graphql import DefinitionNode, DocumentNode, GraphQLSchema

    from planner.supergraph.api_schema import ApiDefinitions
    from planner.supergraph.links import LinkedFeature
    from planner.supergraph.read_join import JoinTypes

__all__ = [
    "ContextArgument",
    "EnumValueJoin",
    "FieldJoin",
    "Graph",
    "JoinField",
    "JoinImplements",
    "JoinType",
    "JoinUnionMember",
    "JoinView",
    "Supergraph",
    "TypeContext",
    "TypeJoin",
    "TypeKind",
]

_NO_ENUM_VALUES: Mapping[str, EnumValueJoin] = MappingProxyType({})


class TypeKind(enum.Enum):
    """The kind of a named type, as the supergraph declares it."""

    OBJECT = "OBJECT"
    INTERFACE = "INTERFACE"
    UNION = "UNION"
    ENUM = "ENUM"
    INPUT_OBJECT = "INPUT_OBJECT"
    SCALAR = "SCALAR"


@dataclass(frozen=True, slots=True)
class Graph:
    """One subgraph: a value of the ``join__Graph`` enum and its ``@join__graph``."""

    enum_value: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class JoinType:
    """One ``@join__type``: the type exists in ``graph``, with ``key`` if it is an entity there."""

    graph: str
    key: str | None = None
    resolvable: bool = True
    extension: bool = False
    is_interface_object: bool = False


@dataclass(frozen=True, slots=True)
class ContextArgument:
    """One ``contextArguments`` entry (join v0.5): an argument filled from an ancestor."""

    name: str
    type: str
    context: str
    selection: str


@dataclass(frozen=True, slots=True)
class JoinField:
    """One ``@join__field``; ``graph`` is None for a field no subgraph of its type resolves
    (an interface field an ``@interfaceObject`` contributes)."""

    graph: str | None
    requires: str | None = None
    provides: str | None = None
    type: str | None = None
    external: bool = False
    override: str | None = None
    used_overridden: bool = False
    override_label: str | None = None
    context_arguments: tuple[ContextArgument, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldJoin:
    """A field (or input field) and the graphs that declare it.

    ``implicit`` is True when the SDL has no ``@join__field``: the field then belongs to every
    graph of its type and ``joins`` holds one default ``JoinField`` per such graph.
    """

    name: str
    joins: tuple[JoinField, ...]
    implicit: bool = False

    @property
    def graphs(self) -> tuple[str, ...]:
        """Graphs that declare the field, external ones included, in order."""
        return tuple(dict.fromkeys(join.graph for join in self.joins if join.graph))

    def in_graph(self, graph: str) -> JoinField | None:
        """The field's join in ``graph``, or None if that graph does not declare it."""
        return next((join for join in self.joins if join.graph == graph), None)


@dataclass(frozen=True, slots=True)
class JoinImplements:
    """One ``@join__implements``: in ``graph`` the type implements ``interface``."""

    graph: str
    interface: str


@dataclass(frozen=True, slots=True)
class JoinUnionMember:
    """One ``@join__unionMember``: in ``graph`` the union includes ``member``."""

    graph: str
    member: str


@dataclass(frozen=True, slots=True)
class EnumValueJoin:
    """An enum value and the graphs that declare it (every graph of the enum if implicit)."""

    name: str
    graphs: tuple[str, ...]
    implicit: bool = False


@dataclass(frozen=True, slots=True)
class TypeContext:
    """One ``@context`` on a type (join v0.5): ``graph`` names the context ``name`` here."""

    graph: str
    name: str


class JoinView(Protocol):
    """What the planner reads of a supergraph: its join model and both schemas. A
    loaded ``Supergraph`` is one; composition builds one from its merged model
    (``planner.composition.join_view``)."""

    @property
    def types(self) -> Mapping[str, TypeJoin]: ...

    @property
    def schema(self) -> GraphQLSchema: ...

    @property
    def api_schema(self) -> GraphQLSchema: ...

    @property
    def subgraph_names(self) -> tuple[str, ...]: ...


# Records holding mappings compare by identity: they are built once per supergraph.
@dataclass(frozen=True, slots=True, eq=False)
class TypeJoin:
    """A named type of the supergraph and its per-graph joins."""

    name: str
    kind: TypeKind
    joins: tuple[JoinType, ...]
    fields: Mapping[str, FieldJoin]
    implements: tuple[JoinImplements, ...] = ()
    union_members: tuple[JoinUnionMember, ...] = ()
    enum_values: Mapping[str, EnumValueJoin] = field(
        default_factory=lambda: _NO_ENUM_VALUES
    )
    contexts: tuple[TypeContext, ...] = ()

    @property
    def graphs(self) -> tuple[str, ...]:
        """Graphs that have the type, in ``@join__type`` order."""
        return tuple(dict.fromkeys(join.graph for join in self.joins))

    def keys(self, graph: str) -> tuple[JoinType, ...]:
        """The ``@join__type`` applications with a key in ``graph``."""
        return tuple(join for join in self.joins if join.graph == graph and join.key)

    def is_interface_object(self, graph: str) -> bool:
        """Whether ``graph`` sees this interface as an ``@interfaceObject`` object type."""
        return any(
            join.is_interface_object for join in self.joins if join.graph == graph
        )

    def interfaces_in(self, graph: str) -> tuple[str, ...]:
        """The interfaces this type implements in ``graph``."""
        return tuple(item.interface for item in self.implements if item.graph == graph)

    def members_in(self, graph: str) -> tuple[str, ...]:
        """The union's members in ``graph``."""
        return tuple(item.member for item in self.union_members if item.graph == graph)


@dataclass(frozen=True, slots=True, eq=False)
class Supergraph:
    """A loaded supergraph: both schemas, the subgraphs and the join model.

    ``schema`` is the full supergraph (join machinery and inaccessible elements included:
    subgraph fetches are built against it); ``api_schema`` is what clients see.
    """

    sdl: str
    schema_hash: str
    document: DocumentNode
    schema: GraphQLSchema
    api_schema: GraphQLSchema
    join_version: str
    links: tuple[LinkedFeature, ...]
    graphs: Mapping[str, Graph]
    types: Mapping[str, TypeJoin]
    # The text's top-level pieces and their definitions, which a reload reuses
    # (planner.supergraph.parse_definitions).
    pieces: Mapping[str, tuple[DefinitionNode, ...]] = field(
        default_factory=dict, repr=False
    )
    # What the API schema's filter made of each definition, for the same reason
    # (planner.supergraph.api_schema).
    api_definitions: ApiDefinitions | None = field(default=None, repr=False)
    # The type joins read, for the same reason (planner.supergraph.read_join).
    join_types: JoinTypes | None = field(default=None, repr=False)

    @property
    def subgraph_names(self) -> tuple[str, ...]:
        """Subgraph names in ``join__Graph`` declaration order."""
        return tuple(graph.name for graph in self.graphs.values())

    def graph_named(self, name: str) -> Graph:
        """The subgraph called ``name`` (KeyError if there is none)."""
        for graph in self.graphs.values():
            if graph.name == name:
                return graph
        raise KeyError(name)

    def link(self, identity: str) -> LinkedFeature | None:
        """The linked feature with this identity (``https://specs.apollo.dev/policy``)."""
        return next((link for link in self.links if link.identity == identity), None)
