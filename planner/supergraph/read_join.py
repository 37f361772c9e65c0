"""Read the supergraph's ``@join__*`` applications into the join model.

Works on the parsed document (directive applications live in the AST, not in graphql-core's
schema objects), in declaration order, under whatever names the join link gives them
(``@link(url: ".../join/v0.3", as: "j")`` makes ``@j__type``).

A reload lends the type joins of the supergraph it replaces (``JoinTypes``): a type
whose definition nodes are the very nodes that load read (``parse_definitions`` reuses
the unchanged ones) keeps its ``TypeJoin`` while the join link, the graphs and the context
directive are unchanged. Unions are always read again (in join v0.2 their members
depend on other types' joins).

https://specs.apollo.dev/join/v0.5/
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from graphql import (
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    FieldDefinitionNode,
    GraphQLSyntaxError,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    value_from_ast_untyped,
)

from planner.supergraph.error import SupergraphError
from planner.supergraph.fieldsets import parse_field_set
from planner.supergraph.links import CONTEXT_IDENTITY, LinkedFeature
from planner.supergraph.model import (
    ContextArgument,
    EnumValueJoin,
    FieldJoin,
    Graph,
    JoinField,
    JoinImplements,
    JoinType,
    JoinUnionMember,
    TypeContext,
    TypeJoin,
    TypeKind,
)

__all__ = ["JoinTypes", "read_join_model", "type_nodes_by_name"]

TypeNode = TypeDefinitionNode | TypeExtensionNode

_KINDS: dict[type[TypeNode], TypeKind] = {
    ObjectTypeDefinitionNode: TypeKind.OBJECT,
    ObjectTypeExtensionNode: TypeKind.OBJECT,
    InterfaceTypeDefinitionNode: TypeKind.INTERFACE,
    InterfaceTypeExtensionNode: TypeKind.INTERFACE,
    UnionTypeDefinitionNode: TypeKind.UNION,
    UnionTypeExtensionNode: TypeKind.UNION,
    EnumTypeDefinitionNode: TypeKind.ENUM,
    EnumTypeExtensionNode: TypeKind.ENUM,
    InputObjectTypeDefinitionNode: TypeKind.INPUT_OBJECT,
    InputObjectTypeExtensionNode: TypeKind.INPUT_OBJECT,
    ScalarTypeDefinitionNode: TypeKind.SCALAR,
    ScalarTypeExtensionNode: TypeKind.SCALAR,
}

# "<subgraph name>__<context name>", as composition qualifies @context names.
_CONTEXT_NAME = re.compile(r"^(.*)__([A-Za-z]\w*)$")


def type_nodes_by_name(
    document: DocumentNode, links: tuple[LinkedFeature, ...]
) -> dict[str, list[TypeNode]]:
    """Definition and extension nodes of every type no linked feature owns, in order."""
    nodes: dict[str, list[TypeNode]] = {}
    for definition in document.definitions:
        if isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            name = definition.name.value
            if not any(link.owns_type(name) for link in links):
                nodes.setdefault(name, []).append(definition)
    return nodes


@dataclass(slots=True)
class JoinTypes:
    """One load's type joins with the nodes each was read from, and what else the
    reading depended on (``context``); the next load reuses them."""

    context: tuple[object, ...] = ()
    read: dict[str, tuple[tuple[TypeNode, ...], TypeJoin]] = dataclasses.field(
        default_factory=dict
    )


def read_join_model(
    document: DocumentNode,
    links: tuple[LinkedFeature, ...],
    join: LinkedFeature,
    previous: JoinTypes | None = None,
    record: JoinTypes | None = None,
) -> tuple[Mapping[str, Graph], Mapping[str, TypeJoin]]:
    """The graphs (by enum value) and the join model of every type (by name);
    ``previous`` lends an earlier load's type joins, ``record`` (empty) receives
    this one's."""
    reader = _JoinReader(document, links, join)
    types = reader.read_types(previous, record)
    return MappingProxyType(reader.graphs), MappingProxyType(types)


