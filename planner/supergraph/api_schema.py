"""Derive the API schema: what clients see of a supergraph.

The supergraph minus the machinery of every linked feature (``join__*``, ``link__*``,
``@tag``, ``@inaccessible``, ``@authenticated``..., their definitions and applications, and
the schema's ``@link``s) and minus every ``@inaccessible`` element. Descriptions,
``@deprecated``, ``@specifiedBy``, default values and executable directives stay.

Works on the AST so nothing else is lost on the way: filter the document, then build it.
A reload lends the filtered definitions of the supergraph it replaces (``ApiDefinitions``):
a definition node reused from that load (``parse_definitions``) is filtered again only
when what filtering reads of the rest of the document changed (the links, the
inaccessible directive's name, the removed types).
https://www.apollographql.com/docs/graphos/reference/federation/directives#inaccessible
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from graphql import (
    ConstDirectiveNode,
    DirectiveDefinitionNode,
    DirectiveLocation,
    DocumentNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLDirective,
    GraphQLError,
    GraphQLNonNull,
    GraphQLSchema,
    GraphQLString,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    NamedTypeNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    SchemaDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    TypeExtensionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    UnionTypeExtensionNode,
    build_ast_schema,
    specified_directives,
    validate_schema,
)
from graphql.language import DefinitionNode, Node

from planner.supergraph.ast_edit import named_type, replace_node
from planner.supergraph.error import SupergraphError
from planner.supergraph.links import INACCESSIBLE_IDENTITY, LinkedFeature

__all__ = [
    "DEFER_DIRECTIVE",
    "ApiDefinitions",
    "api_document",
    "build_api_schema",
    "with_defer",
]

_N = TypeVar("_N", bound=Node)

# Apollo removes user definitions of these (the router provides its own).
_BUILT_IN_ELSEWHERE = frozenset({"defer", "stream"})

# Apollo's definition (apollo-federation's api_schema), arguments in its order.
DEFER_DIRECTIVE = GraphQLDirective(
    "defer",
    locations=(DirectiveLocation.FRAGMENT_SPREAD, DirectiveLocation.INLINE_FRAGMENT),
    args={
        "label": GraphQLArgument(GraphQLString),
        "if": GraphQLArgument(GraphQLNonNull(GraphQLBoolean), default_value=True),
    },
)


@dataclass(slots=True)
class ApiDefinitions:
    """What one load's filter made of each definition node (by identity), and what it
    read of the rest of the document (``context``); the next load reuses it."""

    context: tuple[object, ...] = ()
    # id(definition) -> (the definition, kept for the API schema or None)
    kept: dict[int, tuple[DefinitionNode, DefinitionNode | None]] = field(
        default_factory=dict
    )


def build_api_schema(
    document: DocumentNode,
    links: tuple[LinkedFeature, ...],
    previous: ApiDefinitions | None = None,
    record: ApiDefinitions | None = None,
) -> GraphQLSchema:
    """The API schema of a supergraph document (refusing dangling inaccessible
    references); ``previous`` lends an earlier load's filtered definitions, ``record``
    (empty) receives this one's."""
    filtered = api_document(document, links, previous, record)
    try:
        # The full document passed SDL validation; this subset of it has no dangling
        # references (api_document refuses them), and validate_schema runs below.
        schema = build_ast_schema(filtered, assume_valid_sdl=True)
    except (GraphQLError, TypeError) as error:
        raise SupergraphError(
            "INVALID_SUPERGRAPH", f"the API schema does not build: {error}"
        ) from error
    errors = validate_schema(schema)
    if errors:
        raise SupergraphError(
            "INVALID_SUPERGRAPH",
            "the API schema is invalid: "
            + "; ".join(error.message for error in errors),
        )
    return schema


def api_document(
    document: DocumentNode,
    links: tuple[LinkedFeature, ...],
    previous: ApiDefinitions | None = None,
    record: ApiDefinitions | None = None,
) -> DocumentNode:
    """The supergraph document without feature machinery and ``@inaccessible`` elements."""
    return _ApiFilter(document, links).document(document, previous, record)


