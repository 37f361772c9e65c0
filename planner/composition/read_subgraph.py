"""Subgraph SDL to the composition model, with GraphQL validity checked by graphql-core.

Federation machinery a subgraph may print (`_Service`, `_Any`, `_entities`, federation
directive definitions) is dropped and replaced with our own definitions under the names the
subgraph's `@link` gives, so that graphql-core validates directive use and locations. Type
extensions with no base definition (Federation 1's `extend type Product @key(...)`) become
definitions marked as extensions.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, cast

from graphql import (
    DefinitionNode,
    DirectiveDefinitionNode,
    DirectiveNode,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLSyntaxError,
    GraphQLUnionType,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    Node,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    ScalarTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    Visitor,
    parse,
    print_ast,
    validate_schema,
    visit,
)
from graphql.type.introspection import introspection_types
from graphql.type.scalars import specified_scalar_types

from planner.composition.errors import error_at
from planner.composition.links import FederationLink, LinkError, read_links
from planner.composition.print_value import print_value
from planner.composition.result import CompositionError, SubgraphInput
from planner.composition.sdl_schema import build_sdl_schema
from planner.composition.subgraph_model import (
    DEFAULT_ROOT_NAMES,
    ROOT_KINDS,
    Applied,
    DirectiveDef,
    EnumValueDef,
    FieldDef,
    InputValueDef,
    KeyDef,
    Subgraph,
    TypeDef,
)
from planner.links import FEDERATION_IDENTITY, directive_arguments

__all__ = ["read_subgraph"]

_MACHINERY_TYPES = {
    "_Any", "_Entity", "_Service", "FieldSet", "_FieldSet", "link__Import", "link__Purpose",
    "federation__FieldSet", "federation__Scope", "federation__Policy", "federation__ContextFieldValue",
}  # fmt: skip
_MACHINERY_FIELDS = {"_entities", "_service"}
_DEFINITIONS = {
    "key": "(fields: _FedFieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE",
    "requires": "(fields: _FedFieldSet!) on FIELD_DEFINITION",
    "provides": "(fields: _FedFieldSet!) on FIELD_DEFINITION",
    "external": "(reason: String) on OBJECT | FIELD_DEFINITION",
    "shareable": "repeatable on OBJECT | FIELD_DEFINITION",
    "override": "(from: String!, label: String) on FIELD_DEFINITION",
    "inaccessible": "on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION",
    "tag": "(name: String!) repeatable on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION | SCHEMA",
    "extends": "on OBJECT | INTERFACE",
    "composeDirective": "(name: String!) repeatable on SCHEMA",
    "interfaceObject": "on OBJECT",
    "authenticated": "on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "requiresScopes": "(scopes: [[_FedAny!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "policy": "(policies: [[_FedAny!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
    "context": "(name: String!) repeatable on INTERFACE | OBJECT | UNION",
    "fromContext": "(field: _FedAny) on ARGUMENT_DEFINITION",
    "cost": "(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION | OBJECT | SCALAR",
    "listSize": "(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION",
}
_PRELUDE = """
scalar _FedFieldSet
scalar _FedAny
directive @link(url: String, as: String, for: _FedAny, import: [_FedAny]) repeatable on SCHEMA
"""
_EXTENSION_TO_DEFINITION: dict[type[Node], type[Node]] = {
    ObjectTypeExtensionNode: ObjectTypeDefinitionNode,
    InterfaceTypeExtensionNode: InterfaceTypeDefinitionNode,
    UnionTypeExtensionNode: UnionTypeDefinitionNode,
    EnumTypeExtensionNode: EnumTypeDefinitionNode,
    InputObjectTypeExtensionNode: InputObjectTypeDefinitionNode,
    ScalarTypeExtensionNode: ScalarTypeDefinitionNode,
}
_BUILTIN_TYPES = set(specified_scalar_types) | set(introspection_types)


def read_subgraph(inp: SubgraphInput) -> tuple[Subgraph | None, list[CompositionError]]:
    """Reads one subgraph; returns the model, or None with INVALID_GRAPHQL/link errors."""
    try:
        document = parse(inp.sdl)
    except GraphQLSyntaxError as exc:
        return None, [_graphql_error(inp.name, exc)]
    schema_nodes = [
        d
        for d in document.definitions
        if isinstance(d, SchemaDefinitionNode | SchemaExtensionNode)
    ]
    try:
        link = read_links([dn for node in schema_nodes for dn in node.directives or ()])
    except LinkError as exc:
        return None, [
            CompositionError(exc.code, f"[{inp.name}] {exc.message}", (inp.name,))
        ]
    unsupported = _unsupported_directives(document, link)
    if unsupported:
        return None, [
            CompositionError(
                "UNSUPPORTED_FEATURE",
                f"[{inp.name}] @{name} is not supported by this composer yet (a field "
                "taking @fromContext arguments would be served without them)",
                (inp.name,),
            )
            for name in unsupported
        ]
    document, orphans = _prepare_document(document, link)
    try:
        schema = build_sdl_schema(document)
    except (GraphQLError, TypeError) as exc:
        return None, [_graphql_error(inp.name, exc)]
    problems = [
        e
        for e in validate_schema(schema)
        if "root type must be provided" not in e.message
    ]
    if problems:
        return None, [_graphql_error(inp.name, e) for e in problems]
    composed = _composed_directives(
        [dn for node in schema_nodes for dn in node.directives or ()], link
    )
    return _SubgraphReader(inp, schema, link, orphans, composed).read()


def _unsupported_directives(document: DocumentNode, link: FederationLink) -> list[str]:
    """The federation directives used in ``document`` that we cannot compose (as the
    subgraph spells them): ``@context`` and ``@fromContext``."""
    wanted = {
        local
        for local, canonical in link.directives.items()
        if canonical in ("context", "fromContext")
    }
    if not wanted:
        return []
    found: list[str] = []

    class _Finder(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            name = node.name.value
            if name in wanted and name not in found:
                found.append(name)

    visit(document, _Finder())
    return found


def _composed_directives(
    directives: list[DirectiveNode], link: FederationLink
) -> dict[str, str]:
    """`@composeDirective(name: "@x")` names -> the url of the non-federation @link importing them."""
    compose_names = {
        local
        for local, canonical in link.directives.items()
        if canonical == "composeDirective"
    }
    imports = {
        imported.alias.lstrip("@"): feature.url
        for feature in link.features
        if feature.identity != FEDERATION_IDENTITY
        for imported in feature.imports
    }
    composed: dict[str, str] = {}
    for d in directives:
        if d.name.value in compose_names:
            args = directive_arguments(d)
            name = str(args.get("name", "")).lstrip("@")
            if name in imports:
                composed[name] = imports[name]
    return composed


def _scopes(value: list[Any]) -> list[list[str]]:
    """`@requiresScopes(scopes:)` or `@policy(policies:)` as lists of strings (a lone value is coerced to a list,
    as GraphQL input coercion does)."""
    groups = value if isinstance(value, list) else [value]
    return [
        [str(s) for s in (group if isinstance(group, list) else [group])]
        for group in groups
    ]


def _graphql_error(subgraph: str, exc: Exception) -> CompositionError:
    message = exc.message if isinstance(exc, GraphQLError) else str(exc)
    first = message.splitlines()[0] if message else "invalid schema"
    locations: tuple[tuple[str, int, int], ...] = ()
    if isinstance(exc, GraphQLError) and exc.locations:
        locations = tuple((subgraph, loc.line, loc.column) for loc in exc.locations)
    return CompositionError(
        "INVALID_GRAPHQL", f"[{subgraph}] {first}", (subgraph,), None, locations
    )


def _prepare_document(
    document: DocumentNode, link: FederationLink
) -> tuple[DocumentNode, set[str]]:
    """Drops federation machinery, adds our directive definitions, promotes orphan extensions."""
    federation_names = set(link.directives) | {"link"}
    machinery_types = _MACHINERY_TYPES | set(link.types)
    kept: list[DefinitionNode] = []
    defined = {
        d.name.value for d in document.definitions if isinstance(d, TypeDefinitionNode)
    }
    orphans: set[str] = set()
    dropped: set[str] = set()
    for node in document.definitions:
        if (
            isinstance(node, DirectiveDefinitionNode)
            and node.name.value in federation_names
        ):
            continue
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            name = node.name.value
            if name in machinery_types:
                continue
            if (
                isinstance(node, ObjectTypeDefinitionNode | ObjectTypeExtensionNode)
                and node.fields
            ):
                fields = tuple(
                    f for f in node.fields if f.name.value not in _MACHINERY_FIELDS
                )
                if len(fields) != len(node.fields):
                    if not fields:
                        dropped.add(name)
                        continue
                    node = _copy(node, fields=fields)
            if isinstance(node, TypeExtensionNode) and name not in defined:
                defined.add(name)
                orphans.add(name)
                node = cast(DefinitionNode, _promote(node))
        kept.append(node)
    if dropped:
        kept = [_without_root_types(n, dropped) for n in kept]
    prelude = _prelude(_federation_definitions(link))
    return DocumentNode(definitions=tuple(kept) + tuple(prelude)), orphans


def _without_root_types(node: DefinitionNode, dropped: set[str]) -> DefinitionNode:
    """A root type that only held `_entities`/`_service` is gone: so is its schema entry."""
    if (
        not isinstance(node, SchemaDefinitionNode | SchemaExtensionNode)
        or not node.operation_types
    ):
        return node
    kept = tuple(o for o in node.operation_types if o.type.name.value not in dropped)
    if kept or isinstance(node, SchemaExtensionNode):
        return cast(DefinitionNode, _copy(node, operation_types=kept))
    return cast(
        DefinitionNode,
        SchemaExtensionNode(directives=node.directives, operation_types=()),
    )


@functools.lru_cache(maxsize=64)
def _prelude(definitions: str) -> tuple[DefinitionNode, ...]:
    """Our definitions, parsed once per distinct set (most subgraphs share one)."""
    return tuple(parse(_PRELUDE + definitions).definitions)


def _federation_definitions(link: FederationLink) -> str:
    return "\n".join(
        f"directive @{local}{'' if _DEFINITIONS[canonical].startswith('(') else ' '}{_DEFINITIONS[canonical]}"
        for local, canonical in link.directives.items()
        if canonical in _DEFINITIONS
    )


def _copy(node: Node, **changes: Any) -> Any:
    kwargs = {key: getattr(node, key) for key in node.keys}
    kwargs.update(changes)
    return node.__class__(**kwargs)


def _promote(node: TypeExtensionNode) -> Node:
    target = _EXTENSION_TO_DEFINITION[type(node)]
    kwargs = {key: getattr(node, key) for key in node.keys}
    kwargs["description"] = None
    return target(**{k: v for k, v in kwargs.items() if k in target.keys})


class _SubgraphReader:
    def __init__(
        self,
        inp: SubgraphInput,
        schema: GraphQLSchema,
        link: FederationLink,
        orphans: set[str],
        composed: dict[str, str],
    ) -> None:
        self.composed = composed
        self.inp = inp
        self.schema = schema
        self.link = link
        self.orphans = orphans
        self.errors: list[CompositionError] = []
        self.renames: dict[str, str] = {}

    def read(self) -> tuple[Subgraph | None, list[CompositionError]]:
        roots: dict[str, str] = {}
        for kind, root in zip(
            ROOT_KINDS,
            (
                self.schema.query_type,
                self.schema.mutation_type,
                self.schema.subscription_type,
            ),
            strict=True,
        ):
            if root is None:
                continue
            default = DEFAULT_ROOT_NAMES[kind]
            if root.name != default:
                if default in self.schema.type_map:
                    self.errors.append(
                        error_at(
                            f"ROOT_{kind.upper()}_USED",
                            self.inp.name,
                            f'The schema has a type named "{default}" but it is not set as the {kind} root type ("{root.name}" is instead): this is not supported by federation. If a root type does not use its default name, there should be no other type with that default name.',
                            self.schema.type_map[default].ast_node,
                            default,
                        )
                    )
                self.renames[root.name] = default
            roots[kind] = default
        types: dict[str, TypeDef] = {}
        for named in self.schema.type_map.values():
            if named.name in _BUILTIN_TYPES or named.name.startswith("_Fed"):
                continue
            type_def = self._read_type(named)
            types[type_def.name] = type_def
        subgraph = Subgraph(
            name=self.inp.name,
            url=self.inp.url,
            fed2=self.link.is_fed2,
            version=self.link.version or (1, 0),
            types=types,
            roots=roots,
            directive_names={
                canonical: local for local, canonical in self.link.directives.items()
            },
            directives=self._directive_definitions(),
            composed=dict(self.composed),
        )
        for name in self.composed:
            definition = subgraph.directives.get(name)
            if definition is not None and any(
                a.applied.inaccessible for a in definition.args
            ):
                self.errors.append(
                    error_at(
                        "DISALLOWED_INACCESSIBLE",
                        self.inp.name,
                        f'Core feature directive "@{name}" cannot use @inaccessible.',
                        None,
                        f"@{name}",
                    )
                )
        if self.errors:
            return None, self.errors
        return subgraph, []

    def _directive_definitions(self) -> dict[str, DirectiveDef]:
        found: dict[str, DirectiveDef] = {}
        for directive in self.schema.directives:
            node = directive.ast_node
            if (
                node is None
                or directive.name in self.link.directives
                or directive.name == "link"
            ):
                continue
            found[directive.name] = DirectiveDef(
                name=directive.name,
                args=tuple(self._input_value(n, a) for n, a in directive.args.items()),
                locations=tuple(loc.name for loc in directive.locations),
                repeatable=directive.is_repeatable,
                description=directive.description,
            )
        return found

    def _rename(self, type_ref: str) -> str:
        if not self.renames:
            return type_ref
        name = type_ref.strip("[]!")
        if name in self.renames:
            return type_ref.replace(name, self.renames[name])
        return type_ref

    def _directives(
        self, nodes: Iterable[Node | None]
    ) -> list[tuple[str, dict[str, Any]]]:
        """Federation (canonical name) and built-in directives applied on the given AST nodes."""
        found: list[tuple[str, dict[str, Any]]] = []
        for node in nodes:
            for d in cast(
                Sequence[DirectiveNode], getattr(node, "directives", None) or ()
            ):
                name = d.name.value
                canonical = self.link.directives.get(name)
                if canonical is None and name in ("deprecated", "specifiedBy"):
                    canonical = name
                if canonical is None:
                    continue
                args = directive_arguments(d)
                found.append((canonical, args))
        return found

    def _composed_applications(self, nodes: Iterable[Node | None]) -> list[str]:
        found: list[str] = []
        for node in nodes:
            for d in cast(
                Sequence[DirectiveNode], getattr(node, "directives", None) or ()
            ):
                if d.name.value in self.composed:
                    found.append(print_ast(d))
        return found

    def _applied(
        self,
        directives: list[tuple[str, dict[str, Any]]],
        nodes: Iterable[Node | None] = (),
    ) -> Applied:
        applied = Applied()
        if self.composed:
            applied.composed = self._composed_applications(nodes)
        for name, args in directives:
            if name == "inaccessible":
                applied.inaccessible = True
            elif name == "tag" and isinstance(args.get("name"), str):
                if args["name"] not in applied.tags:
                    applied.tags.append(args["name"])
            elif name == "authenticated":
                applied.authenticated = True
                applied.auth_order.append(name)
            elif name == "requiresScopes" and args.get("scopes") is not None:
                applied.scopes.append(_scopes(args["scopes"]))
                applied.auth_order.append(name)
            elif name == "policy" and args.get("policies") is not None:
                applied.policies.append(_scopes(args["policies"]))
                applied.auth_order.append(name)
            elif name == "deprecated":
                applied.deprecated = True
                reason = args.get("reason")
                applied.deprecation_reason = reason if isinstance(reason, str) else None
        return applied

    def _read_type(self, named: GraphQLNamedType) -> TypeDef:
        nodes: list[Node | None] = [named.ast_node, *(named.extension_ast_nodes or ())]
        directives = self._directives(nodes)
        names = [d for d, _ in directives]
        type_def = TypeDef(
            name=self.renames.get(named.name, named.name),
            kind=_kind(named),
            description=named.description,
            applied=self._applied(directives, nodes),
            shareable="shareable" in names,
            interface_object="interfaceObject" in names,
            extension=named.name in self.orphans or "extends" in names,
            declared_extends="extends" in names,
            node=named.ast_node,
        )
        for name, args in directives:
            if name == "key":
                fields = args.get("fields")
                resolvable = args.get("resolvable", True)
                type_def.keys.append(
                    KeyDef(
                        fields if isinstance(fields, str) else "",
                        resolvable is not False,
                    )
                )
            elif name == "specifiedBy":
                type_def.specified_by = args.get("url")
        if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
            type_def.interfaces = [i.name for i in named.interfaces]
            extension_fields = {
                f.name.value
                for n in named.extension_ast_nodes or ()
                for f in getattr(n, "fields", None) or ()
            }
            from_extension = named.name in self.orphans or "extends" in names
            for field_name, gfield in named.fields.items():
                type_def.fields[field_name] = self._read_field(
                    field_name, gfield, from_extension or field_name in extension_fields
                )
                if "external" in names:
                    type_def.fields[field_name].external = True
        elif isinstance(named, GraphQLUnionType):
            type_def.members = [m.name for m in named.types]
        elif isinstance(named, GraphQLEnumType):
            for value_name, value in named.values.items():
                value_directives = self._directives([value.ast_node])
                type_def.values[value_name] = EnumValueDef(
                    value_name,
                    value.description,
                    self._applied(value_directives, [value.ast_node]),
                    value.ast_node,
                )
        elif isinstance(named, GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                type_def.input_fields[field_name] = self._input_value(
                    field_name, input_field
                )
        return type_def

    def _read_field(self, name: str, gfield: Any, from_extension: bool) -> FieldDef:
        directives = self._directives([gfield.ast_node])
        field_def = FieldDef(
            name=name,
            type=self._rename(str(gfield.type)),
            args={n: self._input_value(n, a) for n, a in gfield.args.items()},
            description=gfield.description,
            applied=self._applied(directives, [gfield.ast_node]),
            from_extension=from_extension,
            node=gfield.ast_node,
        )
        for directive, args in directives:
            if directive == "external":
                field_def.external = True
            elif directive == "shareable":
                field_def.shareable = True
            elif directive == "requires":
                field_def.requires = _str(args.get("fields"))
            elif directive == "provides":
                field_def.provides = _str(args.get("fields"))
            elif directive == "override":
                field_def.override = _str(args.get("from"))
                field_def.override_label = _str(args.get("label"))
        return field_def

    def _input_value(self, name: str, value: Any) -> InputValueDef:
        node = value.ast_node
        default = node.default_value if node is not None else None
        return InputValueDef(
            name=name,
            type=self._rename(str(value.type)),
            default=print_value(default) if default is not None else None,
            description=value.description,
            applied=self._applied(self._directives([node]), [node]),
            node=node,
        )


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _kind(named: GraphQLNamedType) -> str:
    if isinstance(named, GraphQLObjectType):
        return "OBJECT"
    if isinstance(named, GraphQLInterfaceType):
        return "INTERFACE"
    if isinstance(named, GraphQLUnionType):
        return "UNION"
    if isinstance(named, GraphQLEnumType):
        return "ENUM"
    if isinstance(named, GraphQLInputObjectType):
        return "INPUT_OBJECT"
    assert isinstance(named, GraphQLScalarType)
    return "SCALAR"
