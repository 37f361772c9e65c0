"""What the executor asks of a cache of subgraph answers (`router.cache.entity_cache`).

The executor stays ignorant of keys, TTLs and storage: before an entity fetch it asks
which representations are cached, sends only the others, and hands the answer back
with the response's headers; a root query fetch is answered whole or not at all.
`answered` reports a subgraph response the cache had no part in, so the client's
`Cache-Control` still counts it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from planner.query_plan import Fetch

__all__ = ["CachedEntities", "CachedRoot", "FetchCache"]


@dataclass(slots=True)
class CachedEntities:
    """One entity fetch's lookup: `hits[i]` is representation i's cached entity (None:
    not cached), `missing` the indexes still to fetch, in order; `state` is the
    cache's own."""

    hits: list[Any]
    missing: list[int]
    state: Any


@dataclass(slots=True)
class CachedRoot:
    """One root fetch's lookup: the cached `data`, or None and the cache's `state`."""

    data: dict[str, Any] | None
    state: Any


class FetchCache(Protocol):
    """One request's view of the cache (it knows the request's private id)."""

    async def entities(
        self,
        fetch: Fetch,
        representations: Sequence[Mapping[str, Any]],
        variables: Mapping[str, Any],
    ) -> CachedEntities | None:
        """The lookup of `representations` (None: the subgraph is not cached)."""
        ...

    async def keep_entities(
        self,
        fetch: Fetch,
        lookup: CachedEntities,
        headers: Mapping[str, str],
        body: Mapping[str, Any],
    ) -> None:
        """Stores what the subgraph answered for `lookup.missing` (`body` as it came,
        `_entities` indexed like `missing`)."""
        ...

    async def root(
        self, fetch: Fetch, variables: Mapping[str, Any]
    ) -> CachedRoot | None:
        """The lookup of a root query fetch (None: not cached)."""
        ...

    async def keep_root(
        self,
        fetch: Fetch,
        lookup: CachedRoot,
        headers: Mapping[str, str],
        body: Mapping[str, Any],
    ) -> None: ...

    def answered(self, subgraph: str, headers: Mapping[str, str]) -> None:
        """A subgraph response used without the cache."""
        ...
