"""Entity representations: ``requires`` projected onto the objects at the cursor.

QUERY_PLANNING.md §4.3 steps 1-4. Each object gives at most one representation; objects
missing a required field (an earlier fetch failed or a null bubbled) or without
``__typename`` give none. Identical representations are sent once and remember every
position they came from, so the answer is merged into each and errors are reported at
each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from planner.query_plan import FetchRewrite, RequiredField, RequiredSelection
from router.execution.paths import CursorEntry
from router.execution.rewrites import apply_rewrites
from router.execution.type_conditions import TypeConditions

__all__ = ["Representations", "collect_representations"]


class _Missing(Exception):
    """A required field is absent: the object cannot be represented."""


_MISSING = _Missing()


@dataclass(slots=True)
class Representations:
    """Unique representations, in first-seen order, and the positions each came from."""

    items: list[dict[str, Any]]
    positions: list[list[CursorEntry]]


def collect_representations(
    entries: list[CursorEntry],
    requires: Sequence[RequiredSelection],
    input_rewrites: Sequence[FetchRewrite],
    types: TypeConditions,
) -> Representations:
    items: list[dict[str, Any]] = []
    positions: list[list[CursorEntry]] = []
    index_of: dict[Any, int] = {}
    for entry in entries:
        obj = entry[0]
        try:
            representation = _project_object(obj, requires, types)
        except _Missing:
            continue
        if "__typename" not in representation:
            continue
        key: Any
        if input_rewrites:
            apply_rewrites(input_rewrites, representation, types)
            # Rewrites may make different types look alike (``__typename: "I"``); keep
            # them apart so output rewrites and merges see each object's own type.
            key = (obj.get("__typename"), orjson.dumps(representation))
        else:
            key = orjson.dumps(representation)
        index = index_of.get(key)
        if index is None:
            index_of[key] = len(items)
            items.append(representation)
            positions.append([entry])
        else:
            positions[index].append(entry)
    return Representations(items, positions)


def _project_object(
    obj: dict[str, Any], selections: Sequence[RequiredSelection], types: TypeConditions
) -> dict[str, Any]:
    projected: dict[str, Any] = {}
    _project_into(projected, obj, selections, types)
    return projected


def _project_into(
    out: dict[str, Any],
    obj: dict[str, Any],
    selections: Sequence[RequiredSelection],
    types: TypeConditions,
) -> None:
    for selection in selections:
        if isinstance(selection, RequiredField):
            name = selection.name
            if name not in obj:
                raise _MISSING
            value = obj[name]
            if selection.selections and value is not None:
                value = _project_value(value, selection.selections, types)
            existing = out.get(name)
            if type(existing) is dict and type(value) is dict:
                existing.update(value)
            else:
                out[name] = value
        else:
            condition = selection.type_condition
            typename = obj.get("__typename")
            if condition is None or (
                typename is not None and types.matches(typename, condition)
            ):
                _project_into(out, obj, selection.selections, types)


def _project_value(
    value: Any, selections: Sequence[RequiredSelection], types: TypeConditions
) -> Any:
    if type(value) is list:
        return [
            None if item is None else _project_value(item, selections, types)
            for item in value
        ]
    if type(value) is dict:
        return _project_object(value, selections, types)
    return value
