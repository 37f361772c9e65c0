"""Fetch rewrites: ``ValueSetter`` and ``KeyRenamer`` applied along ``"... on T"`` paths.

Input rewrites change a representation before it is sent (an ``@interfaceObject``
subgraph wants ``__typename: "I"``); output rewrites change a subgraph result before it is
merged (a planner alias renamed back). Lists on the way are walked element by element. A
``"... on T"`` step lets through objects whose ``__typename`` is T or a subtype, and
objects without ``__typename`` (Apollo's gateway does the same).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from planner.query_plan import FetchRewrite, KeyRenamer, ValueSetter
from router.execution.merge import deep_merge
from router.execution.type_conditions import FRAGMENT_PREFIX, TypeConditions

__all__ = ["apply_rewrites"]


def apply_rewrites(
    rewrites: Iterable[FetchRewrite], value: Any, types: TypeConditions
) -> None:
    """Applies each rewrite to ``value`` in place."""
    for rewrite in rewrites:
        if not rewrite.path:
            continue
        *steps, last = rewrite.path
        _apply_at(value, steps, 0, rewrite, last, types)


def _apply_at(
    value: Any,
    steps: list[str],
    depth: int,
    rewrite: FetchRewrite,
    last: str,
    types: TypeConditions,
) -> None:
    if type(value) is list:
        for item in value:
            _apply_at(item, steps, depth, rewrite, last, types)
        return
    if type(value) is not dict:
        return
    if depth == len(steps):
        _rewrite(value, rewrite, last)
        return
    step = steps[depth]
    if step.startswith(FRAGMENT_PREFIX):
        typename = value.get("__typename")
        if typename is None or types.matches(typename, step[len(FRAGMENT_PREFIX) :]):
            _apply_at(value, steps, depth + 1, rewrite, last, types)
    else:
        _apply_at(value.get(step), steps, depth + 1, rewrite, last, types)


def _rewrite(obj: dict[str, Any], rewrite: FetchRewrite, key: str) -> None:
    if isinstance(rewrite, ValueSetter):
        obj[key] = rewrite.set_value_to
    elif isinstance(rewrite, KeyRenamer) and key in obj:
        # Merged, not replaced: a planner alias of a field the fetch also selects
        # under its own name holds other sub-fields of the same objects.
        deep_merge(obj, {rewrite.rename_key_to: obj.pop(key)})
