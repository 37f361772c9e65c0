"""The join-spec directives of a supergraph, element by element, for comparing composers.

Two supergraphs route the same way when every type, field, enum value and union carries
the same `@join__*` applications. Printing order and argument order do not matter, nor
whitespace inside field sets (`key`, `requires`, `provides`), so each application is
printed in a normal form: arguments sorted by name, field sets re-tokenised.
https://specs.apollo.dev/join/v0.5
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from graphql import GraphQLError, parse, print_ast
from graphql.language import (
    ArgumentNode,
    DirectiveNode,
    EnumTypeDefinitionNode,
    EnumTypeExtensionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    Lexer,
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    Source,
    StringValueNode,
    Token,
    TokenKind,
    TypeDefinitionNode,
    TypeExtensionNode,
)

__all__ = ["describe_difference", "join_directives", "normalize_field_set"]

JoinDirectives = dict[str, frozenset[str]]

_FIELD_SET_ARGUMENTS = frozenset({"key", "requires", "provides"})
_FIELDED = (
    ObjectTypeDefinitionNode,
    ObjectTypeExtensionNode,
    InterfaceTypeDefinitionNode,
    InterfaceTypeExtensionNode,
    InputObjectTypeDefinitionNode,
    InputObjectTypeExtensionNode,
)


def join_directives(supergraph_sdl: str) -> JoinDirectives:
    """Map each coordinate (`Type`, `Type.field`, `Enum.VALUE`) to its `@join__*` set.

    Union members are type-level (`@join__unionMember`), so they sit under `Union`.
    Coordinates without join directives are left out.
    """
    found: dict[str, set[str]] = {}

    def add(coordinate: str, directives: Iterable[DirectiveNode] | None) -> None:
        printed = {_print_directive(d) for d in directives or () if _is_join(d)}
        if printed:
            found.setdefault(coordinate, set()).update(printed)

    for definition in parse(supergraph_sdl, no_location=True).definitions:
        if not isinstance(definition, TypeDefinitionNode | TypeExtensionNode):
            continue
        type_name = definition.name.value
        add(type_name, definition.directives)
        if isinstance(definition, _FIELDED):
            for field in definition.fields or ():
                add(f"{type_name}.{field.name.value}", field.directives)
        elif isinstance(definition, EnumTypeDefinitionNode | EnumTypeExtensionNode):
            for value in definition.values or ():
                add(f"{type_name}.{value.name.value}", value.directives)
    return {coordinate: frozenset(ds) for coordinate, ds in found.items()}


def describe_difference(
    ours: Mapping[str, frozenset[str]], apollo: Mapping[str, frozenset[str]]
) -> str | None:
    """A readable account of where two join-directive maps differ, or None if equal."""
    differing = sorted(
        c for c in ours.keys() | apollo.keys() if ours.get(c) != apollo.get(c)
    )
    if not differing:
        return None
    first = differing[0]
    ours_first = ours.get(first, frozenset())
    apollo_first = apollo.get(first, frozenset())
    lines = [
        f"join directives differ at {len(differing)} coordinate(s); first: {first}",
        "  ours only:   " + _join_sorted(ours_first - apollo_first),
        "  apollo only: " + _join_sorted(apollo_first - ours_first),
        "  shared:      " + _join_sorted(ours_first & apollo_first),
    ]
    if len(differing) > 1:
        rest = ", ".join(differing[1:11]) + (" ..." if len(differing) > 11 else "")
        lines.append(f"  other differing coordinates: {rest}")
    return "\n".join(lines)


def normalize_field_set(text: str) -> str:
    """A field set's tokens joined by single spaces (`a{b  c}` -> `a { b c }`)."""
    lexer = Lexer(Source(text))
    parts: list[str] = []
    try:
        token = lexer.advance()
        while token.kind is not TokenKind.EOF:
            parts.append(_token_text(token))
            token = lexer.advance()
    except GraphQLError:
        return " ".join(text.split())
    return " ".join(parts)


def _is_join(directive: DirectiveNode) -> bool:
    return directive.name.value.startswith("join__")


def _print_directive(directive: DirectiveNode) -> str:
    arguments = sorted(directive.arguments or (), key=lambda a: a.name.value)
    if not arguments:
        return f"@{directive.name.value}"
    printed = ", ".join(f"{a.name.value}: {_print_argument(a)}" for a in arguments)
    return f"@{directive.name.value}({printed})"


def _print_argument(argument: ArgumentNode) -> str:
    value = argument.value
    if argument.name.value in _FIELD_SET_ARGUMENTS and isinstance(
        value, StringValueNode
    ):
        return json.dumps(normalize_field_set(value.value))
    if isinstance(value, StringValueNode):
        return json.dumps(value.value)
    return print_ast(value)


def _token_text(token: Token) -> str:
    if token.kind in (TokenKind.STRING, TokenKind.BLOCK_STRING):
        return json.dumps(token.value)
    if token.value is not None:
        return token.value
    return token.kind.value


def _join_sorted(directives: Iterable[str]) -> str:
    return " ".join(sorted(directives)) or "(none)"
