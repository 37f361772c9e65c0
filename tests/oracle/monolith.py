"""The truth: a world served as one graphql-core schema, the supergraph's API schema.

Every field is answered from the world's records by ``oracle.semantics``' rules, with
no subgraph boundary in the way: a ``@requires`` field is computed from the record's
own values. What this answers is what a federated answer must be.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import Any

from graphql import (
    GraphQLAbstractType,
    GraphQLError,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    SelectionSetNode,
    execute,
    get_named_type,
    parse,
)

from oracle.semantics import Data, FieldFailure, Obj, RecordEvaluator
from oracle.subgraph_schema import read_meta
from oracle.world import World
from router.server.introspection import without_defer

__all__ = ["Monolith", "computed_fields"]


def computed_fields(
    world: World, interfaces: Mapping[str, set[str]]
) -> dict[tuple[str, str], SelectionSetNode]:
    """``(type, field)`` -> the field set its value is computed from, for every field a
    subgraph declares with ``@requires`` (on an ``@interfaceObject``, for every type that
    implements the interface)."""
    computed: dict[tuple[str, str], SelectionSetNode] = {}
    for sdl in world.subgraphs.values():
        for type_name, meta in read_meta(parse(sdl)).items():
            for field_name, field_meta in meta.fields.items():
                if field_meta.requires is None:
                    continue
                if meta.interface_object:
                    for object_type, names in interfaces.items():
                        if type_name in names:
                            computed[(object_type, field_name)] = field_meta.requires
                else:
                    computed[(type_name, field_name)] = field_meta.requires
    return computed


class Monolith:
    """Executes operations against the API schema over the world's records."""

    def __init__(
        self,
        world: World,
        api_schema: GraphQLSchema,
        full_schema: GraphQLSchema,
        interfaces: Mapping[str, set[str]],
    ) -> None:
        self.schema = api_schema
        self.data = Data(world)
        self.evaluator = RecordEvaluator(
            self.data, full_schema, computed_fields(world, interfaces)
        )

    def execute(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        operation_name: str | None = None,
    ) -> dict[str, Any]:
        # The monolith answers in one response: a deferred operation is the operation
        # without `@defer` (what the router answers it with, issue 16).
        result = execute(
            self.schema,
            without_defer(parse(query)),
            root_value=self.data.root(),
            variable_values=dict(variables or {}),
            operation_name=operation_name,
            field_resolver=self._field,
            type_resolver=self._type,  # type: ignore[arg-type]
        )
        assert not isinstance(result, Awaitable)
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [e.formatted for e in result.errors]
        return out

    def _field(self, source: Obj, info: GraphQLResolveInfo, **args: Any) -> Any:
        parent = info.parent_type
        name = info.field_name
        field = parent.fields[name]
        named = get_named_type(field.type)
        try:
            roots = (self.schema.query_type, self.schema.mutation_type)
            if parent in roots and self.data.is_lookup(name, args):
                return self.data.lookup(field, args, self._object_types(named.name))
            return self.evaluator.value(source.record, parent.name, name, args, named)
        except FieldFailure as failure:
            raise GraphQLError(str(failure)) from None

    def _object_types(self, type_name: str) -> list[str]:
        named = self.schema.get_type(type_name)
        if isinstance(named, GraphQLObjectType):
            return [type_name]
        return [t.name for t in self.schema.get_possible_types(named)]  # type: ignore[arg-type]

    def _type(
        self, value: Obj, info: GraphQLResolveInfo, abstract: GraphQLAbstractType
    ) -> str | None:
        return value.typename
