"""A straightforward implementation of the benchmark subgraphs: graphql-core executing
each subgraph's SDL with the shared resolvers, to check the fast projection against.

The harness replays every distinct request the gateways sent to the fast subgraphs
through both and refuses to report numbers when they differ.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import orjson
from graphql import (
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    graphql_sync,
)

from bench.gateway.resolvers import (
    ENTITY_RESOLVERS,
    FIELD_RESOLVERS,
    INPUTS,
    resolve_entity,
)

__all__ = ["reference_answer"]

_FEDERATION = """
scalar _Any
directive @key(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @shareable on OBJECT | FIELD_DEFINITION
directive @external on OBJECT | FIELD_DEFINITION
directive @requires(fields: String!) on FIELD_DEFINITION
directive @provides(fields: String!) on FIELD_DEFINITION
"""


@cache
def _schema(subgraph: str) -> GraphQLSchema:
    sdl = (INPUTS / f"{subgraph}.graphql").read_text()
    sdl = re.sub(r"extend schema @link\([^)]*\)", "", sdl)
    entities = " | ".join(sorted(ENTITY_RESOLVERS[subgraph]))
    extra = f"union _Entity = {entities}\n"
    entities_field = "_entities(representations: [_Any!]!): [_Entity]!"
    if "type Query" in sdl:
        sdl = sdl.replace("type Query {", "type Query {\n  " + entities_field, 1)
    else:
        extra += f"type Query {{ {entities_field} }}\n"
    schema = build_schema(_FEDERATION + sdl + extra)
    resolvers = FIELD_RESOLVERS[subgraph]
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLObjectType) and not type_.name.startswith("__"):
            for name, field in type_.fields.items():
                resolver = resolvers.get((type_.name, name))
                if resolver is not None:
                    field.resolve = _wrap(resolver)
    query = schema.query_type
    assert query is not None
    query.fields["_entities"].resolve = lambda _root, _info, representations: [
        resolve_entity(subgraph, rep) for rep in representations
    ]
    union = schema.type_map["_Entity"]
    assert isinstance(union, GraphQLUnionType)
    union.resolve_type = lambda value, _info, _type: value["__typename"]
    return schema


def _wrap(resolver: Any) -> Any:
    def resolve(parent: Any, _info: Any, **args: Any) -> Any:
        return resolver(parent or {}, args)

    return resolve


def _default_resolve(parent: Any, info: Any, **_args: Any) -> Any:
    return parent.get(info.field_name) if isinstance(parent, dict) else None


def reference_answer(subgraph: str, body: bytes) -> dict[str, Any]:
    """What graphql-core answers to one request body of the fast subgraphs."""
    request = orjson.loads(body)
    result = graphql_sync(
        _schema(subgraph),
        request["query"],
        root_value={"__typename": "Query"},
        variable_values=request.get("variables"),
        operation_name=request.get("operationName"),
        field_resolver=_default_resolve,
    )
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        out["errors"] = [e.formatted for e in result.errors]
    return out
