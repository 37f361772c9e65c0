"""Deep merge of a subgraph result into the response tree (QUERY_PLANNING.md §4.2).

Objects merge by key, lists of equal length element by element, anything else overwrites
(``null`` included). Subtrees taken from ``source`` are linked, not copied: the executor
owns every subgraph result, and positions that share a subtree (deduplicated entities) got
the same entity, so later merges into it are the same for each of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["deep_merge", "deep_merge_each"]


def deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Merges ``source`` into ``target`` in place."""
    # The loop body is ``_merge_key`` inlined: this runs for every key of every entity.
    for key, value in source.items():
        kind = type(value)
        if kind is dict:
            existing = target.get(key)
            if type(existing) is dict and existing is not value:
                deep_merge(existing, value)
                continue
        elif kind is list:
            existing = target.get(key)
            if (
                type(existing) is list
                and existing is not value
                and len(existing) == len(value)
            ):
                _merge_lists(existing, value)
                continue
        target[key] = value


def deep_merge_each(
    targets: Sequence[tuple[dict[str, Any], object]], source: dict[str, Any]
) -> None:
    """``deep_merge(target, source)`` for the first item of each of ``targets``.

    A deduplicated entity goes to every position it came from; runs of keys whose values
    are neither objects nor lists (nearly all of an entity) always overwrite, so they are
    set with one ``dict.update`` per position, in the same key order as ``deep_merge``.
    """
    if len(targets) == 1:
        deep_merge(targets[0][0], source)
        return
    runs = _runs(source)
    if len(runs) == 1 and runs[0][0] is None:
        scalars = runs[0][1]
        for target, _ in targets:
            target.update(scalars)
        return
    for target, _ in targets:
        for key, value in runs:
            if key is None:
                target.update(value)
            else:
                _merge_key(target, key, value)


def _runs(source: dict[str, Any]) -> list[tuple[str | None, Any]]:
    """``source`` as ``(None, {key: value, ...})`` for each run of keys whose values
    overwrite, and ``(key, value)`` for each object or list value, in order."""
    runs: list[tuple[str | None, Any]] = []
    scalars: dict[str, Any] | None = None
    for key, value in source.items():
        kind = type(value)
        if kind is dict or kind is list:
            scalars = None
            runs.append((key, value))
        else:
            if scalars is None:
                scalars = {}
                runs.append((None, scalars))
            scalars[key] = value
    return runs


def _merge_key(target: dict[str, Any], key: str, value: Any) -> None:
    """One key of ``deep_merge``."""
    kind = type(value)
    if kind is dict:
        existing = target.get(key)
        if type(existing) is dict and existing is not value:
            deep_merge(existing, value)
            return
    elif kind is list:
        existing = target.get(key)
        if (
            type(existing) is list
            and existing is not value
            and len(existing) == len(value)
        ):
            _merge_lists(existing, value)
            return
    target[key] = value


def _merge_lists(target: list[Any], source: list[Any]) -> None:
    for index, value in enumerate(source):
        kind = type(value)
        if kind is dict:
            existing = target[index]
            if type(existing) is dict and existing is not value:
                deep_merge(existing, value)
                continue
        elif kind is list:
            existing = target[index]
            if (
                type(existing) is list
                and existing is not value
                and len(existing) == len(value)
            ):
                _merge_lists(existing, value)
                continue
        target[index] = value
