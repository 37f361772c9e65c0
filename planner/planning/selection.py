"""Mutable selection sets that fetch groups build up, and their compact printing.

A group's selection grows as the planner walks the chosen paths: client fields, key and
required fields, ``__typename`` under abstract types. Fields merge by response name;
fragments by type condition and directives.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import NamedTuple

from graphql import ArgumentNode, DirectiveNode, SelectionSetNode, print_ast
from graphql.language import FieldNode, InlineFragmentNode, Node

from planner.query_plan import (
    RequiredField,
    RequiredFragment,
    RequiredSelection,
    VariableCondition,
)

__all__ = [
    "FieldSelection",
    "FragmentSelection",
    "SelectionTree",
    "arguments_key",
    "compact_value",
    "printed",
]


class FieldSelection:
    __slots__ = (
        "alias",
        "arguments",
        "children",
        "directives",
        "name",
        "needed_when",
        "optional",
    )

    def __init__(
        self,
        name: str,
        alias: str | None,
        arguments: tuple[ArgumentNode, ...],
        directives: tuple[DirectiveNode, ...],
        composite: bool,
    ) -> None:
        self.name = name
        self.alias = alias
        self.arguments = arguments
        self.directives = directives
        self.children: SelectionTree | None = SelectionTree() if composite else None
        # In a fetch's inputs: the representation may lack it unless a condition of
        # ``needed_when`` holds (RequiredField.optional, .needed_when).
        self.optional = False
        self.needed_when: tuple[VariableCondition, ...] = ()

    def join_optional(
        self, existed: bool, optional: bool, needed_when: tuple[VariableCondition, ...]
    ) -> None:
        """Adds this field once more to a fetch's inputs: optional only while every
        addition was, needed when any addition's conditions hold."""
        if not optional or (existed and not self.optional):
            self.optional, self.needed_when = False, ()
        elif not existed:
            self.optional, self.needed_when = True, needed_when
        else:
            self.needed_when = tuple(dict.fromkeys((*self.needed_when, *needed_when)))

    @property
    def response_name(self) -> str:
        return self.alias or self.name


class FragmentSelection:
    __slots__ = ("children", "directives", "type_condition")

    def __init__(
        self, type_condition: str | None, directives: tuple[DirectiveNode, ...]
    ) -> None:
        self.type_condition = type_condition
        self.directives = directives
        self.children = SelectionTree()


Selection = FieldSelection | FragmentSelection


# Printing AST nodes is slow and the same tuples come back for every plan evaluated, so
# keys are remembered per tuple object (the tuple is kept, so its id stays unique), and
# printed nodes per node object.
_KEYS: dict[int, tuple[tuple[Node, ...], str]] = {}
_PRINTED: dict[int, tuple[Node, str]] = {}


def printed(node: Node) -> str:
    """``print_ast(node)``, remembered for this node object."""
    cached = _PRINTED.get(id(node))
    if cached is not None and cached[0] is node:
        return cached[1]
    if len(_PRINTED) > 50_000:
        _PRINTED.clear()
    text = print_ast(node)
    _PRINTED[id(node)] = (node, text)
    return text


def _nodes_key(nodes: tuple[Node, ...], separator: str) -> str:
    if not nodes:
        return ""
    cached = _KEYS.get(id(nodes))
    if cached is not None and cached[0] is nodes:
        return cached[1]
    if len(_KEYS) > 50_000:
        _KEYS.clear()
    key = separator.join(printed(node) for node in nodes)
    _KEYS[id(nodes)] = (nodes, key)
    return key


class _FieldEntry(NamedTuple):
    name: str
    alias: str | None
    arguments: tuple[ArgumentNode, ...]
    children: SelectionSetNode | None
    key: str  # in a SelectionTree


class _FragmentEntry(NamedTuple):
    type_condition: str | None
    children: SelectionSetNode
    key: str  # in a SelectionTree


_Entry = _FieldEntry | _FragmentEntry
_ENTRIES: dict[int, tuple[SelectionSetNode, tuple[_Entry, ...]]] = {}


