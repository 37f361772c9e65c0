"""Records for a given supergraph, seeded: ``synthesise_world(name, supergraph, seed)``.

``oracle.generate`` draws a schema and its records together; this module starts from a
supergraph someone else wrote (the planner scenarios, the example graph) and fills it:

- each entity type (an object type some subgraph gives a ``@key``) gets a few records
  whose scalar values are unique in the world, so every key (compound and nested ones
  too) names one record, and a representation typed as an interface (an
  ``@interfaceObject``) finds one implementation;
- every field of every subgraph has a value: a leaf, a list of 0-3, a reference to an
  entity record, or an inline object for a value type (with ``__typename``, so that an
  interface or union of value types knows its member);
- a field of an abstract type only takes runtime types that every subgraph resolving it
  knows as members there (a ``@shareable`` union that one subgraph knows in part only
  ever holds the common members), so that each subgraph is a correct one;
- root ``Query`` fields are stored, except those with required arguments, which are
  lookups (``oracle.semantics``); a field returning ``Query`` points at the root.

Non-null fields are never null; nullable non-key fields sometimes are.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    GraphQLUnionType,
    Undefined,
    get_named_type,
    parse,
)

from oracle.semantics import Data
from oracle.subgraph_schema import TypeMeta, build_subgraph, read_meta
from oracle.world import REF, World
from planner.supergraph import Supergraph, extract_subgraphs

__all__ = ["QUERY_RECORD", "synthesise_world"]

# The record a field returning ``Query`` points at: the root's values again.
QUERY_RECORD = "query"
RECORDS_PER_ENTITY = 3
MAX_LIST = 3
NULL_SHARE = 0.08
EMPTY_LIST_SHARE = 0.1
# Inline value objects nest at most this deep before nullable fields stop.
MAX_INLINE_DEPTH = 4


def synthesise_world(
    name: str,
    supergraph: Supergraph,
    seed: int = 0,
    *,
    records_per_entity: int = RECORDS_PER_ENTITY,
) -> World:
    """A world over ``supergraph``'s subgraphs (as ``extract_subgraphs`` writes them)."""
    subgraphs = extract_subgraphs(supergraph)
    return _Synthesiser(
        name, supergraph, subgraphs, random.Random(f"synthesise:{name}:{seed}")
    ).build(records_per_entity)


