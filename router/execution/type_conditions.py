"""Does an object with ``__typename`` X match ``... on T``? Answered against a schema.

Entity ``requires`` fragments and rewrite paths (``"... on T"``) select objects by their
runtime ``__typename``: T itself, or any object or interface type that implements T or
is a member of union T. The executor asks with the full supergraph schema, because keys
and required fields may name ``@inaccessible`` types (QUERY_PLANNING.md §1.1).
"""

from __future__ import annotations

import weakref

from graphql import (
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    is_abstract_type,
)

__all__ = ["TypeConditions", "type_conditions_for"]

FRAGMENT_PREFIX = "... on "


class TypeConditions:
    """Cached subtype answers for one schema; build once per schema and share.

    It holds its schema weakly: `_BY_SCHEMA` is keyed by the schema, and a value that
    held its key would keep every schema a reload replaced alive."""

    __slots__ = ("__weakref__", "_cache", "_schema_ref")

    def __init__(self, schema: GraphQLSchema) -> None:
        self._schema_ref = weakref.ref(schema)
        self._cache: dict[tuple[str, str], bool] = {}

    def matches(self, typename: str, condition: str) -> bool:
        """True when ``typename`` is ``condition`` or one of its subtypes."""
        if typename == condition:
            return True
        key = (typename, condition)
        known = self._cache.get(key)
        if known is None:
            known = self._cache[key] = self._is_subtype(typename, condition)
        return known

    @property
    def _schema(self) -> GraphQLSchema:
        schema = self._schema_ref()
        assert schema is not None, "used after its schema was freed"
        return schema

    @property
    def schema(self) -> GraphQLSchema:
        return self._schema

    def is_object(self, typename: str) -> bool:
        """True when ``typename`` names an object type (a runtime type)."""
        return isinstance(self._schema.get_type(typename), GraphQLObjectType)

    def _is_subtype(self, typename: str, condition: str) -> bool:
        runtime = self._schema.get_type(typename)
        abstract = self._schema.get_type(condition)
        if not isinstance(runtime, GraphQLObjectType | GraphQLInterfaceType):
            return False
        if abstract is None or not is_abstract_type(abstract):
            return False
        return self._schema.is_sub_type(abstract, runtime)


_BY_SCHEMA: weakref.WeakKeyDictionary[GraphQLSchema, TypeConditions] = (
    weakref.WeakKeyDictionary()
)


# The schema asked for last and its answer: nearly every call (one per plan execution)
# asks for the schema being served, and a WeakKeyDictionary lookup is Python code
# that makes a weak reference per call.
_last: tuple[weakref.ref[GraphQLSchema], TypeConditions] | None = None


def type_conditions_for(schema: GraphQLSchema) -> TypeConditions:
    """The shared ``TypeConditions`` of ``schema`` (made on first request)."""
    global _last
    last = _last
    if last is not None and last[0]() is schema:
        return last[1]
    conditions = _BY_SCHEMA.get(schema)
    if conditions is None:
        conditions = _BY_SCHEMA[schema] = TypeConditions(schema)
    _last = (weakref.ref(schema), conditions)
    return conditions
