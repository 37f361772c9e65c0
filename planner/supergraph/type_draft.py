"""A draft of one subgraph's copy of a supergraph type, filled in during extraction.

Extraction decides a type's fields, values and members subgraph by subgraph; ``build``
turns the draft into a graphql-core definition node, so printing (escaping, block strings,
default values) is graphql-core's ``print_ast``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from graphql import (
    ConstDirectiveNode,
    DirectiveLocation,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    EnumValueDefinitionNode,
    FieldDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    NamedTypeNode,
    NameNode,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    ScalarTypeDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
)

from planner.supergraph.model import TypeKind
from planner.supergraph.read_join import TypeNode

__all__ = ["EXECUTABLE_LOCATIONS", "TypeDraft", "field_nodes"]

EXECUTABLE_LOCATIONS = frozenset(
    location.name
    for location in (
        DirectiveLocation.QUERY,
        DirectiveLocation.MUTATION,
        DirectiveLocation.SUBSCRIPTION,
        DirectiveLocation.FIELD,
        DirectiveLocation.FRAGMENT_DEFINITION,
        DirectiveLocation.FRAGMENT_SPREAD,
        DirectiveLocation.INLINE_FRAGMENT,
        DirectiveLocation.VARIABLE_DEFINITION,
    )
)

_FIELDED = (
    ObjectTypeDefinitionNode
    | ObjectTypeExtensionNode
    | InterfaceTypeDefinitionNode
    | InterfaceTypeExtensionNode
    | InputObjectTypeDefinitionNode
    | InputObjectTypeExtensionNode
)


def field_nodes(
    nodes: Iterable[TypeNode],
) -> list[FieldDefinitionNode | InputValueDefinitionNode]:
    """The fields (or input fields) of a type's definition and extension nodes, in order."""
    return [
        field
        for node in nodes
        if isinstance(node, _FIELDED)
        for field in node.fields or ()
    ]


@dataclass(slots=True)
class TypeDraft:
    """One subgraph's copy of a type, filled in by extraction (mutable while building)."""

    name: str
    kind: TypeKind
    nodes: list[TypeNode]
    directives: list[ConstDirectiveNode]
    interfaces: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    fields: dict[str, FieldDefinitionNode | InputValueDefinitionNode] = field(
        default_factory=dict
    )
    values: list[EnumValueDefinitionNode] = field(default_factory=list)

    def lacks_field(self, name: str) -> bool:
        """Whether this object or interface type has no field ``name`` (yet)."""
        return (
            self.kind in (TypeKind.OBJECT, TypeKind.INTERFACE)
            and name not in self.fields
        )

    def enum_value_nodes(self) -> list[EnumValueDefinitionNode]:
        """The supergraph's values of this enum, definition and extensions, in order."""
        return [
            value
            for node in self.nodes
            if isinstance(node, EnumTypeDefinitionNode | EnumTypeExtensionNode)
            for value in node.values or ()
        ]

    def build(self) -> TypeDefinitionNode | None:
        """The definition node, or None for a type this subgraph leaves empty."""
        name = NameNode(value=self.name)
        description = next(
            (
                node.description
                for node in self.nodes
                if isinstance(node, TypeDefinitionNode)
            ),
            None,
        )
        directives = tuple(self.directives)
        kind = self.kind
        if kind in (TypeKind.OBJECT, TypeKind.INTERFACE, TypeKind.INPUT_OBJECT):
            if not self.fields:
                return None
            fields = tuple(self.fields.values())
            if kind is TypeKind.INPUT_OBJECT:
                inputs = tuple(
                    f for f in fields if isinstance(f, InputValueDefinitionNode)
                )
                return InputObjectTypeDefinitionNode(
                    name=name,
                    description=description,
                    directives=directives,
                    fields=inputs,
                )
            outputs = tuple(f for f in fields if isinstance(f, FieldDefinitionNode))
            node_class = (
                ObjectTypeDefinitionNode
                if kind is TypeKind.OBJECT
                else InterfaceTypeDefinitionNode
            )
            return node_class(
                name=name,
                description=description,
                directives=directives,
                interfaces=_named(self.interfaces),
                fields=outputs,
            )
        if kind is TypeKind.UNION:
            if not self.members:
                return None
            return UnionTypeDefinitionNode(
                name=name,
                description=description,
                directives=directives,
                types=_named(self.members),
            )
        if kind is TypeKind.ENUM:
            if not self.values:
                return None
            return EnumTypeDefinitionNode(
                name=name,
                description=description,
                directives=directives,
                values=tuple(self.values),
            )
        return ScalarTypeDefinitionNode(
            name=name, description=description, directives=directives
        )


def _named(names: list[str]) -> tuple[NamedTypeNode, ...]:
    return tuple(NamedTypeNode(name=NameNode(value=name)) for name in names)
