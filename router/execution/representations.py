"""Entity representations: ``requires`` projected onto the objects at the cursor.

QUERY_PLANNING.md §4.3 steps 1-4. Each object gives at most one representation; objects
missing a required field (an earlier fetch failed or a null bubbled) or without
``__typename`` give none. An optional field (fetched under @skip/@include) is required
while the client's variables select the field that needs it. Identical representations are sent once and remember every
position they came from, so the answer is merged into each and errors are reported at
each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import orjson

from planner.query_plan import (
    FetchRewrite,
    RequiredField,
    RequiredFragment,
    RequiredSelection,
)
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
    memo: dict[Any, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
) -> Representations:
    """The representations of ``entries``; ``variables`` (the client's, coerced) tell
    which optional fields are needed. With ``memo`` (one per list of entries, kept
    only while their objects do not change), a flat ``requires`` is collected once for
    all the fetches that require the same fields; the result is then shared, and must
    not be changed."""
    if not input_rewrites:
        flat = _flat_form(requires)
        if flat is not None:
            if memo is None:
                return _collect_flat(entries, flat, types)
            form = ("flat", flat[0], flat[1])
            found: Representations | None = memo.get(form)
            if found is None:
                found = memo[form] = _collect_flat(entries, flat, types)
            return found
    items: list[dict[str, Any]] = []
    positions: list[list[CursorEntry]] = []
    index_of: dict[Any, int] = {}
    for entry in entries:
        obj = entry[0]
        try:
            representation = _project_object(obj, requires, types, variables or {})
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


# (type condition, field names, a function giving an object's values of them as a tuple)
_FlatForm = tuple[
    str | None, tuple[str, ...], Callable[[dict[str, Any]], tuple[Any, ...]]
]
# By identity: hashing ``requires`` hashes every selection in it, on each fetch. Each
# entry keeps its ``requires`` alive, so the id cannot be reused while it is cached.
_flat_forms: dict[int, tuple[Sequence[RequiredSelection], _FlatForm | None]] = {}
_MAX_FLAT_FORMS = 4096


def _flat_form(requires: Sequence[RequiredSelection]) -> _FlatForm | None:
    """``(type condition, field names)`` when ``requires`` is one fragment (or none) of
    distinct leaf fields, as nearly every key is (``... on Product { __typename upc }``);
    None when it needs the general projection."""
    cached = _flat_forms.get(id(requires))
    if cached is not None and cached[0] is requires:
        return cached[1]
    condition: str | None = None
    fields: Sequence[RequiredSelection] = requires
    if len(requires) == 1 and isinstance(requires[0], RequiredFragment):
        condition = requires[0].type_condition
        fields = requires[0].selections
    names = tuple(
        f.response_name
        for f in fields
        if isinstance(f, RequiredField) and not f.selections and not f.optional
    )
    form = (
        (condition, names, _getter(names)) if len(set(names)) == len(fields) else None
    )
    if len(_flat_forms) >= _MAX_FLAT_FORMS:
        _flat_forms.clear()
    _flat_forms[id(requires)] = (requires, form)
    return form


def _getter(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """``obj -> tuple(obj[name] for name in names)``, raising KeyError like it."""
    if len(names) == 1:
        name = names[0]
        return lambda obj: (obj[name],)
    get: Callable[[dict[str, Any]], tuple[Any, ...]] = itemgetter(*names)
    return get


def _collect_flat(
    entries: list[CursorEntry], form: _FlatForm, types: TypeConditions
) -> Representations:
    """``collect_representations`` for a flat form: the same result, with no projection
    for objects whose representation was already seen."""
    condition, names, get = form
    items: list[dict[str, Any]] = []
    positions: list[list[CursorEntry]] = []
    if "__typename" not in names:
        return Representations(items, positions)  # none would carry its type
    typename_at = names.index("__typename")
    if len(names) == 2:
        return _collect_pair(entries, condition, names, typename_at, types)
    index_of: dict[tuple[Any, ...] | bytes, int] = {}
    matches = types.matches
    dumps = orjson.dumps
    key: tuple[Any, ...] | bytes
    for entry in entries:
        try:
            values = get(entry[0])
        except KeyError:
            continue
        # Equal exactly when the general path's keys (its dicts, in ``names`` order)
        # are. Tuples of strings, ints and nulls compare as their JSON does; other
        # values may not (``True == 1 == 1.0``, ``[1] == [1.0]``), so those use the
        # JSON as key.
        for value in values:
            kind = type(value)
            if kind is not str and kind is not int and value is not None:
                key = dumps(values)
                break
        else:
            key = values
        index = index_of.get(key)
        if index is not None:
            positions[index].append(entry)
            continue
        # The key holds __typename, so only a new key needs the type condition.
        if condition is not None:
            typename = values[typename_at]
            if typename != condition and (
                typename is None or not matches(typename, condition)
            ):
                continue
        index_of[key] = len(items)
        items.append(dict(zip(names, values, strict=True)))
        positions.append([entry])
    return Representations(items, positions)


def _collect_pair(
    entries: list[CursorEntry],
    condition: str | None,
    names: tuple[str, ...],
    typename_at: int,
    types: TypeConditions,
) -> Representations:
    """``_collect_flat`` for two names (``__typename`` and one key field, nearly every
    entity key): the values read and checked inline, with no tuple getter or loop over
    them per object."""
    first, second = names
    items: list[dict[str, Any]] = []
    positions: list[list[CursorEntry]] = []
    index_of: dict[tuple[Any, Any] | bytes, int] = {}
    matches = types.matches
    key: tuple[Any, Any] | bytes
    for entry in entries:
        obj = entry[0]
        try:
            a = obj[first]
            b = obj[second]
        except KeyError:
            continue
        # As in ``_collect_flat``: only strings, ints and nulls compare as their JSON.
        kind_a = type(a)
        kind_b = type(b)
        if (kind_a is str or kind_a is int or a is None) and (
            kind_b is str or kind_b is int or b is None
        ):
            key = (a, b)
        else:
            key = orjson.dumps((a, b))
        index = index_of.get(key)
        if index is not None:
            positions[index].append(entry)
            continue
        if condition is not None:
            typename = b if typename_at else a
            if typename != condition and (
                typename is None or not matches(typename, condition)
            ):
                continue
        index_of[key] = len(items)
        items.append({first: a, second: b})
        positions.append([entry])
    return Representations(items, positions)


def _project_object(
    obj: dict[str, Any],
    selections: Sequence[RequiredSelection],
    types: TypeConditions,
    variables: Mapping[str, Any],
) -> dict[str, Any]:
    projected: dict[str, Any] = {}
    _project_into(projected, obj, selections, types, variables)
    return projected


def _project_into(
    out: dict[str, Any],
    obj: dict[str, Any],
    selections: Sequence[RequiredSelection],
    types: TypeConditions,
    variables: Mapping[str, Any],
) -> None:
    for selection in selections:
        if isinstance(selection, RequiredField):
            name = selection.response_name
            if name not in obj:
                if selection.optional and not _needed(selection, variables):
                    continue
                raise _MISSING
            value = obj[name]
            if selection.selections and value is not None:
                value = _project_value(value, selection.selections, types, variables)
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
                _project_into(out, obj, selection.selections, types, variables)


def _needed(field: RequiredField, variables: Mapping[str, Any]) -> bool:
    """Whether the variables select what needs the optional ``field``; a variable
    they lack counts as selecting it."""
    return any(
        all(variables.get(name, value) is value for name, value in condition)
        for condition in field.needed_when
    )


def _project_value(
    value: Any,
    selections: Sequence[RequiredSelection],
    types: TypeConditions,
    variables: Mapping[str, Any],
) -> Any:
    if type(value) is list:
        return [
            None if item is None else _project_value(item, selections, types, variables)
            for item in value
        ]
    if type(value) is dict:
        return _project_object(value, selections, types, variables)
    return value
