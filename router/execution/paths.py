"""Response paths and the cursor: the objects a plan node works on, and where they are.

A path is kept as a linked node ``(parent, key)`` so that walking into a list of ten
thousand items costs one small tuple per item; the list form a client sees is built only
for the few paths an error needs (``to_list``).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeAlias

from router.execution.type_conditions import FRAGMENT_PREFIX, TypeConditions

__all__ = ["CursorEntry", "Cursors", "PathNode", "descend", "to_list"]

PathNode: TypeAlias = "tuple[PathNode, str | int] | None"
CursorEntry: TypeAlias = tuple[dict[str, Any], PathNode]


def to_list(node: PathNode) -> list[str | int]:
    """The client form of a path: response names and list indexes from the root."""
    keys: list[str | int] = []
    while node is not None:
        node, key = node
        keys.append(key)
    keys.reverse()
    return keys


def descend(
    entries: list[CursorEntry], path: tuple[str, ...], types: TypeConditions
) -> list[CursorEntry]:
    """The objects reached from ``entries`` by a Flatten ``path``.

    A response name steps into that key, ``"@"`` into each list item, ``"... on T"`` keeps
    objects of type T. Nulls and missing keys end a branch (QUERY_PLANNING.md §4.1); lists
    left over at the end, or met where a name is expected, are walked item by item.
    """
    if not path:
        return list(_objects(list(entries)))
    values: list[tuple[Any, PathNode]] = list(entries)
    at_step = 0
    last = len(path) - 1
    while at_step <= last:
        step = path[at_step]
        at_step += 1
        if (
            at_step <= last
            and path[at_step] == "@"
            and step != "@"
            and not step.startswith(FRAGMENT_PREFIX)
        ):
            # A name and then "@" (``reviews.@``) in one pass.
            at_step += 1
            values = _items_under(values, step)
            continue
        stepped: list[tuple[Any, PathNode]] = []
        append = stepped.append
        if step == "@":
            for value, node in values:
                if type(value) is list:
                    for index, item in enumerate(value):
                        if item is not None:
                            append((item, (node, index)))
        elif step.startswith(FRAGMENT_PREFIX):
            condition = step[len(FRAGMENT_PREFIX) :]
            for value, node in _objects(values):
                typename = value.get("__typename")
                if typename is not None and types.matches(typename, condition):
                    append((value, node))
        else:
            for value, node in values:
                if type(value) is dict:
                    child = value.get(step)
                    if child is not None:
                        append((child, (node, step)))
                    continue
                # A list where a name is expected: its objects, in order.
                for obj, at in _objects([(value, node)]):
                    child = obj.get(step)
                    if child is not None:
                        append((child, (at, step)))
        values = stepped
    return _objects(values)


def _items_under(
    values: list[tuple[Any, PathNode]], name: str
) -> list[tuple[Any, PathNode]]:
    """The steps ``name`` and then ``"@"`` of ``descend``: the non-null items of the
    lists under ``name``, with no list of the lists in between."""
    stepped: list[tuple[Any, PathNode]] = []
    append = stepped.append
    for value, node in values:
        if type(value) is dict:
            child = value.get(name)
            if type(child) is list:
                named = (node, name)
                for index, item in enumerate(child):
                    if item is not None:
                        append((item, (named, index)))
            continue
        # A list where a name is expected: its objects, in order.
        for obj, at in _objects([(value, node)]):
            child = obj.get(name)
            if type(child) is list:
                named = (at, name)
                for index, item in enumerate(child):
                    if item is not None:
                        append((item, (named, index)))
    return stepped


def _objects(values: list[tuple[Any, PathNode]]) -> list[CursorEntry]:
    """``values`` with lists walked item by item (nested lists too) and non-objects dropped."""
    for value, _ in values:
        if type(value) is not dict:
            break
    else:
        return values
    objects: list[CursorEntry] = []
    pending = list(reversed(values))
    while pending:
        value, node = pending.pop()
        if type(value) is dict:
            objects.append((value, node))
        elif type(value) is list:
            pending.extend(
                (item, (node, index))
                for index, item in reversed(list(enumerate(value)))
                if item is not None
            )
    return objects


class Cursors:
    """``descend`` from the root of one response tree, remembered until a merge could
    change what a path reaches.

    The plans of a query walk the same long paths again and again (a ``products`` fetch
    and then an ``inventory`` fetch at ``users.@.reviews.@.product``). A path's result
    depends only on the keys it steps through and on ``__typename`` where it has a type
    condition. The tree changes only by merges into the objects at a fetch's cursor, and
    an object sits at one response-name path only (lists and type conditions aside): a
    merge shares subtrees only between positions of one cursor. So a merge at ``P`` of
    top-level keys ``K`` can change a remembered path only if that path, without its
    ``@`` and type-condition steps, runs through ``P`` and then a key of ``K``, or has a
    type condition and the merge changed a ``__typename`` at ``P``.

    Each remembered cursor also holds ``derived`` values: what a caller computed from
    its objects and their subtrees (representations). They are forgotten with the
    cursor, and when a merge reaches its objects or anything below them.
    """

    __slots__ = ("_found", "_root", "_types")

    def __init__(self, root: list[CursorEntry], types: TypeConditions) -> None:
        self._root = root
        self._types = types
        self._found: dict[tuple[str, ...], _Found] = {}

    @property
    def root(self) -> list[CursorEntry]:
        """The cursor at the root: the entries every remembered path starts from."""
        return self._root

    @property
    def types(self) -> TypeConditions:
        return self._types

    def descend(self, path: tuple[str, ...]) -> list[CursorEntry]:
        """``descend(root, path)``; the list is shared, and must not be changed."""
        found = self._found.get(path)
        if found is not None:
            return found.entries
        # Continue from the longest remembered prefix. Only before a name or a type
        # condition: there ``descend`` would walk leftover lists item by item anyway,
        # while ``@`` must see the lists themselves.
        start, at = self._root, 0
        for end in range(len(path) - 1, 0, -1):
            if path[end] != "@":
                prefix = self._found.get(path[:end])
                if prefix is not None:
                    start, at = prefix.entries, end
                    break
        moved = descend(start, path[at:], self._types)
        names, conditioned = _names(path)
        self._found[path] = _Found(names, conditioned, moved, {})
        return moved

    def derived(
        self, path: tuple[str, ...], entries: list[CursorEntry]
    ) -> dict[Any, Any] | None:
        """The ``derived`` values of ``entries``, when they are the remembered cursor of
        ``path``; None otherwise (nothing may be remembered for them)."""
        found = self._found.get(path)
        if found is None or found.entries is not entries:
            return None
        return found.derived

    def merged(
        self, pattern: tuple[str, ...], keys: Collection[str], typename: bool
    ) -> None:
        """Forgets what a merge of ``keys`` into the objects at ``pattern`` may change;
        ``typename`` says it may have changed their ``__typename``."""
        if not self._found:
            return
        at, _ = _names(pattern)
        depth = len(at)
        stale: list[tuple[str, ...]] = []
        for path, found in self._found.items():
            names = found.names
            if names[:depth] == at and (
                (len(names) > depth and names[depth] in keys)
                or (typename and found.conditioned)
            ):
                stale.append(path)
            elif found.derived and at[: len(names)] == names:
                found.derived.clear()
        for path in stale:
            del self._found[path]


class _Found:
    """A remembered cursor: its path's response names, whether the path has a type
    condition, the entries, and what was derived from them."""

    __slots__ = ("conditioned", "derived", "entries", "names")

    def __init__(
        self,
        names: tuple[str, ...],
        conditioned: bool,
        entries: list[CursorEntry],
        derived: dict[Any, Any],
    ) -> None:
        self.names = names
        self.conditioned = conditioned
        self.entries = entries
        self.derived = derived


_names_of: dict[tuple[str, ...], tuple[tuple[str, ...], bool]] = {}
_MAX_NAMES = 4096


def _names(path: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """The response names of a Flatten path, and whether it has a type condition."""
    known = _names_of.get(path)
    if known is None:
        names = tuple(
            step
            for step in path
            if step != "@" and not step.startswith(FRAGMENT_PREFIX)
        )
        conditioned = any(step.startswith(FRAGMENT_PREFIX) for step in path)
        if len(_names_of) >= _MAX_NAMES:
            _names_of.clear()
        known = _names_of[path] = (names, conditioned)
    return known
