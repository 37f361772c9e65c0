"""A disk cache for what tests derive from committed inputs alone.

Apollo's answers (a composition, a gateway's responses) and generated operations depend
only on their inputs and on the code or packages that compute them; recomputing them on
every run costs minutes (node start-up, graphql-core validation). `cached_json` keeps
each result under a key that hashes every one of those inputs, so a change to any of
them (an input, a script, `oracle/package-lock.json`, a generator's source) is a new
key and the result is computed afresh: a cached answer can never go stale silently.

The cache lives in `.test-cache/` at the repository root (ignored by git; a clean clone
rebuilds it on its first run). `TEST_CACHE_DIR` moves it, `TEST_CACHE=off` turns it off.
Entries are written atomically (a temporary file renamed into place), so the two xdist
workers, or two worktrees, can share one folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

__all__ = ["cache_dir", "cached_json", "read_cached", "source_digest", "write_cached"]

_REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def cache_dir() -> Path | None:
    """Where entries live, or None when the cache is off."""
    if os.environ.get("TEST_CACHE", "").lower() in {"off", "0", "no", "false"}:
        return None
    return Path(os.environ.get("TEST_CACHE_DIR") or _REPO / ".test-cache")


@cache
def source_digest(*paths: str) -> str:
    """One hash of the named files (relative to the repository root; a folder stands
    for every file under it but caches and node_modules)."""
    digest = hashlib.sha256()
    for relative in paths:
        path = _REPO / relative
        files = (
            sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix != ".pyc"
                and not {"__pycache__", "node_modules"} & set(p.parts)
            )
            if path.is_dir()
            else [path]
        )
        for file in files:
            digest.update(str(file.relative_to(_REPO)).encode())
            digest.update(b"\0")
            digest.update(file.read_bytes())
            digest.update(b"\0")
    return digest.hexdigest()


def cached_json(namespace: str, key: Iterable[str], compute: Callable[[], T]) -> T:
    """`compute()`'s result, read back from the cache when the same `key` (every input
    the result depends on, as strings) was computed before; it must be JSON."""
    found = read_cached(namespace, key)
    if found is not None:
        return found  # type: ignore[no-any-return]
    result = compute()
    write_cached(namespace, key, result)
    return result


def read_cached(namespace: str, key: Iterable[str]) -> Any:
    """The entry stored under `key`, or None when there is none (or the cache is off)."""
    entry = _entry(namespace, key)
    if entry is None:
        return None
    try:
        return json.loads(entry.read_text())
    except (OSError, ValueError):
        return None


def write_cached(namespace: str, key: Iterable[str], value: Any) -> None:
    """Stores `value` (JSON) under `key`, atomically."""
    entry = _entry(namespace, key)
    if entry is None:
        return
    entry.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=entry.parent, suffix=".tmp", delete=False
    ) as handle:
        json.dump(value, handle)
    os.replace(handle.name, entry)


def _entry(namespace: str, key: Iterable[str]) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    digest = hashlib.sha256()
    for part in key:
        digest.update(hashlib.sha256(part.encode()).digest())
    return folder / namespace / f"{digest.hexdigest()}.json"
