"""The entity cache: subgraph entities and root query fetches, kept per entity.

Apollo Router's `preview_entity_cache`
(https://www.apollographql.com/docs/router/configuration/entity-caching). An entity
fetch looks up each representation (`router.cache.entity_keys` makes the keys) and
sends the subgraph only those not held; a root query fetch is held whole, per
operation and variables. What a subgraph answers is kept for its `Cache-Control`
max-age, else the configured TTL (per type, then per subgraph, then `all`); `no-store`
answers, and answers with errors, are not kept. `private` answers are kept under the
user's private id (a JWT claim or a header, hashed) and never without one; a fetch once
seen private is looked up under the private id from then on (Apollo's
`private_queries`), so two users never read each other's entries.

Entries live in this process's memory (an LRU of `in_memory.limit` entries) or, with
`subgraph.all.redis`, in Redis only, where every router process and the invalidation
endpoint of any of them see the same entries. Each value carries its expiry, so a
cached part's remaining time counts in the client's `Cache-Control`
(`router.cache.cache_control`).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from router.cache.cache_control import (
    CacheControl,
    ClientCacheControl,
    parse_cache_control,
)
from router.cache.entity_keys import FORMAT, ROOT, EntityKeys, digest, subgraph_part
from router.config.entity_cache import EntityCacheConfig, ResolvedSubgraphCache
from router.execution.fetch_cache import CachedEntities, CachedRoot
from router.store.memory import MemoryStore
from router.store.redis import RedisStore, glob_escape
from router.store.store import StoreUnavailable, UnavailableLog
from router.telemetry.active import observe_cache

if TYPE_CHECKING:
    from planner.query_plan import Fetch
    from planner.supergraph import Supergraph
    from router.plugins.context import RequestContext
    from router.telemetry.metrics import RouterMetrics

__all__ = ["EntityCache", "EntityCacheScope", "Invalidation"]

logger = logging.getLogger(__name__)

CACHE_LABEL = "entity"
# Fetches (operation and variables) remembered as answering private data.
MAX_PRIVATE_FETCHES = 100_000
ROOT_LABEL = "root"


@dataclass(frozen=True, slots=True)
class Invalidation:
    """One item of an invalidation request: a whole subgraph, one of its types, or
    one entity of a type (`key`: its key fields' values)."""

    subgraph: str
    type: str | None = None
    key: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class _Pending:
    """What storing a lookup's answers needs: the fetch's hash, and each
    representation's type, entity hash and own hash (the fetch's and its fields')."""

    fetch_hash: str
    types: list[str]
    entities: list[str]
    items: list[str]


class EntityCache:
    """One loaded config's entity cache (its storage outlives reloads: `inherit`)."""

    def __init__(self, config: EntityCacheConfig, supergraph: Supergraph) -> None:
        self.config = config
        self._settings = {
            graph.name: config.for_subgraph(graph.name)
            for graph in supergraph.graphs.values()
        }
        self.keys = EntityKeys(supergraph)
        self._schema_hash = supergraph.schema_hash
        query_type = supergraph.schema.query_type
        self.root_type = query_type.name if query_type is not None else "Query"
        redis = config.redis
        self.redis = None if redis is None else RedisStore(redis, "entity")
        self.memory = (
            MemoryStore(config.in_memory.limit) if self.redis is None else None
        )
        self._private_fetches: set[str] = set()
        # Set when the generation serves with Prometheus on: the size gauge.
        self.metrics: RouterMetrics | None = None
        self._log = UnavailableLog(
            logger, "Redis entity cache unavailable (fetching from subgraphs)"
        )

    def settings(self, subgraph: str) -> ResolvedSubgraphCache | None:
        """`subgraph`'s settings when its answers are cached."""
        found = self._settings.get(subgraph)
        return found if found is not None and found.enabled else None

    def scope(self, context: RequestContext | None) -> EntityCacheScope:
        return EntityCacheScope(self, context)

    # Storage

    async def read(self, keys: list[str]) -> list[str | None]:
        if self.memory is not None:
            return [self.memory.lookup(key) for key in keys]
        assert self.redis is not None
        try:
            return await self.redis.get_many(keys)
        except StoreUnavailable as exc:
            self._log(exc)
            return [None] * len(keys)

    async def write(self, entries: list[tuple[str, str, float]]) -> None:
        if not entries:
            return
        if self.memory is not None:
            for key, value, _ in entries:
                self.memory.store(key, value)
            self._report_size()
            return
        assert self.redis is not None
        try:
            await self.redis.set_many(entries)
        except StoreUnavailable as exc:
            self._log(exc)

    def forget(self, key: str) -> None:
        """Drops an expired in-memory entry (Redis expires its own)."""
        if self.memory is not None:
            self.memory.delete(key)
            self._report_size()

    def _report_size(self) -> None:
        if self.metrics is not None and self.memory is not None:
            self.metrics.cache_size.labels(CACHE_LABEL).set(self.memory.size_bytes)

    def fetch_hash(self, fetch: Fetch, variables: Mapping[str, Any]) -> str:
        """The schema, the fetch's operation without its name (planners name fetches
        after the client's operation, `Stock__inventory__1`: two client operations
        asking a subgraph the same share its entries) and the variables it sends."""
        return digest(
            [
                FORMAT,
                self._schema_hash,
                _unnamed(fetch.operation, fetch.operation_name),
                {k: v for k, v in variables.items() if k != "representations"},
            ]
        )

    def is_private(self, fetch_hash: str) -> bool:
        return fetch_hash in self._private_fetches

    def learn_private(self, fetch_hash: str) -> None:
        if len(self._private_fetches) >= MAX_PRIVATE_FETCHES:
            # Forgetting is safe: a forgotten fetch is looked up publicly, misses
            # (private answers are never kept publicly) and is learnt again.
            self._private_fetches.clear()
        self._private_fetches.add(fetch_hash)

    # Invalidation

    def may_invalidate(self, subgraph: str, shared_key: str) -> bool:
        """Whether `shared_key` is the invalidation secret of `subgraph` (its own, or
        `all`'s when it has none)."""
        resolved = self._settings.get(subgraph) or self.config.for_subgraph(subgraph)
        expected = resolved.invalidation_key
        return expected is not None and hmac.compare_digest(
            expected.encode(), shared_key.encode()
        )

    async def invalidate(self, items: Sequence[Invalidation]) -> int:
        """Deletes the entries `items` name; returns how many there were."""
        count = 0
        for item in items:
            prefix = subgraph_part(item.subgraph) + ":"
            if item.type is not None:
                prefix += item.type + ":"
                if item.key is not None:
                    prefix += self.keys.key_hash(item.key) + ":"
            if self.memory is not None:
                count += self.memory.delete_prefix(prefix)
                self._report_size()
            else:
                assert self.redis is not None
                scan = (
                    1000
                    if self.config.invalidation is None
                    else (self.config.invalidation.scan_count)
                )
                count += await self.redis.delete_matching(
                    glob_escape(prefix) + "*", scan
                )
        return count

    # Lifecycle

    async def startup(self) -> None:
        redis = self.config.redis
        if self.redis is not None and redis is not None and redis.required_to_start:
            await self.redis.ping()

    def inherit(self, previous: EntityCache) -> None:
        """Takes over the previous generation's in-memory entries (keys hold the
        schema hash: another schema's entries are never read) and what it learnt of
        private fetches."""
        if self.memory is not None and previous.memory is not None:
            self.memory.adopt(previous.memory)
        self._private_fetches |= previous._private_fetches

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.close()


class EntityCacheScope:
    """One request's view of the cache (`router.execution.fetch_cache.FetchCache`),
    and the client `Cache-Control` of what the request was answered from."""

    __slots__ = ("_cache", "_context", "_private_ids", "client")

    def __init__(self, cache: EntityCache, context: RequestContext | None) -> None:
        self._cache = cache
        self._context = context
        self._private_ids: dict[str, str | None] = {}
        self.client = ClientCacheControl()

    def private_id(self, subgraph: str, settings: ResolvedSubgraphCache) -> str | None:
        """The hashed private id of this request for `subgraph` (None: none)."""
        if subgraph in self._private_ids:
            return self._private_ids[subgraph]
        value: Any = None
        context = self._context
        if context is not None:
            if settings.private_id is not None and context.jwt_claims is not None:
                value = context.jwt_claims.get(settings.private_id)
            elif settings.private_id_header is not None:
                value = context.headers.get(settings.private_id_header)
        hashed = (
            None
            if value is None or value == ""
            else hashlib.sha256(orjson.dumps(value)).hexdigest()[:32]
        )
        self._private_ids[subgraph] = hashed
        return hashed

    def _key(
        self,
        subgraph: str,
        typename: str,
        entity: str,
        fetch_hash: str,
        pid: str | None,
    ) -> str:
        key = f"{subgraph_part(subgraph)}:{typename}:{entity}:{fetch_hash}"
        return key if pid is None else f"{key}:{pid}"

    async def _read(self, keys: list[str]) -> list[tuple[Any, float, bool] | None]:
        """Each key's (value, seconds left, private), or None."""
        now = time.time()
        found: list[tuple[Any, float, bool] | None] = []
        for key, text in zip(keys, await self._cache.read(keys), strict=True):
            if text is None:
                found.append(None)
                continue
            try:
                entry = orjson.loads(text)
                left = float(entry["x"]) - now
                value = entry["d"]
                private = bool(entry.get("p"))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                found.append(None)
                continue
            if left <= 0:
                self._cache.forget(key)
                found.append(None)
                continue
            found.append((value, left, private))
        return found

    def _lookup_pid(
        self, subgraph: str, settings: ResolvedSubgraphCache, fetch_hash: str
    ) -> tuple[bool, str | None]:
        """(may look up, private id to look up under)."""
        if not self._cache.is_private(fetch_hash):
            return True, None
        pid = self.private_id(subgraph, settings)
        return pid is not None, pid

    async def entities(
        self,
        fetch: Fetch,
        representations: Sequence[Mapping[str, Any]],
        variables: Mapping[str, Any],
    ) -> CachedEntities | None:
        subgraph = fetch.service_name
        settings = self._cache.settings(subgraph)
        if settings is None:
            return None
        fetch_hash = self._cache.fetch_hash(fetch, variables)
        keys_of = self._cache.keys
        types = [str(item.get("__typename")) for item in representations]
        pending = _Pending(
            fetch_hash,
            types,
            [
                keys_of.entity_hash(subgraph, typename, item)
                for typename, item in zip(types, representations, strict=True)
            ],
            # The whole representation (with its @requires fields) and the fetch.
            [digest([fetch_hash, item]) for item in representations],
        )
        may, pid = self._lookup_pid(subgraph, settings, fetch_hash)
        if may:
            found = await self._read(
                [
                    self._key(subgraph, typename, entity, item, pid)
                    for typename, entity, item in zip(
                        types, pending.entities, pending.items, strict=True
                    )
                ]
            )
        else:
            found = [None] * len(representations)
        hits: list[Any] = [None] * len(representations)
        missing: list[int] = []
        counts: dict[tuple[bool, str], int] = {}
        for index, entry in enumerate(found):
            slot = (entry is not None, types[index])
            counts[slot] = counts.get(slot, 0) + 1
            if entry is None:
                missing.append(index)
                continue
            value, left, private = entry
            hits[index] = value
            self.client.add(int(left), private)
        for (hit, typename), count in counts.items():
            observe_cache(CACHE_LABEL, hit, subgraph, typename, count)
        return CachedEntities(hits, missing, pending)

    async def keep_entities(
        self,
        fetch: Fetch,
        lookup: CachedEntities,
        headers: Mapping[str, str],
        body: Mapping[str, Any],
    ) -> None:
        subgraph = fetch.service_name
        storable = self._storable(subgraph, headers)
        if storable is None:
            return
        settings, control = storable
        pending: _Pending = lookup.state
        data = body.get("data")
        entities = data.get("_entities") if type(data) is dict else None
        usable = type(entities) is list and len(entities) == len(lookup.missing)
        failed, unplaced = _entity_errors(body.get("errors"))
        pid = None
        if control.private:
            self._cache.learn_private(pending.fetch_hash)
            pid = self.private_id(subgraph, settings)
        now = time.time()
        shortest: float | None = None
        entries: list[tuple[str, str, float]] = []
        for sent, index in enumerate(lookup.missing):
            typename = pending.types[index]
            ttl = _ttl(control, settings, typename)
            if ttl is None:
                continue
            shortest = ttl if shortest is None else min(shortest, ttl)
            if (
                not usable
                or unplaced
                or sent in failed
                or (control.private and pid is None)
            ):
                continue
            assert entities is not None
            entity = entities[sent]
            if type(entity) is not dict:
                continue
            key = self._key(
                subgraph, typename, pending.entities[index], pending.items[index], pid
            )
            value = {"x": now + ttl, "p": control.private, "d": entity}
            entries.append((key, orjson.dumps(value).decode(), ttl))
        self.client.add(None if shortest is None else int(shortest), control.private)
        await self._cache.write(entries)

    async def root(
        self, fetch: Fetch, variables: Mapping[str, Any]
    ) -> CachedRoot | None:
        subgraph = fetch.service_name
        settings = self._cache.settings(subgraph)
        if settings is None:
            return None
        fetch_hash = self._cache.fetch_hash(fetch, variables)
        may, pid = self._lookup_pid(subgraph, settings, fetch_hash)
        key = self._key(subgraph, self._cache.root_type, ROOT, fetch_hash, pid)
        found = (await self._read([key]))[0] if may else None
        observe_cache(CACHE_LABEL, found is not None, subgraph, ROOT_LABEL)
        if found is not None and type(found[0]) is dict:
            value, left, private = found
            self.client.add(int(left), private)
            return CachedRoot(value, fetch_hash)
        return CachedRoot(None, fetch_hash)

    async def keep_root(
        self,
        fetch: Fetch,
        lookup: CachedRoot,
        headers: Mapping[str, str],
        body: Mapping[str, Any],
    ) -> None:
        subgraph = fetch.service_name
        storable = self._storable(subgraph, headers)
        if storable is None:
            return
        settings, control = storable
        fetch_hash: str = lookup.state
        root_type = self._cache.root_type
        ttl = _ttl(control, settings, root_type)
        self.client.add(None if ttl is None else int(ttl), control.private)
        data = body.get("data")
        if ttl is None or type(data) is not dict or body.get("errors"):
            return
        pid = None
        if control.private:
            self._cache.learn_private(fetch_hash)
            pid = self.private_id(subgraph, settings)
            if pid is None:
                return
        key = self._key(subgraph, root_type, ROOT, fetch_hash, pid)
        value = {"x": time.time() + ttl, "p": control.private, "d": data}
        await self._cache.write([(key, orjson.dumps(value).decode(), ttl)])

    def _storable(
        self, subgraph: str, headers: Mapping[str, str]
    ) -> tuple[ResolvedSubgraphCache, CacheControl] | None:
        """The subgraph's settings and its answer's `Cache-Control`, or None (and the
        client's answer marked `no-store`) when nothing of it may be kept."""
        settings = self._cache.settings(subgraph)
        control = parse_cache_control(headers)
        if settings is None or control.no_store:
            self.client.no_store()
            return None
        return settings, control

    def answered(self, subgraph: str, headers: Mapping[str, str]) -> None:
        control = parse_cache_control(headers)
        if control.no_store:
            self.client.no_store()
        else:
            self.client.add(control.max_age, control.private)


def _ttl(
    control: CacheControl, settings: ResolvedSubgraphCache, typename: str
) -> float | None:
    """The subgraph's `max-age`, else the type's configured TTL, else the subgraph's."""
    if control.max_age is not None:
        return control.max_age
    return settings.type_ttls.get(typename, settings.ttl)


def _unnamed(operation: str, name: str | None) -> str:
    """`operation` with its name left out (`query Op__products__0{...}` gives
    `query{...}`)."""
    if name:
        for head in (f"query {name}", f"mutation {name}", f"subscription {name}"):
            if operation.startswith(head):
                rest = operation[len(head) :]
                if not rest[:1].isalnum() and rest[:1] != "_":
                    return head.partition(" ")[0] + rest
    return operation


def _entity_errors(errors: Any) -> tuple[set[int], bool]:
    """The `_entities` indexes errors are about, and whether any error is about no
    entity in particular (then nothing of the answer is kept)."""
    failed: set[int] = set()
    unplaced = False
    for error in errors if type(errors) is list else ():
        path = error.get("path") if type(error) is dict else None
        if (
            type(path) is list
            and len(path) >= 2
            and path[0] == "_entities"
            and type(path[1]) is int
        ):
            failed.add(path[1])
        else:
            unplaced = True
    return failed, unplaced