def _entries(selection_set: SelectionSetNode) -> tuple[_Entry, ...]:
    """A parsed selection set's fields and inline fragments, read once per node: the
    same key and @requires field sets are added for every plan evaluated, and one
    arguments tuple per field keeps their printed keys remembered."""
    cached = _ENTRIES.get(id(selection_set))
    if cached is not None and cached[0] is selection_set:
        return cached[1]
    entries: list[_Entry] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            name = node.name.value
            alias = node.alias.value if node.alias else None
            arguments = tuple(node.arguments or ())
            key = _field_key(name, alias, arguments, ())
            entries.append(_FieldEntry(name, alias, arguments, node.selection_set, key))
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            key = _fragment_key(condition, ())
            entries.append(_FragmentEntry(condition, node.selection_set, key))
    if len(_ENTRIES) > 50_000:
        _ENTRIES.clear()
    result = tuple(entries)
    _ENTRIES[id(selection_set)] = (selection_set, result)
    return result


def _directives_key(directives: tuple[DirectiveNode, ...]) -> str:
    return _nodes_key(directives, " ")


def arguments_key(arguments: tuple[ArgumentNode, ...]) -> str:
    return _nodes_key(arguments, ",")


def _field_key(
    name: str,
    alias: str | None,
    arguments: tuple[ArgumentNode, ...],
    directives: tuple[DirectiveNode, ...],
) -> str:
    if not arguments and not directives:
        return f"{alias or name}()"
    return f"{alias or name}({arguments_key(arguments)}){_directives_key(directives)}"


def _fragment_key(
    type_condition: str | None, directives: tuple[DirectiveNode, ...]
) -> str:
    if not directives:
        return f"...{type_condition or ''} "
    return f"...{type_condition or ''} {_directives_key(directives)}"


