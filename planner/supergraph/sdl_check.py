"""A fast proof that a supergraph document passes graphql-core's SDL validation.

graphql-core's ``validate_sdl`` (its 15 ``specified_sdl_rules``, run through the generic
AST visitor) costs about a quarter of loading a 100-subgraph supergraph. Supergraphs are
printed by composers, so they are almost always valid: this single pass over the
definitions checks the same rules directly and answers "certainly valid" or "not
sure". Only "not sure" runs graphql-core's validation, so a malformed supergraph still
gets graphql-core's own messages, unchanged. The pass may say "not sure" of a valid
document (it refuses anything unusual, type extensions for one); it never says
"certainly valid" of a document graphql-core would refuse.

https://spec.graphql.org/October2021/#sec-Type-System (the rules `specified_sdl_rules`
implements)
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import (
    ConstDirectiveNode,
    DirectiveDefinitionNode,
    DirectiveLocation,
    DocumentNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    InputValueDefinitionNode,
    InterfaceTypeDefinitionNode,
    ListTypeNode,
    ListValueNode,
    NamedTypeNode,
    NonNullTypeNode,
    ObjectTypeDefinitionNode,
    ObjectValueNode,
    ScalarTypeDefinitionNode,
    SchemaDefinitionNode,
    TypeNode,
    UnionTypeDefinitionNode,
    ValueNode,
    introspection_types,
    is_required_argument,
    specified_directives,
    specified_scalar_types,
)

__all__ = ["certainly_valid_sdl"]

_STANDARD_TYPES = frozenset((*specified_scalar_types, *introspection_types))


class _Directive:
    """What the rules need of a directive definition."""

    __slots__ = ("arguments", "locations", "repeatable", "required")

    def __init__(
        self,
        arguments: frozenset[str],
        required: frozenset[str],
        locations: frozenset[str],
        repeatable: bool,
    ) -> None:
        self.arguments = arguments
        self.required = required
        self.locations = locations
        self.repeatable = repeatable


_SPECIFIED = {
    directive.name: _Directive(
        frozenset(directive.args),
        frozenset(
            name for name, arg in directive.args.items() if is_required_argument(arg)
        ),
        frozenset(location.name for location in directive.locations),
        directive.is_repeatable,
    )
    for directive in specified_directives
}

_ObjectLike = (
    ObjectTypeDefinitionNode
    | InterfaceTypeDefinitionNode
    | InputObjectTypeDefinitionNode
)


class _Unsure(Exception):
    """The document may break a rule: let graphql-core's validation decide."""


def certainly_valid_sdl(document: DocumentNode) -> bool:
    """True only when graphql-core's ``validate_sdl(document)`` would report nothing."""
    try:
        _Check(document).run()
    except _Unsure:
        return False
    return True


