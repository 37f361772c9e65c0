"""Response paths and the cursor: the objects a plan node works on, and where they are.

A path is kept as a linked node ``(parent, key)`` so that walking into a list of ten
thousand items costs one small tuple per item; the list form a client sees is built only
for the few paths an error needs (``to_list``).
"""

from __future__ import annotations

from typing import Any, TypeAlias

from router.execution.type_conditions import FRAGMENT_PREFIX, TypeConditions

__all__ = ["CursorEntry", "PathNode", "descend", "to_list"]

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
    for step in path:
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