class SelectionTree:
    """An ordered selection set."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: dict[str, Selection] = {}

    def __iter__(self) -> Iterator[Selection]:
        return iter(self.items.values())

    def __bool__(self) -> bool:
        return bool(self.items)

    def add_field(
        self,
        name: str,
        alias: str | None = None,
        arguments: tuple[ArgumentNode, ...] = (),
        directives: tuple[DirectiveNode, ...] = (),
        composite: bool = False,
        *,
        first: bool = False,
    ) -> FieldSelection:
        """The field (created if new); ``first`` puts a new field before the others."""
        key = (
            f"{alias or name}()"
            if not arguments and not directives
            else _field_key(name, alias, arguments, directives)
        )
        existing = self.items.get(key)
        if isinstance(existing, FieldSelection):
            return existing
        created = FieldSelection(name, alias, arguments, directives, composite)
        if first:
            self.items = {key: created, **self.items}
        else:
            self.items[key] = created
        return created

    def add_fragment(
        self,
        type_condition: str | None,
        directives: tuple[DirectiveNode, ...] = (),
        *,
        first: bool = False,
    ) -> FragmentSelection:
        key = _fragment_key(type_condition, directives)
        existing = self.items.get(key)
        if isinstance(existing, FragmentSelection):
            return existing
        created = FragmentSelection(type_condition, directives)
        if first:
            self.items = {key: created, **self.items}
        else:
            self.items[key] = created
        return created

    def add_node_selection(
        self,
        selection_set: SelectionSetNode,
        *,
        first: bool = False,
        optional: bool = False,
        needed_when: tuple[VariableCondition, ...] = (),
    ) -> None:
        """Adds a parsed selection set (a key or ``@requires`` field set), recursively;
        with ``first``, its top-level items move before the others, in its order.
        ``optional``: new fields may be missing from a representation unless one of
        ``needed_when`` holds; a field also added without it may not."""
        added: list[str] = []
        items = self.items
        for entry in _entries(selection_set):
            key = entry.key
            known = items.get(key)
            if isinstance(entry, _FieldEntry):
                name, alias, arguments, children, _ = entry
                if isinstance(known, FieldSelection):
                    field = known
                else:
                    field = items[key] = FieldSelection(
                        name, alias, arguments, (), children is not None
                    )
                field.join_optional(known is not None, optional, needed_when)
                if children is not None and field.children is not None:
                    field.children.add_node_selection(children)
            else:
                if isinstance(known, FragmentSelection):
                    fragment = known
                else:
                    fragment = items[key] = FragmentSelection(entry.type_condition, ())
                fragment.children.add_node_selection(
                    entry.children, optional=optional, needed_when=needed_when
                )
            if first:
                added.append(key)
        if first:
            # A key added again where it was added before is in front already.
            front = list(dict.fromkeys(added))
            if list(itertools.islice(items, len(front))) != front:
                self.items = {**{key: items[key] for key in front}, **items}

    def merge(self, other: SelectionTree) -> None:
        """Adds everything ``other`` selects."""
        for item in other:
            if isinstance(item, FieldSelection):
                known = self.items.get(
                    _field_key(item.name, item.alias, item.arguments, item.directives)
                )
                target = self.add_field(
                    item.name,
                    item.alias,
                    item.arguments,
                    item.directives,
                    item.children is not None,
                )
                target.join_optional(known is not None, item.optional, item.needed_when)
                if item.children is not None and target.children is not None:
                    target.children.merge(item.children)
            else:
                fragment = self.add_fragment(item.type_condition, item.directives)
                fragment.children.merge(item.children)

    def has_fields(self) -> bool:
        """Whether any field is selected, at any depth."""
        for item in self.items.values():
            if isinstance(item, FieldSelection):
                return True
            if item.children.has_fields():
                return True
        return False

    def print_compact(self) -> str:
        return "{" + " ".join(_print_item(item) for item in self) + "}"

    def to_required(self) -> tuple[RequiredSelection, ...]:
        result: list[RequiredSelection] = []
        for item in self:
            if isinstance(item, FieldSelection):
                result.append(
                    RequiredField(
                        item.name,
                        item.children.to_required() if item.children else (),
                        item.alias,
                        item.optional,
                        item.needed_when,
                    )
                )
            else:
                result.append(
                    RequiredFragment(item.type_condition, item.children.to_required())
                )
        return tuple(result)


def _print_item(item: Selection) -> str:
    if isinstance(item, FieldSelection):
        text = f"{item.alias}:{item.name}" if item.alias else item.name
        if item.arguments:
            text += (
                "("
                + " ".join(
                    f"{a.name.value}:{compact_value(print_ast(a.value))}"
                    for a in item.arguments
                )
                + ")"
            )
        text += "".join(_print_directive(d) for d in item.directives)
        if item.children is not None:
            text += item.children.print_compact()
        return text
    prefix = f"...on {item.type_condition}" if item.type_condition else "..."
    return (
        prefix
        + "".join(_print_directive(d) for d in item.directives)
        + (item.children.print_compact())
    )


def _print_directive(directive: DirectiveNode) -> str:
    text = "@" + directive.name.value
    if directive.arguments:
        text += (
            "("
            + " ".join(
                f"{a.name.value}:{compact_value(print_ast(a.value))}"
                for a in directive.arguments
            )
            + ")"
        )
    return text


def compact_value(text: str) -> str:
    """graphql-core prints values with ``, `` and ``: ``; strings keep their spaces.

    Strings are copied verbatim: a quote ends a string unless an odd number of
    backslashes precede it, and a block string runs to the next unescaped triple quote."""
    out: list[str] = []
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char == '"':
            end = _string_end(text, i)
            out.append(text[i:end])
            i = end
            continue
        if char == " " and i > 0 and text[i - 1] in ",:":
            i += 1
            continue
        out.append(" " if char == "," else char)
        i += 1
    return "".join(out)


def _string_end(text: str, start: int) -> int:
    """The index just past the string literal (or block string) opening at ``start``."""
    if text.startswith('"""', start):
        i = start + 3
        while True:
            found = text.find('"""', i)
            if found < 0:
                return len(text)
            if text[found - 1] != "\\":
                return found + 3
            i = found + 3
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            return i + 1
        i += 1
    return len(text)