class _Check:
    def __init__(self, document: DocumentNode) -> None:
        self.document = document
        self.types: set[str] = set(_STANDARD_TYPES)
        self.directives: dict[str, _Directive] = dict(_SPECIFIED)

    def run(self) -> None:
        definitions = self.document.definitions
        schemas = 0
        for definition in definitions:
            if isinstance(definition, DirectiveDefinitionNode):
                name = definition.name.value
                if name in self.directives:  # UniqueDirectiveNames
                    raise _Unsure
                arguments = definition.arguments or ()
                self.directives[name] = _Directive(
                    _unique_names(arguments),
                    frozenset(
                        argument.name.value
                        for argument in arguments
                        if isinstance(argument.type, NonNullTypeNode)
                        and argument.default_value is None
                    ),
                    frozenset(location.value for location in definition.locations),
                    definition.repeatable,
                )
            elif isinstance(definition, SchemaDefinitionNode):
                schemas += 1
            elif isinstance(
                definition,
                _ObjectLike
                | ScalarTypeDefinitionNode
                | UnionTypeDefinitionNode
                | EnumTypeDefinitionNode,
            ):
                name = definition.name.value
                # UniqueTypeNames; a standard type's name redefined is left to graphql-core.
                if name in self.types:
                    raise _Unsure
                self.types.add(name)
            else:  # extensions, executable definitions: not in supergraphs
                raise _Unsure
        if schemas > 1:  # LoneSchemaDefinition
            raise _Unsure
        for definition in definitions:
            self._definition(definition)

    def _definition(self, definition: object) -> None:
        if isinstance(definition, DirectiveDefinitionNode):
            self._input_values(
                definition.arguments, DirectiveLocation.ARGUMENT_DEFINITION
            )
        elif isinstance(definition, SchemaDefinitionNode):
            self._directives(definition.directives, DirectiveLocation.SCHEMA)
            operations = [
                operation.operation for operation in definition.operation_types or ()
            ]
            if len(set(operations)) != len(operations):  # UniqueOperationTypes
                raise _Unsure
            for operation in definition.operation_types or ():
                self._type_reference(operation.type)
        elif isinstance(
            definition, ObjectTypeDefinitionNode | InterfaceTypeDefinitionNode
        ):
            location = (
                DirectiveLocation.OBJECT
                if isinstance(definition, ObjectTypeDefinitionNode)
                else DirectiveLocation.INTERFACE
            )
            self._directives(definition.directives, location)
            for interface in definition.interfaces or ():
                self._type_reference(interface)
            fields = definition.fields or ()
            _unique_names(fields)  # UniqueFieldDefinitionNames
            for field in fields:
                self._directives(field.directives, DirectiveLocation.FIELD_DEFINITION)
                self._type_reference(field.type)
                self._input_values(
                    field.arguments, DirectiveLocation.ARGUMENT_DEFINITION
                )
        elif isinstance(definition, InputObjectTypeDefinitionNode):
            self._directives(definition.directives, DirectiveLocation.INPUT_OBJECT)
            self._input_values(
                definition.fields, DirectiveLocation.INPUT_FIELD_DEFINITION
            )
        elif isinstance(definition, UnionTypeDefinitionNode):
            self._directives(definition.directives, DirectiveLocation.UNION)
            for member in definition.types or ():
                self._type_reference(member)
        elif isinstance(definition, EnumTypeDefinitionNode):
            self._directives(definition.directives, DirectiveLocation.ENUM)
            values = definition.values or ()
            _unique_names(values)  # UniqueEnumValueNames
            for value in values:
                self._directives(value.directives, DirectiveLocation.ENUM_VALUE)
        elif isinstance(definition, ScalarTypeDefinitionNode):
            self._directives(definition.directives, DirectiveLocation.SCALAR)

    def _input_values(
        self,
        values: tuple[InputValueDefinitionNode, ...] | None,
        location: DirectiveLocation,
    ) -> None:
        if not values:
            return
        _unique_names(
            values
        )  # UniqueArgumentDefinitionNames, UniqueFieldDefinitionNames
        for value in values:
            self._directives(value.directives, location)
            self._type_reference(value.type)
            if value.default_value is not None:
                _const_value(value.default_value)

    def _type_reference(self, node: TypeNode) -> None:
        while isinstance(node, ListTypeNode | NonNullTypeNode):
            node = node.type
        assert isinstance(node, NamedTypeNode)
        if node.name.value not in self.types:  # KnownTypeNames
            raise _Unsure

    def _directives(
        self,
        directives: tuple[ConstDirectiveNode, ...] | None,
        location: DirectiveLocation,
    ) -> None:
        if not directives:
            return
        seen: set[str] = set()
        for directive in directives:
            name = directive.name.value
            known = self.directives.get(name)
            # KnownDirectives (name and location)
            if known is None or location.name not in known.locations:
                raise _Unsure
            if not known.repeatable:  # UniqueDirectivesPerLocation
                if name in seen:
                    raise _Unsure
                seen.add(name)
            arguments = directive.arguments or ()
            given = _unique_names(arguments)  # UniqueArgumentNames
            # KnownArgumentNamesOnDirectives, ProvidedRequiredArgumentsOnDirectives
            if not given <= known.arguments or not known.required <= given:
                raise _Unsure
            for argument in arguments:
                _const_value(argument.value)


def _unique_names(nodes: Iterable[object]) -> frozenset[str]:
    names = [node.name.value for node in nodes]  # type: ignore[attr-defined]
    unique = frozenset(names)
    if len(unique) != len(names):
        raise _Unsure
    return unique


def _const_value(value: ValueNode) -> None:
    """UniqueInputFieldNames inside object values, at any depth."""
    if isinstance(value, ListValueNode):
        for item in value.values:
            _const_value(item)
    elif isinstance(value, ObjectValueNode):
        _unique_names(value.fields)
        for field in value.fields:
            _const_value(field.value)
