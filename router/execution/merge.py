"""Deep merge of a subgraph result into the response tree (QUERY_PLANNING.md §4.2).

Objects merge by key, lists of equal length element by element, anything else overwrites
(``null`` included). Subtrees taken from ``source`` are linked, not copied: the executor
owns every subgraph result, and positions that share a subtree (deduplicated entities) got
the same entity, so later merges into it are the same for each of them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["deep_merge"]


def deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    """Merges ``source`` into ``target`` in place."""
    for key, value in source.items():
        existing = target.get(key)
        if existing is not None and existing is not value:
            kind = type(value)
            if kind is dict and type(existing) is dict:
                deep_merge(existing, value)
                continue
            if kind is list and type(existing) is list and len(existing) == len(value):
                _merge_lists(existing, value)
                continue
        target[key] = value


def _merge_lists(target: list[Any], source: list[Any]) -> None:
    for index, value in enumerate(source):
        existing = target[index]
        if existing is not None and existing is not value:
            kind = type(value)
            if kind is dict and type(existing) is dict:
                deep_merge(existing, value)
                continue
            if kind is list and type(existing) is list and len(existing) == len(value):
                _merge_lists(existing, value)
                continue
        target[index] = value
