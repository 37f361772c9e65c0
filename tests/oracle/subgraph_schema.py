"""One subgraph of a world as an executable graphql-core schema.

The subgraph's own SDL, plus what the Federation 2 subgraph specification adds
(``_Any``, ``_Entity``, ``_Service``, ``Query._entities`` and ``Query._service``), served
from the world's records by ``oracle.semantics``' rules. It answers only what its SDL
says it can:

- an ``@external`` field only below a field whose ``@provides`` names it;
- a ``@requires`` field only on an object that came through ``_entities``, computed
  from the representation's values (never from the record);
- ``_entities`` only for a representation that carries one of the type's resolvable
  keys, and only for types this subgraph defines.

Anything else is a ``Violation``: a fetch a correct router never sends here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    GraphQLAbstractType,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaExtensionNode,
    SelectionSetNode,
    StringValueNode,
    build_ast_schema,
    get_named_type,
    parse,
)

from oracle.semantics import (
    Data,
    FieldFailure,
    Obj,
    Violation,
    canonical,
    compute,
    derive,
    is_list_type,
    parse_field_set,
    project_representation,
)

__all__ = ["FEDERATION_PRELUDE", "SubgraphRuntime", "build_subgraph"]

FEDERATION_PRELUDE = """
scalar _Any
scalar FieldSet
scalar federation__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
directive @link(url: String!, as: String, import: [link__Import], for: link__Purpose) repeatable on SCHEMA
directive @key(fields: FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @requires(fields: FieldSet!) on FIELD_DEFINITION
directive @provides(fields: FieldSet!) on FIELD_DEFINITION
directive @external(reason: String) on OBJECT | FIELD_DEFINITION
directive @shareable repeatable on OBJECT | FIELD_DEFINITION
directive @override(from: String!, label: String) on FIELD_DEFINITION
directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @interfaceObject on OBJECT
directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @extends on OBJECT | INTERFACE
type _Service { sdl: String }
"""

_TYPE_NODES = (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
)


@dataclass
class FieldMeta:
    external: bool = False
    requires: SelectionSetNode | None = None
    provides: dict[str, Any] | None = None


@dataclass
class TypeMeta:
    keys: list[tuple[SelectionSetNode, bool]] = field(default_factory=list)
    interface_object: bool = False
    fields: dict[str, FieldMeta] = field(default_factory=dict)


def _string_arg(directive: DirectiveNode, name: str) -> str | None:
    for argument in directive.arguments or ():
        if argument.name.value == name and isinstance(argument.value, StringValueNode):
            return argument.value.value
    return None


def _bool_arg(directive: DirectiveNode, name: str, default: bool) -> bool:
    for argument in directive.arguments or ():
        if argument.name.value == name and isinstance(argument.value, BooleanValueNode):
            return bool(argument.value.value)
    return default


def provided_tree(selection: SelectionSetNode) -> dict[str, Any]:
    """A ``@provides`` field set as nested names (type conditions flattened)."""
    tree: dict[str, Any] = {}
    for node in selection.selections:
        if isinstance(node, InlineFragmentNode):
            for name, sub in provided_tree(node.selection_set).items():
                tree.setdefault(name, sub)
        elif isinstance(node, FieldNode):
            tree[node.name.value] = (
                provided_tree(node.selection_set) if node.selection_set else {}
            )
    return tree


def read_meta(document: DocumentNode) -> dict[str, TypeMeta]:
    metas: dict[str, TypeMeta] = {}
    for definition in document.definitions:
        if not isinstance(definition, _TYPE_NODES):
            continue
        meta = metas.setdefault(definition.name.value, TypeMeta())
        for directive in definition.directives or ():
            if directive.name.value == "key":
                fields = _string_arg(directive, "fields") or ""
                meta.keys.append(
                    (parse_field_set(fields), _bool_arg(directive, "resolvable", True))
                )
            elif directive.name.value == "interfaceObject":
                meta.interface_object = True
        for field_node in definition.fields or ():
            info = FieldMeta()
            for directive in field_node.directives or ():
                name = directive.name.value
                if name == "external":
                    info.external = True
                elif name == "requires":
                    info.requires = parse_field_set(
                        _string_arg(directive, "fields") or ""
                    )
                elif name == "provides":
                    info.provides = provided_tree(
                        parse_field_set(_string_arg(directive, "fields") or "")
                    )
            meta.fields[field_node.name.value] = info
    return metas


def build_subgraph(name: str, sdl: str, data: Data) -> SubgraphRuntime:
    document = parse(sdl)
    metas = read_meta(document)
    entities = [
        type_name
        for type_name, meta in metas.items()
        if meta.keys
        and any(
            isinstance(d, ObjectTypeDefinitionNode | ObjectTypeExtensionNode)
            and d.name.value == type_name
            for d in document.definitions
        )
    ]
    has_query = any(
        isinstance(d, ObjectTypeDefinitionNode) and d.name.value == "Query"
        for d in document.definitions
    )
    extra = [FEDERATION_PRELUDE]
    root = "extend type Query" if has_query else "type Query"
    if entities:
        extra.append("union _Entity = " + " | ".join(entities))
        extra.append(
            root + " { _entities(representations: [_Any!]!): [_Entity]! "
            "_service: _Service! }"
        )
    else:
        extra.append(root + " { _service: _Service! }")
    definitions = [
        d for d in document.definitions if not isinstance(d, SchemaExtensionNode)
    ]
    full = DocumentNode(
        definitions=(*parse("\n".join(extra)).definitions, *definitions)
    )
    # Root extensions first would fail: put `extend type Query` after the definitions.
    ordered = sorted(
        full.definitions, key=lambda d: isinstance(d, ObjectTypeExtensionNode)
    )
    schema = build_ast_schema(DocumentNode(definitions=tuple(ordered)))
    return SubgraphRuntime(name, sdl, schema, metas, data)


class SubgraphRuntime:
    """A subgraph's schema and resolvers; ``execute`` is done by the server."""

    def __init__(
        self,
        name: str,
        sdl: str,
        schema: GraphQLSchema,
        metas: dict[str, TypeMeta],
        data: Data,
    ) -> None:
        self.name = name
        self.sdl = sdl
        self.schema = schema
        self.metas = metas
        self.data = data
        self.interface_objects = [n for n, m in metas.items() if m.interface_object]
        # Object types of the world (by record) an interface object here stands for.
        self._world_interfaces: dict[str, set[str]] = {}

    def set_world_interfaces(self, implements: Mapping[str, set[str]]) -> None:
        """The interfaces each world object type implements (from the supergraph), so
        that interface objects here stand for them."""
        self._world_interfaces = dict(implements)

    # -- resolvers ----------------------------------------------------------------

    def field_resolver(self, source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
        try:
            return self._resolve(source, info, args)
        except FieldFailure as failure:
            raise GraphQLError(str(failure)) from None

    def _resolve(
        self, source: Any, info: GraphQLResolveInfo, args: dict[str, Any]
    ) -> Any:
        parent = info.parent_type
        name = info.field_name
        if parent is self.schema.query_type:
            if name == "_entities":
                return [self._entity(rep) for rep in args["representations"]]
            if name == "_service":
                return {"sdl": self.sdl}
        if isinstance(source, dict):  # _Service
            return source.get(name)
        assert isinstance(source, Obj), source
        field_def = parent.fields[name]
        named = get_named_type(field_def.type)
        meta = self.metas.get(parent.name, TypeMeta()).fields.get(name, FieldMeta())
        provided_here = source.provided is not None and name in source.provided
        if meta.external and not provided_here:
            raise Violation(
                f"{parent.name}.{name} is @external in subgraph {self.name!r} and no "
                "@provides above it names it"
            )
        if meta.requires is not None:
            if source.rep is None:
                raise Violation(
                    f"{parent.name}.{name} has @requires in subgraph {self.name!r} but "
                    "its object did not come through _entities"
                )
            values = project_representation(
                source.rep, meta.requires, self.schema, parent.name
            )
            many = is_list_type(field_def.type)
            return derive(compute(values, named, many, self.data), args, named)
        roots = (self.schema.query_type, self.schema.mutation_type)
        if parent in roots and self.data.is_lookup(name, args):
            return self.data.lookup(
                field_def, args, self._object_types(named.name), meta.provides
            )
        if meta.provides is not None:
            below: dict[str, Any] | None = meta.provides
        elif provided_here:
            assert source.provided is not None
            below = source.provided[name] or None
        else:
            below = None
        stored = self.data.stored(source.record, name)
        return derive(self.data.wrap(stored, below), args, named)

    def _object_types(self, type_name: str) -> list[str]:
        named = self.schema.get_type(type_name)
        if isinstance(named, GraphQLObjectType):
            return [type_name]
        if isinstance(named, GraphQLInterfaceType | GraphQLAbstractType):
            return [t.name for t in self.schema.get_possible_types(named)]  # type: ignore[arg-type]
        return []

    def type_resolver(
        self, value: Any, info: GraphQLResolveInfo, abstract: GraphQLAbstractType
    ) -> str:
        assert isinstance(value, Obj)
        runtime = value.typename
        possible = {t.name for t in self.schema.get_possible_types(abstract)}
        if runtime in possible:
            return runtime
        for interface in self.interface_objects:
            if interface in possible and interface in self._world_interfaces.get(
                runtime or "", set()
            ):
                return interface
        raise Violation(
            f"an object of type {runtime} reached {abstract.name} in subgraph "
            f"{self.name!r}, which does not know it as one"
        )

    def _entity(self, rep: Any) -> Obj | None:
        if not isinstance(rep, dict) or not isinstance(rep.get("__typename"), str):
            raise Violation(f"a representation without __typename: {canonical(rep)}")
        type_name = rep["__typename"]
        meta = self.metas.get(type_name)
        schema_type = self.schema.get_type(type_name)
        if schema_type is None or meta is None or not meta.keys:
            raise Violation(
                f"subgraph {self.name!r} has no entity type {type_name}: "
                f"{canonical(rep)}"
            )
        resolvable = [key for key, ok in meta.keys if ok]
        if not resolvable:
            raise Violation(
                f"{type_name} has no resolvable @key in subgraph {self.name!r}"
            )
        key = next((k for k in resolvable if _has_fields(rep, k)), None)
        if key is None:
            raise Violation(
                f"the representation {canonical(rep)} carries no complete @key of "
                f"{type_name} in subgraph {self.name!r}"
            )
        if isinstance(schema_type, GraphQLObjectType) and not meta.interface_object:
            candidates = [type_name]
        else:
            candidates = [
                world_type
                for world_type, interfaces in self._world_interfaces.items()
                if type_name in interfaces
            ]
        wanted = canonical(project_representation(rep, key, self.schema, type_name))
        for candidate in candidates:
            for record in self.data.by_type.get(candidate, ()):
                if canonical(self._key_of(record, key)) == wanted:
                    return Obj(record, rep=rep)
        return None

    def _key_of(self, record: Any, key: SelectionSetNode) -> Any:
        """A record's key values, as a representation would carry them."""
        out: dict[str, Any] = {}
        for node in key.selections:
            if not isinstance(node, FieldNode):
                continue
            value = record.get(node.name.value)
            if node.selection_set is not None:
                value = self._nested_key(value, node.selection_set)
            out[node.name.value] = value
        return out

    def _nested_key(self, value: Any, key: SelectionSetNode) -> Any:
        if isinstance(value, list):
            return [self._nested_key(v, key) for v in value]
        if isinstance(value, dict):
            record = self.data.records[value["$ref"]] if "$ref" in value else value
            return self._key_of(record, key)
        return value


def _has_fields(rep: dict[str, Any], key: SelectionSetNode) -> bool:
    for node in key.selections:
        if isinstance(node, FieldNode):
            name = node.name.value
            if name not in rep:
                return False
            if (
                node.selection_set is not None
                and isinstance(rep[name], dict)
                and not _has_fields(rep[name], node.selection_set)
            ):
                return False
    return True
