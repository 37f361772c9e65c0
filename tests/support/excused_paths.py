"""Excuses as narrow as the bug: the response paths where a reference is known wrong.

A path is written as the response path from ``data`` with ``@`` for any list index:
``data.item``, ``data.review.product.item``, ``data.topProducts.@.reviews`` (``data``
alone excuses the whole data, when the reference nulls it all). ``without_paths``
replaces what lies at those paths by a marker, in both responses, so that everything
else is still compared; ``divergent_paths`` finds where two answers differ, so an
excuse can be written from a run and checked for staleness.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

__all__ = [
    "EXCUSED",
    "divergent_paths",
    "matches",
    "values_at",
    "without_paths",
]

EXCUSED = "<excused>"
_ANY_INDEX = "@"


def _steps(path: str) -> list[str]:
    head, *steps = path.split(".")
    if head != "data":
        raise ValueError(f"an excused path starts with 'data': {path!r}")
    return steps


def matches(path: str, response_path: Sequence[str | int]) -> bool:
    """Whether ``response_path`` (an error's path) is at or under ``path``."""
    steps = _steps(path)
    if len(response_path) < len(steps):
        return False
    return all(
        (step == _ANY_INDEX and isinstance(part, int)) or step == str(part)
        for step, part in zip(steps, response_path, strict=False)
    )


def without_paths(data: Any, paths: Iterable[str]) -> Any:
    """A copy of ``data`` with the value at each path replaced by ``EXCUSED`` (where
    the path exists; a null or missing parent is left as it is)."""
    result = data
    for path in paths:
        steps = _steps(path)
        result = EXCUSED if not steps else _replace(result, steps)
    return result


def _replace(value: Any, steps: list[str]) -> Any:
    step, rest = steps[0], steps[1:]
    if step == _ANY_INDEX:
        if not isinstance(value, list):
            return value
        return [EXCUSED if not rest else _replace(item, rest) for item in value]
    if not isinstance(value, dict) or step not in value:
        return value
    copy = dict(value)
    copy[step] = EXCUSED if not rest else _replace(value[step], rest)
    return copy


def values_at(data: Any, path: str) -> list[Any]:
    """Every value at ``path`` (one per list element that ``@`` runs through)."""
    found = [data]
    for step in _steps(path):
        following: list[Any] = []
        for value in found:
            if step == _ANY_INDEX and isinstance(value, list):
                following.extend(value)
            elif isinstance(value, dict) and step in value:
                following.append(value[step])
        found = following
    return found


def divergent_paths(left: Any, right: Any, same: Any) -> list[str]:
    """The shallowest paths where ``left`` and ``right`` differ (``same`` is the JSON
    equality to use), list indices written as ``@``, without repeats."""
    found: list[str] = []
    _diverge(left, right, ["data"], same, found)
    return list(dict.fromkeys(found))


def _diverge(
    left: Any, right: Any, path: list[str], same: Any, found: list[str]
) -> None:
    if same(left, right):
        return
    if isinstance(left, dict) and isinstance(right, dict) and set(left) == set(right):
        for key in left:
            _diverge(left[key], right[key], [*path, key], same, found)
        if list(left) != list(right):
            found.append(".".join(path))
        return
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for a, b in zip(left, right, strict=True):
            _diverge(a, b, [*path, _ANY_INDEX], same, found)
        return
    found.append(".".join(path))
