"""Print the API schema, and print any schema in a canonical order for comparison.

``print_sorted_schema`` sorts type and directive definitions by name but keeps fields,
arguments, enum values, implemented interfaces and union members in declaration order, so
two API schemas that differ only in where composition placed a type print identically, while
a field moved within its type still shows.
"""

from __future__ import annotations

from graphql import GraphQLSchema, is_specified_directive, print_schema
from graphql.type.introspection import is_introspection_type
from graphql.type.scalars import is_specified_scalar_type
from graphql.utilities.print_schema import (
    print_directive,
    print_schema_definition,
    print_type,
)

from planner.supergraph.model import Supergraph

__all__ = ["print_api_schema", "print_sorted_schema"]


def print_api_schema(supergraph: Supergraph) -> str:
    """The supergraph's API schema as SDL, in declaration order."""
    return print_schema(supergraph.api_schema)


def print_sorted_schema(schema: GraphQLSchema) -> str:
    """SDL with type and directive definitions sorted by name (members keep their order)."""
    directives = sorted(
        (d for d in schema.directives if not is_specified_directive(d)),
        key=lambda d: d.name,
    )
    types = sorted(
        (
            type_
            for name, type_ in schema.type_map.items()
            if not is_specified_scalar_type(type_)
            and not is_introspection_type(type_)
            and not name.startswith("__")
        ),
        key=lambda type_: type_.name,
    )
    parts = [print_schema_definition(schema)]
    parts.extend(print_directive(directive) for directive in directives)
    parts.extend(print_type(type_) for type_ in types)
    return "\n\n".join(part for part in parts if part) + "\n"
