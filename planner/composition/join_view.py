"""The merged model as the planner's join model, without printing and parsing it again.

Satisfiability runs on the planner's query graph, which reads a supergraph's join model
(``planner.supergraph.model``) and its schemas. Composition has all of that in its
merged model already: ``join_view`` turns it into the same records (graphs named by
subgraph name, fields without ``@join__field`` belonging to every graph of their type,
as a loaded supergraph reads them) and builds the full and API schemas directly, which
costs a fraction of parsing the printed supergraph. ``tests/composition`` checks that
the view equals what ``load_supergraph`` reads from the printed SDL.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, cast

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFloat,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLString,
    GraphQLUnionType,
)

from planner.composition import supergraph_model as merged
from planner.composition.supergraph_model import MergedType, SupergraphModel
from planner.supergraph.model import (
    EnumValueJoin,
    FieldJoin,
    JoinField,
    JoinImplements,
    JoinType,
    JoinUnionMember,
    TypeJoin,
    TypeKind,
)

__all__ = ["ComposedSupergraph", "join_view"]

_SPECIFIED = {
    scalar.name: scalar
    for scalar in (GraphQLString, GraphQLInt, GraphQLFloat, GraphQLBoolean, GraphQLID)
}


@dataclass(frozen=True, slots=True)
class ComposedSupergraph:
    """What the planner's ``Federation`` reads of a supergraph (``JoinView``)."""

    types: Mapping[str, TypeJoin]
    schema: GraphQLSchema
    api_schema: GraphQLSchema
    subgraph_names: tuple[str, ...]


def join_view(model: SupergraphModel) -> ComposedSupergraph:
    names = {enum_value: name for enum_value, name, _ in model.graphs}
    types = {name: _type_join(t, names) for name, t in model.types.items()}
    schema = _schema(model, api=False)
    # Without @inaccessible anywhere the API schema is the supergraph's schema.
    api_schema = _schema(model, api=True) if model.uses_inaccessible else schema
    return ComposedSupergraph(
        types=MappingProxyType(types),
        schema=schema,
        api_schema=api_schema,
        subgraph_names=tuple(name for _, name, _ in model.graphs),
    )


# -- the join model ----------------------------------------------------------------------


def _type_join(t: MergedType, names: Mapping[str, str]) -> TypeJoin:
    joins = tuple(
        JoinType(
            graph=names[j.graph],
            key=j.key,
            resolvable=j.resolvable,
            extension=j.extension,
            is_interface_object=j.interface_object,
        )
        for j in t.join_types
    )
    graphs = tuple(dict.fromkeys(j.graph for j in joins))
    fields: dict[str, FieldJoin] = {}
    for field_name, field in t.fields.items():
        fields[field_name] = _field_join(field_name, field.join_fields, graphs, names)
    for field_name, value in t.input_fields.items():
        fields[field_name] = _field_join(field_name, value.join_fields, graphs, names)
    return TypeJoin(
        name=t.name,
        kind=TypeKind(t.kind),
        joins=joins,
        fields=MappingProxyType(fields),
        implements=tuple(JoinImplements(names[g], i) for g, i in t.join_implements),
        union_members=tuple(JoinUnionMember(names[g], m) for g, m in t.join_members),
        enum_values=MappingProxyType(
            {
                value_name: (
                    EnumValueJoin(value_name, tuple(names[g] for g in value.graphs))
                    if value.graphs
                    else EnumValueJoin(value_name, graphs, True)
                )
                for value_name, value in t.values.items()
            }
        ),
    )


def _field_join(
    name: str,
    joins: list[merged.JoinField],
    graphs: tuple[str, ...],
    names: Mapping[str, str],
) -> FieldJoin:
    if not joins:
        return FieldJoin(name, tuple(JoinField(graph) for graph in graphs), True)
    return FieldJoin(
        name,
        tuple(
            JoinField(
                graph=names[j.graph] if j.graph is not None else None,
                requires=j.requires,
                provides=j.provides,
                type=j.type,
                external=j.external,
                override=j.override,
                used_overridden=j.used_overridden,
                override_label=j.override_label,
            )
            for j in joins
        ),
    )


# -- the schemas ---------------------------------------------------------------------------


def _schema(model: SupergraphModel, *, api: bool) -> GraphQLSchema:
    """The supergraph's schema (``api``: without its ``@inaccessible`` elements)."""
    visible = {
        name: t
        for name, t in model.types.items()
        if not (api and t.applied.inaccessible)
    }
    built: dict[str, GraphQLNamedType] = {}

    def named(name: str) -> GraphQLNamedType:
        return built[name] if name in built else _SPECIFIED[name]

    wrappers: dict[str, Any] = {}

    def wrapped(type_text: str) -> Any:
        found = wrappers.get(type_text)
        if found is None:
            text = type_text.strip()
            if text.endswith("!"):
                found = GraphQLNonNull(wrapped(text[:-1]))
            elif text.startswith("["):
                found = GraphQLList(wrapped(text[1:-1]))
            else:
                found = named(text)
            wrappers[type_text] = found
        return found

    def shown(applied: object) -> bool:
        return not (api and getattr(applied, "inaccessible", False))

    def output_fields(t: MergedType) -> Callable[[], dict[str, GraphQLField]]:
        def thunk() -> dict[str, GraphQLField]:
            return {
                name: GraphQLField(
                    wrapped(f.type),
                    args={
                        arg_name: GraphQLArgument(wrapped(arg.type))
                        for arg_name, arg in f.args.items()
                        if shown(arg.applied)
                    },
                )
                for name, f in t.fields.items()
                if shown(f.applied)
            }

        return thunk

    def interfaces(t: MergedType) -> Callable[[], list[GraphQLInterfaceType]]:
        return lambda: [
            cast(GraphQLInterfaceType, built[i]) for i in t.interfaces if i in visible
        ]

    def members(t: MergedType) -> Callable[[], list[GraphQLObjectType]]:
        return lambda: [
            cast(GraphQLObjectType, built[m]) for m in t.members if m in visible
        ]

    def input_fields(t: MergedType) -> Callable[[], dict[str, GraphQLInputField]]:
        return lambda: {
            field_name: GraphQLInputField(wrapped(v.type))
            for field_name, v in t.input_fields.items()
            if shown(v.applied)
        }

    for name, t in visible.items():
        if t.kind == "OBJECT":
            built[name] = GraphQLObjectType(
                name, output_fields(t), interfaces=interfaces(t)
            )
        elif t.kind == "INTERFACE":
            built[name] = GraphQLInterfaceType(
                name, output_fields(t), interfaces=interfaces(t)
            )
        elif t.kind == "UNION":
            built[name] = GraphQLUnionType(name, members(t))
        elif t.kind == "ENUM":
            built[name] = GraphQLEnumType(
                name,
                {
                    v: GraphQLEnumValue(v)
                    for v, value in t.values.items()
                    if shown(value.applied)
                },
            )
        elif t.kind == "INPUT_OBJECT":
            built[name] = GraphQLInputObjectType(name, input_fields(t))
        elif name not in _SPECIFIED:
            built[name] = GraphQLScalarType(name)

    def root(kind: str) -> GraphQLObjectType | None:
        name = model.roots.get(kind)
        found = built.get(name) if name is not None else None
        return found if isinstance(found, GraphQLObjectType) else None

    return GraphQLSchema(
        query=root("query"),
        mutation=root("mutation"),
        subscription=root("subscription"),
        types=list(built.values()),
        assume_valid=True,
    )