class _JoinReader:
    def __init__(
        self,
        document: DocumentNode,
        links: tuple[LinkedFeature, ...],
        join: LinkedFeature,
    ) -> None:
        self.join = join
        self.nodes = type_nodes_by_name(document, links)
        context = next(
            (link for link in links if link.identity == CONTEXT_IDENTITY), None
        )
        self.context_directive = context.directive_name("context") if context else None
        self.graphs = self._read_graphs(document)
        self.by_enum_value = {value: graph.name for value, graph in self.graphs.items()}
        self.subgraph_names = frozenset(self.by_enum_value.values())

    def _read_graphs(self, document: DocumentNode) -> dict[str, Graph]:
        enum_name = self.join.type_name("Graph")
        graph_directive = self.join.directive_name("graph")
        graphs: dict[str, Graph] = {}
        for definition in document.definitions:
            if not isinstance(
                definition, EnumTypeDefinitionNode | EnumTypeExtensionNode
            ):
                continue
            if definition.name.value != enum_name:
                continue
            for value in definition.values or ():
                args = next(
                    iter(_applications(value.directives, graph_directive)), None
                )
                if args is None or not isinstance(args.get("name"), str):
                    raise SupergraphError(
                        "INVALID_SUPERGRAPH",
                        f"{enum_name}.{value.name.value} has no @{graph_directive}(name:, url:)",
                    )
                url = args.get("url")
                graphs[value.name.value] = Graph(
                    value.name.value,
                    str(args["name"]),
                    url if isinstance(url, str) else "",
                )
        if not graphs:
            raise SupergraphError(
                "INVALID_SUPERGRAPH",
                f"the supergraph declares no subgraph (enum {enum_name})",
            )
        return graphs

    def read_types(
        self, previous: JoinTypes | None = None, record: JoinTypes | None = None
    ) -> dict[str, TypeJoin]:
        context = (self.join, tuple(self.graphs.items()), self.context_directive)
        reusable = (
            previous.read
            if previous is not None and previous.context == context
            else {}
        )
        kept: dict[str, TypeJoin] = {}
        for name, nodes in self.nodes.items():
            known = reusable.get(name)
            if (
                known is not None
                and known[1].kind is not TypeKind.UNION
                and len(known[0]) == len(nodes)
                and all(old is new for old, new in zip(known[0], nodes, strict=True))
            ):
                kept[name] = known[1]
        joined = {
            name: kept[name].joins if name in kept else self._type_joins(name, nodes)
            for name, nodes in self.nodes.items()
        }
        types: dict[str, TypeJoin] = {}
        for name, nodes in self.nodes.items():
            if name in kept:
                types[name] = kept[name]
                continue
            kind = _KINDS[type(nodes[0])]
            joins = joined[name]
            graphs = tuple(dict.fromkeys(join.graph for join in joins))
            directives = [d for node in nodes for d in node.directives or ()]
            types[name] = TypeJoin(
                name=name,
                kind=kind,
                joins=joins,
                fields=MappingProxyType(self._fields(nodes, graphs)),
                implements=tuple(
                    JoinImplements(self._graph(args, name), str(args.get("interface")))
                    for args in _applications(
                        directives, self.join.directive_name("implements")
                    )
                ),
                union_members=self._union_members(nodes, directives, graphs, joined),
                enum_values=MappingProxyType(self._enum_values(nodes, graphs)),
                contexts=self._contexts(name, directives),
            )
            _check_graphs(types[name])
        if record is not None:
            record.context = context
            for name, nodes in self.nodes.items():
                record.read[name] = (tuple(nodes), types[name])
        return types

    def _type_joins(self, name: str, nodes: list[TypeNode]) -> tuple[JoinType, ...]:
        directive = self.join.directive_name("type")
        joins = tuple(
            JoinType(
                graph=self._graph(args, name),
                key=_field_set(args.get("key"), f"@{directive}(key:) on {name}"),
                resolvable=args.get("resolvable") is not False,
                extension=args.get("extension") is True,
                is_interface_object=args.get("isInterfaceObject") is True,
            )
            for node in nodes
            for args in _applications(node.directives, directive)
        )
        if not joins:
            raise SupergraphError(
                "INVALID_SUPERGRAPH", f"type {name} has no @{directive}"
            )
        return joins

    def _fields(
        self, nodes: list[TypeNode], graphs: tuple[str, ...]
    ) -> dict[str, FieldJoin]:
        directive = self.join.directive_name("field")
        fields: dict[str, FieldJoin] = {}
        for node in nodes:
            for field in _field_nodes(node):
                coordinate = f"{node.name.value}.{field.name.value}"
                joins = tuple(
                    self._field_join(args, coordinate)
                    for args in _applications(field.directives, directive)
                )
                fields[field.name.value] = (
                    FieldJoin(field.name.value, joins)
                    if joins
                    else FieldJoin(
                        field.name.value,
                        tuple(JoinField(graph) for graph in graphs),
                        True,
                    )
                )
        return fields

    def _field_join(self, args: dict[str, object], coordinate: str) -> JoinField:
        contexts = args.get("contextArguments")
        return JoinField(
            graph=self._graph(args, coordinate)
            if args.get("graph") is not None
            else None,
            requires=_field_set(args.get("requires"), f"{coordinate} requires"),
            provides=_field_set(args.get("provides"), f"{coordinate} provides"),
            type=_optional_str(args.get("type")),
            external=args.get("external") is True,
            override=_optional_str(args.get("override")),
            used_overridden=args.get("usedOverridden") is True,
            override_label=_optional_str(args.get("overrideLabel")),
            context_arguments=tuple(
                ContextArgument(
                    name=str(item.get("name")),
                    type=str(item.get("type")),
                    context=str(item.get("context")),
                    selection=str(item.get("selection")),
                )
                for item in (contexts if isinstance(contexts, list) else ())
                if isinstance(item, dict)
            ),
        )

    def _union_members(
        self,
        nodes: list[TypeNode],
        directives: Sequence[DirectiveNode],
        graphs: tuple[str, ...],
        joined: dict[str, tuple[JoinType, ...]],
    ) -> tuple[JoinUnionMember, ...]:
        name = nodes[0].name.value
        explicit = tuple(
            JoinUnionMember(self._graph(args, name), str(args.get("member")))
            for args in _applications(
                directives, self.join.directive_name("unionMember")
            )
        )
        if explicit:
            return explicit
        # join v0.2 has no @join__unionMember: a graph has each member it has the type of.
        members = [
            member.name.value
            for node in nodes
            if isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode)
            for member in node.types or ()
        ]
        return tuple(
            JoinUnionMember(graph, member)
            for graph in graphs
            for member in members
            if any(join.graph == graph for join in joined.get(member, ()))
        )

    def _enum_values(
        self, nodes: list[TypeNode], graphs: tuple[str, ...]
    ) -> dict[str, EnumValueJoin]:
        directive = self.join.directive_name("enumValue")
        values: dict[str, EnumValueJoin] = {}
        for node in nodes:
            if not isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
                continue
            for value in node.values or ():
                coordinate = f"{node.name.value}.{value.name.value}"
                listed = tuple(
                    dict.fromkeys(
                        self._graph(args, coordinate)
                        for args in _applications(value.directives, directive)
                    )
                )
                values[value.name.value] = (
                    EnumValueJoin(value.name.value, listed)
                    if listed
                    else EnumValueJoin(value.name.value, graphs, True)
                )
        return values

    def _contexts(
        self, name: str, directives: Sequence[DirectiveNode]
    ) -> tuple[TypeContext, ...]:
        if self.context_directive is None:
            return ()
        contexts = []
        for args in _applications(directives, self.context_directive):
            match = _CONTEXT_NAME.match(str(args.get("name")))
            if match is None or match[1] not in self.subgraph_names:
                raise SupergraphError(
                    "INVALID_SUPERGRAPH",
                    f"@{self.context_directive}(name: {args.get('name')!r}) on {name} does not "
                    "name a subgraph as '<subgraph>__<context>'",
                )
            contexts.append(TypeContext(match[1], match[2]))
        return tuple(contexts)

    def _graph(self, args: dict[str, object], where: str) -> str:
        value = args.get("graph")
        graph = self.by_enum_value.get(value) if isinstance(value, str) else None
        if graph is None:
            raise SupergraphError(
                "INVALID_SUPERGRAPH",
                f"{where}: graph {value!r} is not a {self.join.type_name('Graph')} value",
            )
        return graph