class _Synthesiser:
    def __init__(
        self,
        name: str,
        supergraph: Supergraph,
        subgraphs: dict[str, str],
        rng: random.Random,
    ) -> None:
        self.name = name
        self.schema: GraphQLSchema = supergraph.schema
        self.subgraphs = subgraphs
        self.rng = rng
        self.metas = {sg: read_meta(parse(sdl)) for sg, sdl in subgraphs.items()}
        self.entities = sorted(
            {
                type_name
                for metas in self.metas.values()
                for type_name, meta in metas.items()
                if meta.keys
                and isinstance(self.schema.get_type(type_name), GraphQLObjectType)
            }
        )
        self.key_fields = _key_fields(self.metas)
        self.allowed = self._allowed_runtime_types()
        self.records: dict[str, dict[str, Any]] = {}
        self.ids: dict[str, list[str]] = {}
        self.counter = 0

    # -- what each subgraph can return --------------------------------------------

    def _allowed_runtime_types(self) -> dict[tuple[str, str], set[str]]:
        """``(type, field)`` -> the runtime types every subgraph resolving the field
        knows as members of its abstract type there."""
        empty = Data(World("synthesis", {}, {}))
        allowed: dict[tuple[str, str], set[str]] = {}
        for subgraph, sdl in self.subgraphs.items():
            schema = build_subgraph(subgraph, sdl, empty).schema
            metas = self.metas[subgraph]
            for type_name, named in schema.type_map.items():
                if type_name.startswith("_") or not isinstance(
                    named, GraphQLObjectType | GraphQLInterfaceType
                ):
                    continue
                meta = metas.get(type_name, TypeMeta())
                for field_name, field in named.fields.items():
                    field_meta = meta.fields.get(field_name)
                    if field_meta is not None and field_meta.external:
                        continue
                    target = get_named_type(field.type)
                    if not isinstance(target, GraphQLInterfaceType | GraphQLUnionType):
                        continue
                    members = {t.name for t in schema.get_possible_types(target)}
                    for owner in self._concrete(type_name):
                        key = (owner, field_name)
                        allowed[key] = allowed.get(key, members) & members
        return allowed

    def _concrete(self, type_name: str) -> list[str]:
        """The supergraph object types a subgraph type stands for (an interface, or an
        ``@interfaceObject``, stands for its implementations)."""
        named = self.schema.get_type(type_name)
        if isinstance(named, GraphQLInterfaceType):
            return [t.name for t in self.schema.get_possible_types(named)]
        return [type_name]

    # -- records ------------------------------------------------------------------

    def build(self, per_entity: int) -> World:
        for type_name in self.entities:
            self.ids[type_name] = [
                f"{type_name}:{index}" for index in range(per_entity)
            ]
        for type_name in self.entities:
            named = self.schema.get_type(type_name)
            assert isinstance(named, GraphQLObjectType)
            for record_id in self.ids[type_name]:
                self.records[record_id] = self._object(named, 0)
        query_type = self.schema.query_type
        assert query_type is not None
        query: dict[str, Any] = {}
        for field_name, field in query_type.fields.items():
            if field_name.startswith("_") or self._is_lookup(field):
                continue
            # Root values are never null and lists never short: they are where every
            # operation starts.
            query[field_name] = self._value(
                field.type, ("Query", field_name), 0, firm=True
            )
        if any(
            get_named_type(f.type) is query_type
            for t in self.schema.type_map.values()
            if isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
            for f in t.fields.values()
        ):
            self.records[QUERY_RECORD] = {"__typename": query_type.name, **query}
        return World(
            name=self.name,
            subgraphs=self.subgraphs,
            records=self.records,
            query=query,
            features=("synthesised",),
        )

    def _is_lookup(self, field: GraphQLField) -> bool:
        """A root field whose required arguments each name a field of every type it
        can return (``product(upc:)``): records are looked up. Any other is stored."""
        required = [
            name
            for name, arg in field.args.items()
            if isinstance(arg.type, GraphQLNonNull) and arg.default_value is Undefined
        ]
        named = get_named_type(field.type)
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            types = list(self.schema.get_possible_types(named))
        elif isinstance(named, GraphQLObjectType):
            types = [named]
        else:
            return False
        return bool(required) and all(
            name in t.fields for t in types for name in required
        )

    def _object(self, named: GraphQLObjectType, depth: int) -> dict[str, Any]:
        record: dict[str, Any] = {"__typename": named.name}
        keys = self.key_fields.get(named.name, set()) | self.key_fields.get("*", set())
        for field_name, field in named.fields.items():
            if field_name.startswith("_"):
                continue
            record[field_name] = self._value(
                field.type, (named.name, field_name), depth, firm=field_name in keys
            )
        return record

    # ``firm``: never null, and a list has at least two items (key fields, root fields).
    def _value(
        self,
        type_: GraphQLOutputType,
        where: tuple[str, str],
        depth: int,
        *,
        firm: bool,
        nullable_item: bool = False,
    ) -> Any:
        if isinstance(type_, GraphQLNonNull):
            return self._non_null(type_.of_type, where, depth, firm=firm)
        if not firm and (
            self.rng.random() < (NULL_SHARE / 3 if nullable_item else NULL_SHARE)
            or depth > MAX_INLINE_DEPTH
        ):
            return None
        return self._non_null(type_, where, depth, firm=firm)

    def _non_null(
        self, type_: Any, where: tuple[str, str], depth: int, *, firm: bool
    ) -> Any:
        if isinstance(type_, GraphQLList):
            if firm:
                length = self.rng.randint(2, MAX_LIST)
            elif self.rng.random() < EMPTY_LIST_SHARE:
                length = 0
            else:
                length = self.rng.randint(1, MAX_LIST)
            return [
                self._value(type_.of_type, where, depth, firm=firm, nullable_item=True)
                for _ in range(length)
            ]
        named = get_named_type(type_)
        if isinstance(named, GraphQLInterfaceType | GraphQLUnionType):
            possible = [t.name for t in self.schema.get_possible_types(named)]
            allowed = self.allowed.get(where)
            if allowed is not None:
                possible = [name for name in possible if name in allowed]
            if not possible:
                return None
            return self._object_value(self.rng.choice(possible), depth)
        if isinstance(named, GraphQLObjectType):
            return self._object_value(named.name, depth)
        return self._leaf(named, where, firm)

    def _object_value(self, type_name: str, depth: int) -> Any:
        if type_name == (self.schema.query_type and self.schema.query_type.name):
            return {REF: QUERY_RECORD}
        if type_name in self.ids:
            return {REF: self.rng.choice(self.ids[type_name])}
        named = self.schema.get_type(type_name)
        assert isinstance(named, GraphQLObjectType), type_name
        return self._object(named, depth + 1)

    def _leaf(self, named: Any, where: tuple[str, str], firm: bool) -> Any:
        self.counter += 1
        n = self.counter
        if isinstance(named, GraphQLEnumType):
            values = list(named.values)
            return values[n % len(values)]
        kind = named.name
        if kind == "Int":
            return n
        if kind == "Float":
            return n + 0.5
        if kind == "Boolean":
            return n % 2 == 0
        if kind == "ID" or firm:
            return str(n)  # a key: what a lookup argument like "1" can name
        return f"{where[1]}-{n}"


def _key_fields(metas: Mapping[str, Mapping[str, TypeMeta]]) -> dict[str, set[str]]:
    """Type -> the names its keys use at any depth (by the type the key is on: nested
    names count for the nested type too, loosely; they must never be null)."""
    names: dict[str, set[str]] = {}
    for per_subgraph in metas.values():
        for type_name, meta in per_subgraph.items():
            for selection, _ in meta.keys:
                _collect(selection, names.setdefault(type_name, set()), names)
    return names


def _collect(selection: Any, into: set[str], names: dict[str, set[str]]) -> None:
    for node in selection.selections:
        name = getattr(node, "name", None)
        if name is not None:
            into.add(name.value)
        if node.selection_set is not None:
            # Nested key fields: never null on any type (cheap and safe).
            _collect(node.selection_set, names.setdefault("*", set()), names)
