"""A world's subgraph SDLs, editable: the documents the mutations of
`composition.sdl_mutations` read and rebuild, and the node helpers they share.

graphql-core's AST nodes are frozen dataclasses (and hold None, not an empty tuple,
where a list is empty), so an edit rebuilds the nodes on its path: `replace_node`,
`with_directive`, `set_field` and friends do that; `Sdls.printed` prints back only the
subgraphs an edit touched.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    FieldDefinitionNode,
    ObjectTypeDefinitionNode,
    parse,
    parse_type,
    print_ast,
)

__all__ = [
    "BUILTIN_SCALARS",
    "Def",
    "Sdls",
    "defined_in",
    "directive_names",
    "field_node",
    "field_sets",
    "is_leaf",
    "key_names",
    "named_type",
    "printed_type",
    "replace_node",
    "resolving",
    "retyped",
    "top_level_names",
    "with_argument",
    "with_directive",
    "without_directive",
]

BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


class Def(NamedTuple):
    """One subgraph's definition of a field of an object type."""

    subgraph: str
    type: ObjectTypeDefinitionNode
    field: FieldDefinitionNode

    @property
    def coordinate(self) -> str:
        return f"{self.type.name.value}.{self.field.name.value}"

    @property
    def key(self) -> tuple[str, str]:
        """(type, field): the key of `Sdls.definitions()`."""
        return (self.type.name.value, self.field.name.value)


class Sdls:
    """A world's subgraphs as editable lists of definitions, printed back on demand
    (a subgraph no mutation touched keeps its original text)."""

    def __init__(self, subgraphs: Mapping[str, str]) -> None:
        self._texts = dict(subgraphs)
        self._definitions = {
            name: list(parse(sdl, no_location=True).definitions)
            for name, sdl in subgraphs.items()
        }
        self._changed: set[str] = set()

    @property
    def names(self) -> list[str]:
        return list(self._definitions)

    def text(self, subgraph: str) -> str:
        return self._texts[subgraph]

    def types(self, subgraph: str) -> list[Any]:
        return [d for d in self._definitions[subgraph] if hasattr(d, "name")]

    def type(self, subgraph: str, name: str) -> Any | None:
        for definition in self.types(subgraph):
            if definition.name.value == name:
                return definition
        return None

    def put(self, subgraph: str, node: Any) -> None:
        """Replaces the definition of the same name (or adds one)."""
        definitions = self._definitions[subgraph]
        for i, definition in enumerate(definitions):
            if getattr(definition, "name", None) and (
                definition.name.value == node.name.value
            ):
                definitions[i] = node
                break
        else:
            definitions.append(node)
        self._changed.add(subgraph)

    def set_field(self, d: Def, field: FieldDefinitionNode | None) -> None:
        """Replaces (None: removes) `d`'s field in `d`'s subgraph."""
        current = self.type(d.subgraph, d.type.name.value)
        fields = [
            field if f.name.value == d.field.name.value else f for f in current.fields
        ]
        self.put(
            d.subgraph, replace_node(current, fields=tuple(f for f in fields if f))
        )

    def add_field(self, subgraph: str, type_name: str, text: str) -> None:
        current = self.type(subgraph, type_name)
        self.put(
            subgraph, replace_node(current, fields=(*current.fields, field_node(text)))
        )

    def objects(self, subgraph: str) -> list[ObjectTypeDefinitionNode]:
        return [
            t for t in self.types(subgraph) if isinstance(t, ObjectTypeDefinitionNode)
        ]

    def entities(self) -> list[tuple[str, ObjectTypeDefinitionNode]]:
        """(subgraph, type) for every `@key` object type but interface objects."""
        return [
            (s, t)
            for s in self.names
            for t in self.objects(s)
            if "key" in directive_names(t)
            and "interfaceObject" not in directive_names(t)
        ]

    def definitions(self) -> dict[tuple[str, str], list[Def]]:
        """Every field of an object type, with its definitions across subgraphs; fields
        an implemented interface declares are left out (changing one alone would only
        break the subgraph's own validity)."""
        found: dict[tuple[str, str], list[Def]] = {}
        for subgraph in self.names:
            for t in self.objects(subgraph):
                declared = self.interface_fields(subgraph, t)
                for f in t.fields:
                    if f.name.value not in declared:
                        key = (t.name.value, f.name.value)
                        found.setdefault(key, []).append(Def(subgraph, t, f))
        return found

    def interface_fields(self, subgraph: str, t: ObjectTypeDefinitionNode) -> set[str]:
        names: set[str] = set()
        for interface in t.interfaces or ():
            node = self.type(subgraph, interface.name.value)
            names.update(f.name.value for f in getattr(node, "fields", None) or ())
        return names

    def key_fields(self) -> dict[tuple[str, str], str]:
        """(type, field) -> field type, for every field a `@key` selects at its top
        level, in any subgraph."""
        found: dict[tuple[str, str], str] = {}
        for subgraph in self.names:
            for t in self.types(subgraph):
                names = key_names(t)
                for f in getattr(t, "fields", None) or ():
                    if f.name.value in names:
                        found[(t.name.value, f.name.value)] = printed_type(f)
        return found

    def key_types(self) -> set[str]:
        """The types keys select into (`Loc` for `loc { code zone }`)."""
        return {named_type(type_text) for type_text in self.key_fields().values()}

    def field_set_words(self) -> set[str]:
        """Every name any `fields:` argument mentions, in any subgraph."""
        words: set[str] = set()
        for text in self._texts.values():
            for field_set in re.findall(r'fields: "((?:[^"\\]|\\.)*)"', text):
                words.update(re.findall(r"\w+", field_set))
        return words

    def printed(self) -> tuple[tuple[str, str], ...]:
        return tuple(
            (
                name,
                print_ast(DocumentNode(definitions=tuple(definitions))) + "\n"
                if name in self._changed
                else self._texts[name],
            )
            for name, definitions in self._definitions.items()
        )