def _check_graphs(type_join: TypeJoin) -> None:
    """Every per-graph application must name a graph that has the type."""
    graphs = set(type_join.graphs)
    used = [
        (f"{type_join.name}.{field.name}", join.graph)
        for field in type_join.fields.values()
        for join in field.joins
    ]
    used += [(type_join.name, item.graph) for item in type_join.implements]
    used += [(type_join.name, item.graph) for item in type_join.union_members]
    used += [
        (f"{type_join.name}.{value.name}", graph)
        for value in type_join.enum_values.values()
        for graph in value.graphs
    ]
    for where, graph in used:
        if graph is not None and graph not in graphs:
            raise SupergraphError(
                "INVALID_SUPERGRAPH",
                f"{where} is joined to subgraph {graph!r}, "
                f"which does not have type {type_join.name}",
            )


def _field_nodes(
    node: TypeNode,
) -> Iterable[FieldDefinitionNode | InputValueDefinitionNode]:
    if isinstance(
        node,
        ObjectTypeDefinitionNode
        | ObjectTypeExtensionNode
        | InterfaceTypeDefinitionNode
        | InterfaceTypeExtensionNode
        | InputObjectTypeDefinitionNode
        | InputObjectTypeExtensionNode,
    ):
        return node.fields or ()
    return ()


def _applications(
    directives: Iterable[DirectiveNode] | None, name: str
) -> list[dict[str, object]]:
    """The arguments of each application of ``@name``, as plain Python values."""
    return [
        {
            arg.name.value: value_from_ast_untyped(arg.value)
            for arg in directive.arguments or ()
        }
        for directive in directives or ()
        if directive.name.value == name
    ]


def _field_set(value: object, where: str) -> str | None:
    """A join field set, refused at load time when it does not parse (planning reads
    it later and must not meet a syntax error mid-request)."""
    field_set = _optional_str(value)
    if field_set is not None:
        try:
            parse_field_set(field_set)
        except GraphQLSyntaxError as exc:
            raise SupergraphError(
                "INVALID_SUPERGRAPH",
                f"{where}: field set {field_set!r} does not parse: {exc.message}",
            ) from None
    return field_set


def _optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None
