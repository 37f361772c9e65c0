"""What a world's records answer: one set of rules for the monolith and every subgraph.

- A field answers the record's stored value. A field with arguments answers a value
  derived from the stored one and the arguments (``derive``), so that ``price(currency:
  EUR)`` and ``price(currency: USD)`` differ and a value fetched with the wrong
  arguments shows.
- A field some subgraph declares with ``@requires(fields: FS)`` is computed from the
  values of ``FS`` (``compute``): in the monolith from the record itself, in the
  requiring subgraph only from the representation the router sent. A missing or wrong
  required value therefore changes the answer, or is refused outright.
- A root field with arguments and no stored value is a lookup: the records of its type
  whose fields equal the arguments.

Resolvers see objects as ``Obj``: the record, the representation it came in (subgraph
``_entities`` only) and the fields a ``@provides`` above it makes available.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    parse,
)
from graphql.execution.values import get_argument_values

from oracle.world import ERROR, REF, World

__all__ = [
    "Data",
    "FieldFailure",
    "Obj",
    "Violation",
    "canonical",
    "compute",
    "derive",
    "is_list_type",
    "parse_field_set",
    "serialize_leaf",
]


class Obj:
    """An object value as a resolver sees it."""

    __slots__ = ("provided", "record", "rep")

    def __init__(
        self,
        record: dict[str, Any],
        rep: Mapping[str, Any] | None = None,
        provided: Mapping[str, Any] | None = None,
    ) -> None:
        self.record = record
        self.rep = rep
        self.provided = provided

    @property
    def typename(self) -> str | None:
        name = self.record.get("__typename")
        return name if isinstance(name, str) else None

    def __repr__(self) -> str:
        return f"Obj({self.record.get('__typename')}, {self.record.get('id')!r})"


class Violation(Exception):
    """A request a correct router never sends to this subgraph (it is logged, and the
    test that caused it fails even when the answer comes out right)."""


class FieldFailure(Exception):
    """The world says this field fails here: an error both sides must report."""


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def stable_hash(value: Any) -> int:
    return int.from_bytes(hashlib.sha1(canonical(value).encode()).digest()[:6], "big")


def parse_field_set(text: str) -> SelectionSetNode:
    operation = parse("{" + text + "}").definitions[0]
    return operation.selection_set  # type: ignore[attr-defined,no-any-return]


def serialize_leaf(value: Any, named: GraphQLNamedType) -> Any:
    """A leaf value as it travels in a response (``Float`` 2 is ``2.0``)."""
    if value is None:
        return None
    if isinstance(value, list):
        return [serialize_leaf(item, named) for item in value]
    if isinstance(named, GraphQLScalarType | GraphQLEnumType):
        return named.serialize(value)
    return value


def derive(value: Any, args: Mapping[str, Any], named: GraphQLNamedType) -> Any:
    """The value a field with arguments answers, from its stored value."""
    if not args or value is None:
        return value
    return _derive(value, stable_hash(dict(args)), args, named)


def _derive(
    value: Any, h: int, args: Mapping[str, Any], named: GraphQLNamedType
) -> Any:
    if value is None:
        return None
    if isinstance(value, list):
        items = [_derive(item, h, args, named) for item in value]
        first = args.get("first")
        if isinstance(first, int) and not isinstance(first, bool):
            return items[: max(first, 0)]
        if items and isinstance(items[0], Obj):
            shift = h % len(items)
            return items[shift:] + items[:shift]
        return items
    if isinstance(value, Obj):
        return value
    if isinstance(named, GraphQLEnumType):
        names = list(named.values)
        if value not in names:
            return value
        if len(names) < 2:
            return value
        step = 1 + h % (len(names) - 1)
        return names[(names.index(value) + step) % len(names)]
    kind = named.name
    if kind in ("String", "ID"):
        return f"{value}~{h % 997}"
    if kind == "Int" and isinstance(value, int):
        return value + 1 + h % 997
    if kind == "Float" and isinstance(value, int | float):
        return float(value) + (1 + h % 64) / 4
    if kind == "Boolean" and isinstance(value, bool):
        return value != bool(h & 1)
    return value


def compute(
    values: Any, named: GraphQLNamedType, many: bool = False, data: Data | None = None
) -> Any:
    """What a ``@requires`` field answers for these required values: an object type's
    field (``many``: a list) answers records of that type, picked by the values."""
    h = stable_hash(values)
    if isinstance(named, GraphQLObjectType):
        assert data is not None, named.name
        records = data.by_type.get(named.name, [])
        if not records:
            return [] if many else None
        if many:
            return [Obj(records[(h + i) % len(records)]) for i in range(h % 4)]
        return Obj(records[h % len(records)])
    if isinstance(named, GraphQLEnumType):
        names = list(named.values)
        return names[h % len(names)]
    kind = named.name
    if kind == "Int":
        return h % 1000
    if kind == "Float":
        return (h % 1000) / 8
    if kind == "Boolean":
        return bool(h & 1)
    return f"req-{h % 100000}"


class Data:
    """The world's records, indexed, and the rules every side resolves them by."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.records = world.records
        self.query = world.query
        self.by_type: dict[str, list[dict[str, Any]]] = {}
        for record in world.records.values():
            self.by_type.setdefault(str(record.get("__typename")), []).append(record)

    def root(self) -> Obj:
        return Obj(self.query)

    def wrap(self, value: Any, provided: Mapping[str, Any] | None = None) -> Any:
        """A stored value as resolvers return it: references become ``Obj``."""
        if isinstance(value, list):
            return [self.wrap(item, provided) for item in value]
        if isinstance(value, dict):
            if REF in value:
                return Obj(self.records[value[REF]], provided=provided)
            if ERROR in value:
                raise FieldFailure(str(value[ERROR]))
            return Obj(value, provided=provided)
        return value

    def stored(self, record: Mapping[str, Any], field_name: str) -> Any:
        value = record.get(field_name)
        if isinstance(value, dict) and ERROR in value:
            raise FieldFailure(str(value[ERROR]))
        return value

    def lookup(
        self,
        field: GraphQLField,
        args: Mapping[str, Any],
        type_names: list[str],
        provided: Mapping[str, Any] | None = None,
    ) -> Any:
        """A root lookup: records of ``type_names`` whose fields equal ``args``
        (``provided``: the lookup's ``@provides``, as ``wrap`` takes it)."""
        wanted = {k: v for k, v in args.items() if v is not None}
        found = [
            Obj(record, provided=provided)
            for name in type_names
            for record in self.by_type.get(name, ())
            if all(canonical(record.get(k)) == canonical(v) for k, v in wanted.items())
        ]
        if is_list_type(field.type):
            return found
        return found[0] if found else None

    def is_lookup(self, field_name: str, args: Mapping[str, Any]) -> bool:
        return bool(args) and field_name not in self.query