# -- nodes ------------------------------------------------------------------------


def replace_node(node: Any, **changes: Any) -> Any:
    """A copy of a (frozen) node with some attributes changed."""
    return dataclasses.replace(node, **changes)


def field_node(text: str) -> FieldDefinitionNode:
    """A field definition parsed from SDL text (`name(args): Type @directives`)."""
    node = parse(f"type T {{ {text} }}", no_location=True).definitions[0]
    return node.fields[0]


def directive_names(node: Any) -> set[str]:
    return {d.name.value for d in node.directives or ()}


def with_directive(node: Any, text: str) -> Any:
    directive = parse(f"scalar S {text}", no_location=True).definitions[0]
    return replace_node(
        node, directives=(*(node.directives or ()), *directive.directives)
    )


def without_directive(node: Any, name: str) -> Any:
    kept = tuple(d for d in node.directives or () if d.name.value != name)
    return replace_node(node, directives=kept)


def with_argument(field: FieldDefinitionNode, text: str) -> FieldDefinitionNode:
    argument = field_node(f"f({text}): Int").arguments[0]
    return replace_node(field, arguments=(*(field.arguments or ()), argument))


def printed_type(node: Any) -> str:
    return print_ast(node.type)


def named_type(type_text: str) -> str:
    return type_text.strip("[]!")


def retyped(node: Any, type_text: str) -> Any:
    return replace_node(node, type=parse_type(type_text, no_location=True))


def key_names(t: ObjectTypeDefinitionNode) -> set[str]:
    """The fields `t`'s keys select at their top level."""
    names: set[str] = set()
    for directive in t.directives or ():
        if directive.name.value == "key":
            for argument in directive.arguments:
                if argument.name.value == "fields":
                    names.update(top_level_names(argument.value.value))
    return names


def top_level_names(field_set: str) -> list[str]:
    """`a(x: 1) b { c }` -> [a, b]."""
    field_set = re.sub(r"\([^)]*\)", " ", field_set)
    names: list[str] = []
    depth = 0
    for token in field_set.replace("{", " { ").replace("}", " } ").split():
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
        elif depth == 0:
            names.append(token)
    return names


def field_sets(node: Any, directive_name: str) -> Iterator[str]:
    """The `fields:` of each `@<directive_name>` on the node."""
    for directive in node.directives or ():
        if directive.name.value == directive_name:
            for argument in directive.arguments:
                if argument.name.value == "fields":
                    yield argument.value.value


def resolving(defs: list[Def]) -> list[Def]:
    """The definitions that resolve the field (not `@external` copies)."""
    return [d for d in defs if "external" not in directive_names(d.field)]


def is_leaf(sdls: Sdls, subgraph: str, type_text: str) -> bool:
    """Whether the type is a built-in scalar or an enum of the subgraph."""
    named = named_type(type_text)
    return named in BUILTIN_SCALARS or isinstance(
        sdls.type(subgraph, named), EnumTypeDefinitionNode
    )


def defined_in(sdls: Sdls, subgraph: str, type_text: str) -> bool:
    """Whether the subgraph can name the type (built in, or defined there)."""
    named = named_type(type_text)
    return named in BUILTIN_SCALARS or sdls.type(subgraph, named) is not None