class _ApiFilter:
    def __init__(
        self, document: DocumentNode, links: tuple[LinkedFeature, ...]
    ) -> None:
        self.links = links
        inaccessible = next(
            (link for link in links if link.identity == INACCESSIBLE_IDENTITY), None
        )
        self.inaccessible = (
            inaccessible.directive_name("inaccessible") if inaccessible else None
        )
        self.removed_types = {
            definition.name.value
            for definition in document.definitions
            if isinstance(definition, TypeDefinitionNode | TypeExtensionNode)
            and (self._owned_type(definition.name.value) or self._hidden(definition))
        }
        self.dangling: list[str] = []

    def context(self) -> tuple[object, ...]:
        """All that filtering one definition reads besides the definition itself."""
        return (self.links, self.inaccessible, frozenset(self.removed_types))

    def document(
        self,
        document: DocumentNode,
        previous: ApiDefinitions | None = None,
        record: ApiDefinitions | None = None,
    ) -> DocumentNode:
        context = self.context()
        reusable = (
            previous.kept
            if previous is not None and previous.context == context
            else {}
        )
        definitions: list[DefinitionNode] = []
        for definition in document.definitions:
            known = reusable.get(id(definition))
            # The identity check: an id is only unique while its node lives, and
            # `previous` keeps its nodes alive, so a match is that very node.
            if known is not None and known[0] is definition:
                kept = known[1]
            else:
                kept = self._definition(definition)
            if record is not None:
                record.kept[id(definition)] = (definition, kept)
            if kept is not None:
                definitions.append(kept)
        if record is not None:
            record.context = context
        if self.dangling:
            raise SupergraphError(
                "REFERENCED_INACCESSIBLE",
                "accessible elements reference removed types: "
                + ", ".join(self.dangling),
            )
        return DocumentNode(definitions=tuple(definitions))

    def _definition(self, node: DefinitionNode) -> DefinitionNode | None:
        if isinstance(node, SchemaDefinitionNode | SchemaExtensionNode):
            directives = self._directives(node.directives)
            # As Apollo does, an inaccessible root type takes its operation with it.
            operations = tuple(
                operation
                for operation in node.operation_types or ()
                if named_type(operation.type) not in self.removed_types
            )
            if isinstance(node, SchemaExtensionNode) and not (directives or operations):
                return None
            return replace_node(node, directives=directives, operation_types=operations)
        if isinstance(node, DirectiveDefinitionNode):
            name = node.name.value
            if name in _BUILT_IN_ELSEWHERE or any(
                link.owns_directive(name) for link in self.links
            ):
                return None
            return replace_node(
                node, arguments=self._arguments(node.arguments, f"@{name}")
            )
        if isinstance(node, TypeDefinitionNode | TypeExtensionNode):
            if node.name.value in self.removed_types:
                return None
            return self._type(node)
        return node

    def _type(self, node: TypeDefinitionNode | TypeExtensionNode) -> DefinitionNode:
        name = node.name.value
        node = replace_node(node, directives=self._directives(node.directives))
        if isinstance(
            node,
            ObjectTypeDefinitionNode
            | ObjectTypeExtensionNode
            | InterfaceTypeDefinitionNode
            | InterfaceTypeExtensionNode,
        ):
            return replace_node(
                node,
                interfaces=self._named(node.interfaces),
                fields=tuple(
                    replace_node(
                        field,
                        directives=self._directives(field.directives),
                        arguments=self._arguments(
                            field.arguments, f"{name}.{field.name.value}"
                        ),
                    )
                    for field in self._visible(node.fields)
                    if self._check(field.type, f"{name}.{field.name.value}")
                ),
            )
        if isinstance(node, UnionTypeDefinitionNode | UnionTypeExtensionNode):
            return replace_node(node, types=self._named(node.types))
        if isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode):
            return replace_node(
                node,
                values=tuple(
                    replace_node(value, directives=self._directives(value.directives))
                    for value in self._visible(node.values)
                ),
            )
        if isinstance(
            node, InputObjectTypeDefinitionNode | InputObjectTypeExtensionNode
        ):
            return replace_node(node, fields=self._arguments(node.fields, name))
        return node

    def _arguments(
        self, arguments: tuple[InputValueDefinitionNode, ...] | None, parent: str
    ) -> tuple[InputValueDefinitionNode, ...]:
        return tuple(
            replace_node(argument, directives=self._directives(argument.directives))
            for argument in self._visible(arguments)
            if self._check(argument.type, f"{parent}({argument.name.value}:)")
        )

    def _named(
        self, names: tuple[NamedTypeNode, ...] | None
    ) -> tuple[NamedTypeNode, ...]:
        """Implemented interfaces and union members lose the removed (inaccessible) ones."""
        return tuple(
            name for name in names or () if name.name.value not in self.removed_types
        )

    def _check(self, node: TypeNode, coordinate: str) -> bool:
        if named_type(node) in self.removed_types:
            self.dangling.append(f"{coordinate} (type {named_type(node)})")
        return True

    def _visible(self, nodes: Iterable[_N] | None) -> list[_N]:
        return [node for node in nodes or () if not self._hidden(node)]

    def _hidden(self, node: Node) -> bool:
        directives: tuple[ConstDirectiveNode, ...] = (
            getattr(node, "directives", None) or ()
        )
        return self.inaccessible is not None and any(
            directive.name.value == self.inaccessible for directive in directives
        )

    def _owned_type(self, name: str) -> bool:
        return any(link.owns_type(name) for link in self.links)

    def _directives(
        self, directives: tuple[ConstDirectiveNode, ...] | None
    ) -> tuple[ConstDirectiveNode, ...]:
        return tuple(
            directive
            for directive in directives or ()
            if not any(link.owns_directive(directive.name.value) for link in self.links)
        )


def with_defer(api_schema: GraphQLSchema) -> GraphQLSchema:
    """The API schema as a router with defer support serves it: with ``@defer``.

    Apollo Router builds its API schema with ``ApiSchemaOptions { include_defer:
    supergraph.defer_support }``, so requests validate ``@defer`` and introspection lists
    it exactly when defer support is on (off, ``@defer`` is an unknown directive). The
    definition is Apollo's: ``@defer(label: String, if: Boolean! = true) on
    FRAGMENT_SPREAD | INLINE_FRAGMENT``.
    """
    if api_schema.get_directive("defer") is not None:
        return api_schema
    kwargs = api_schema.to_kwargs()
    directives = tuple(kwargs["directives"] or specified_directives)
    kwargs["directives"] = (*directives, DEFER_DIRECTIVE)
    return GraphQLSchema(**kwargs)
