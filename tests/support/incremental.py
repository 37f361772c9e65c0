"""What a client holds after an incremental (``@defer``) answer: the payloads of a
``multipart/mixed;deferSpec=20220824`` response merged the way a client merges them."""

from __future__ import annotations

from typing import Any

__all__ = ["merge_parts"]


def merge_parts(payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """What a client holds after applying every payload: the first one's data with
    each item's data merged at its path, and every error. Each item's path must lead
    to an object the client already has."""
    first, *later = payloads
    data = first.get("data")
    errors = list(first.get("errors", ()))
    for payload in later:
        for item in payload.get("incremental", ()):
            errors += item.get("errors", ())
            if item["data"] is None:
                continue
            target: Any = data
            for key in item["path"]:
                target = target[key]
            _deep_merge(target, item["data"])
    return {"data": data, "errors": errors}


def _deep_merge(target: dict[str, Any], source: dict[str, Any]) -> None:
    for key, value in source.items():
        old = target.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            _deep_merge(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            for mine, theirs in zip(old, value, strict=True):
                if isinstance(mine, dict) and isinstance(theirs, dict):
                    _deep_merge(mine, theirs)
        else:
            target[key] = value