def is_list_type(type_: Any) -> bool:
    from graphql import GraphQLList, GraphQLNonNull

    while isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    return isinstance(type_, GraphQLList)


class RecordEvaluator:
    """Evaluates a field set on a record the way the monolith answers it (for the
    values a ``@requires`` is computed from)."""

    def __init__(
        self,
        data: Data,
        schema: GraphQLSchema,
        computed: Mapping[tuple[str, str], SelectionSetNode],
    ) -> None:
        self.data = data
        self.schema = schema  # the full supergraph schema: inaccessible fields included
        self.computed = computed

    def value(
        self,
        record: dict[str, Any],
        type_name: str,
        field_name: str,
        args: Mapping[str, Any],
        named: GraphQLNamedType,
    ) -> Any:
        """The monolith's value of ``type_name.field_name`` on ``record`` (wrapped)."""
        required = self.computed.get((type_name, field_name))
        if required is not None:
            parent = self.schema.get_type(type_name)
            assert isinstance(parent, GraphQLObjectType), type_name
            many = is_list_type(parent.fields[field_name].type)
            values = self.evaluate(record, type_name, required)
            return derive(compute(values, named, many, self.data), args, named)
        return derive(self.data.wrap(self.data.stored(record, field_name)), args, named)

    def evaluate(
        self, record: dict[str, Any], type_name: str, selection: SelectionSetNode
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        parent = self.schema.get_type(type_name)
        for node in selection.selections:
            if isinstance(node, InlineFragmentNode):
                condition = (
                    node.type_condition.name.value if node.type_condition else None
                )
                if condition is None or self._matches(type_name, condition):
                    _merge_into(
                        out, self.evaluate(record, type_name, node.selection_set)
                    )
                continue
            assert isinstance(node, FieldNode)
            name = node.name.value
            if name == "__typename":
                continue
            assert isinstance(parent, GraphQLObjectType), type_name
            field = parent.fields[name]
            args = get_argument_values(field, node, {})
            named = get_named_type(field.type)
            value = self.value(record, type_name, name, args, named)
            out[name] = self._project(value, node, named)
        return out

    def _project(self, value: Any, node: FieldNode, named: GraphQLNamedType) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            return [self._project(item, node, named) for item in value]
        if isinstance(value, Obj):
            assert node.selection_set is not None
            runtime = value.typename or named.name
            return self.evaluate(value.record, runtime, node.selection_set)
        return serialize_leaf(value, named)

    def _matches(self, type_name: str, condition: str) -> bool:
        if type_name == condition:
            return True
        abstract = self.schema.get_type(condition)
        concrete = self.schema.get_type(type_name)
        return (
            abstract is not None
            and is_abstract_type(abstract)
            and isinstance(concrete, GraphQLObjectType)
            and self.schema.is_sub_type(abstract, concrete)  # type: ignore[arg-type]
        )


def _merge_into(target: dict[str, Any], extra: dict[str, Any]) -> None:
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        else:
            target[key] = value


def project_representation(
    rep: Any, selection: SelectionSetNode, schema: GraphQLSchema, type_name: str
) -> Any:
    """The values of ``selection`` as a representation carries them; a missing one is a
    violation (the router sent an entity without what its ``@requires`` needs)."""
    if rep is None:
        return None
    if isinstance(rep, list):
        return [
            project_representation(item, selection, schema, type_name) for item in rep
        ]
    if not isinstance(rep, dict):
        raise Violation(f"expected an object for {type_name} in the representation")
    out: dict[str, Any] = {}
    runtime = rep.get("__typename")
    parent = schema.get_type(type_name)
    for node in selection.selections:
        if isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            if condition is not None and condition != type_name:
                if not isinstance(runtime, str):
                    raise Violation(
                        f"the representation's {type_name} object has no __typename "
                        f"to match ... on {condition}"
                    )
                abstract = schema.get_type(condition)
                concrete = schema.get_type(runtime)
                matches = runtime == condition or (
                    abstract is not None
                    and is_abstract_type(abstract)
                    and isinstance(concrete, GraphQLObjectType)
                    and schema.is_sub_type(abstract, concrete)  # type: ignore[arg-type]
                )
                if not matches:
                    continue
            inner_type = condition or type_name
            _merge_into(
                out, project_representation(rep, node.selection_set, schema, inner_type)
            )
            continue
        assert isinstance(node, FieldNode)
        name = node.name.value
        if name == "__typename":
            continue
        if name not in rep:
            raise Violation(
                f"the representation lacks {type_name}.{name}, which @requires needs: "
                f"{canonical(rep)}"
            )
        value = rep[name]
        if node.selection_set is not None and value is not None:
            fields = getattr(parent, "fields", {})
            named = get_named_type(fields[name].type) if name in fields else None
            value = project_representation(
                value, node.selection_set, schema, named.name if named else name
            )
        out[name] = value
    return out
