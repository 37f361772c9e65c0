"""Recording operation usage: counted per request in memory, flushed to a backend.

A request adds one to (operation, client name, client version) in a dict; every
`flush_interval` the counts go to the backend under the current hour: the process's own
memory (`MemoryUsage`, rewritten to `telemetry.usage.path` for `router usage export`)
or Redis (`RedisUsage`, shared by every router: HINCRBY per hour, so counts from many
processes add up). An operation is its signature (SHA-256 of the document normalised
as the safelist compares it, router.cache.normalise) and its name; its schema
coordinates are computed once per document (router.usage.coordinates). Clients name
themselves with Apollo's `apollographql-client-name` and `-version` headers.

Redis failing is logged at most once a minute; counts wait for the next flush.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import time
from collections import Counter
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, OperationDefinitionNode

from router.cache.normalise import normalised_body
from router.config.usage import UsageConfig
from router.store import RedisStore, StoreUnavailable, UnavailableLog
from router.usage.coordinates import operation_coordinates
from router.usage.report import UsageReport, build_report

__all__ = [
    "CLIENT_NAME_HEADER",
    "CLIENT_VERSION_HEADER",
    "MemoryUsage",
    "RedisUsage",
    "UsageRecorder",
    "usage_backend",
]

logger = logging.getLogger(__name__)

CLIENT_NAME_HEADER = "apollographql-client-name"
CLIENT_VERSION_HEADER = "apollographql-client-version"
_HOUR = 3600

Counts = dict[tuple[str, str, str], int]


class MemoryUsage:
    """Hourly counts in this process, kept for `window`; written to `path` if set."""

    def __init__(self, window: float, path: Path | None) -> None:
        self.window = window
        self.path = path
        self.operations: dict[str, dict[str, Any]] = {}
        self.hours: dict[int, Counter[tuple[str, str, str]]] = {}

    async def write(
        self, hour: int, counts: Counts, operations: dict[str, dict[str, Any]]
    ) -> None:
        self.operations.update(operations)
        self.hours.setdefault(hour, Counter()).update(counts)
        oldest = hour - int(self.window // _HOUR)
        for old in [h for h in self.hours if h < oldest]:
            del self.hours[old]
        if self.path is not None:
            text = json.dumps(self.report_now().to_json(), indent=2)
            await asyncio.to_thread(_write_atomically, self.path, text)

    def report_now(self) -> UsageReport:
        total: Counter[tuple[str, str, str]] = Counter()
        for counts in self.hours.values():
            total.update(counts)
        return build_report(self.operations, dict(total), self.window)

    async def report(self, window: float) -> UsageReport:
        return self.report_now()

    async def close(self) -> None:
        return None


class RedisUsage:
    """Hourly counts in Redis: `<namespace>:usage:h:<hour>` hashes of
    `["<op id>", "<client>", "<version>"]` -> count, and `<namespace>:usage:ops`,
    op id -> `{signature, name, coordinates}`; both expire `window` after their last
    write."""

    def __init__(self, store: RedisStore, window: float) -> None:
        self.store = store
        self.window = window

    async def write(
        self, hour: int, counts: Counts, operations: dict[str, dict[str, Any]]
    ) -> None:
        ttl = self.window + _HOUR
        if operations:
            await self.store.set_in_hash(
                "ops", {k: json.dumps(v) for k, v in operations.items()}, ttl
            )
        await self.store.add_to_hash(
            f"h:{hour}", {json.dumps(list(k)): n for k, n in counts.items()}, ttl
        )

    async def report(self, window: float) -> UsageReport:
        now = int(time.time()) // _HOUR
        total: Counter[tuple[str, str, str]] = Counter()
        for hour in range(now - int(window // _HOUR), now + 1):
            for field, count in (await self.store.get_hash(f"h:{hour}")).items():
                op_id, name, version = json.loads(field)
                total[(op_id, name, version)] += int(count)
        operations = {
            op_id: json.loads(meta)
            for op_id, meta in (await self.store.get_hash("ops")).items()
        }
        return build_report(operations, dict(total), window)

    async def close(self) -> None:
        await self.store.close()


def usage_backend(config: UsageConfig, base_dir: Path) -> MemoryUsage | RedisUsage:
    """The backend `config` names (paths relative to router.yaml's folder)."""
    if config.store == "redis" and config.redis is not None:
        return RedisUsage(RedisStore(config.redis, "usage"), config.window)
    path = None if config.path is None else base_dir / config.path
    return MemoryUsage(config.window, path)


class UsageRecorder:
    """Counts operations per client for one generation; `startup` starts the flushes,
    `shutdown` flushes what is left."""

    def __init__(
        self,
        config: UsageConfig,
        schema: GraphQLSchema,
        backend: MemoryUsage | RedisUsage,
    ) -> None:
        self._config = config
        self._schema = schema
        self.backend = backend
        # op id -> {signature, name, coordinates}: written with every flush that
        # counts the operation, so its Redis entry lives as long as its counts.
        self._known: dict[str, dict[str, Any]] = {}
        self._pending: Counter[tuple[str, str, str]] = Counter()
        self._task: asyncio.Task[None] | None = None
        self._log = UnavailableLog(logger, "Redis usage store unavailable")

    def record(
        self,
        derived: dict[Any, Any],
        document: Any,
        operation: OperationDefinitionNode,
        headers: dict[str, str],
    ) -> None:
        """Counts one request of `operation` (of the validated `document`, whose
        per-document cache is `derived`)."""
        name = operation.name.value if operation.name else None
        cache_key = ("usage", name)
        meta: dict[str, Any] | None = derived.get(cache_key)
        if meta is None:
            body = normalised_body(document)
            meta = {
                "signature": hashlib.sha256(body.encode()).hexdigest(),
                "name": name,
                "coordinates": sorted(
                    operation_coordinates(self._schema, document, operation)
                ),
            }
            derived[cache_key] = meta
        op_id = f"{meta['signature']}/{name or ''}"
        if op_id not in self._known:
            if len(self._known) >= self._config.max_operations:
                return
            self._known[op_id] = meta
        client = headers.get(CLIENT_NAME_HEADER, "")
        version = headers.get(CLIENT_VERSION_HEADER, "")
        self._pending[(op_id, client, version)] += 1

    def inherit(self, previous: UsageRecorder) -> None:
        """A reload keeps the in-memory totals (the same `MemoryUsage`)."""
        if isinstance(self.backend, MemoryUsage) and isinstance(
            previous.backend, MemoryUsage
        ):
            self.backend = previous.backend

    async def startup(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._flush_loop())

    async def shutdown(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
        if not isinstance(self.backend, MemoryUsage):
            await self.backend.close()

    async def flush(self) -> None:
        if not self._pending:
            return
        counts, self._pending = self._pending, Counter()
        operations = {op_id: self._known[op_id] for op_id, _, _ in counts}
        try:
            await self.backend.write(
                int(time.time()) // _HOUR, dict(counts), operations
            )
        except StoreUnavailable as exc:
            self._log(exc)
            self._pending.update(counts)  # tried again at the next flush
        except OSError as exc:
            self._log(exc)

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(self._config.flush_interval)
            try:
                await self.flush()
            except Exception:
                logger.exception("flushing operation usage failed")


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)
