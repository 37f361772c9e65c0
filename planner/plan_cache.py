"""An LRU cache of query plans, so a repeated operation is planned once.

A plan depends on the supergraph, the operation document, which operation of it runs and
the progressive-override labels that are on (QUERY_PLANNING.md §2.11), so those four make
the key. Documents are compared after parsing and re-printing, so whitespace, commas and
comments do not make new entries.

Planning failures (``QueryPlanningError``) are cached too, as Apollo Router caches
them (its ``CachingQueryPlanner`` stores ``Err`` results and only skips temporary errors
such as a cancelled planning task): planning is deterministic, so the same inputs fail the
same way and a client repeating a bad operation must not cost a planning run each time.
Other exceptions are bugs or interruptions and are never cached.

Each entry keeps the document it was planned from and how often it was used, so that
after a schema change the router can re-plan the most-used operations first (Apollo
Router's cache warm-up, `hottest`).

https://www.apollographql.com/docs/graphos/routing/performance/caching/in-memory
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from graphql import DocumentNode, parse, print_ast

from planner.planning.errors import QueryPlanningError
from planner.query_plan import QueryPlan

__all__ = ["PlanCache", "PlanCacheKey", "PlannedOperation", "document_hash"]


def document_hash(document: DocumentNode | str) -> str:
    """SHA-256 of the document as graphql-core prints it: layout and comments ignored."""
    parsed = (
        parse(document, no_location=True) if isinstance(document, str) else document
    )
    return hashlib.sha256(print_ast(parsed).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class PlanCacheKey:
    """What a plan depends on. Build it with ``PlanCacheKey.of``."""

    schema_hash: str
    document_hash: str
    operation_name: str | None
    override_labels: frozenset[str]

    @classmethod
    def of(
        cls,
        schema_hash: str,
        document: DocumentNode | str,
        operation_name: str | None = None,
        override_labels: Iterable[str] = frozenset(),
    ) -> PlanCacheKey:
        return cls(
            schema_hash,
            document_hash(document),
            operation_name,
            frozenset(override_labels),
        )


@dataclass(frozen=True, slots=True)
class PlannedOperation:
    """A cached operation as warm-up needs it: its key, the document that was planned,
    and how many lookups it answered."""

    key: PlanCacheKey
    document: DocumentNode
    uses: int


@dataclass(slots=True)
class _Entry:
    result: QueryPlan | QueryPlanningError
    document: DocumentNode | None
    uses: int = 1


class PlanCache:
    """Least-recently-used plans (and planning errors), at most ``max_entries``.

    A lock guards the table, so router threads that plan off the event loop may share
    one cache; two threads missing the same key at once both plan, and the later result
    wins, which is harmless because planning is deterministic.
    """

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self.max_entries = max_entries
        self.hits = 0
        self.misses = 0
        self.evictions = 0
        self._entries: OrderedDict[PlanCacheKey, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get_or_plan(
        self,
        key: PlanCacheKey,
        compute: Callable[[], QueryPlan],
        document: DocumentNode | None = None,
    ) -> QueryPlan:
        """The cached plan for ``key``, or ``compute()``'s, stored for next time with
        the ``document`` it was planned from.

        Raises the ``QueryPlanningError`` that ``compute`` raised for this key, now or on
        an earlier call.
        """
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                entry.uses += 1
                self.hits += 1
            else:
                self.misses += 1
        if entry is None:
            try:
                plan = compute()
            except QueryPlanningError as error:
                self._store(key, _Entry(error, document))
                raise
            self._store(key, _Entry(plan, document))
            return plan
        if isinstance(entry.result, QueryPlanningError):
            # A fresh traceback each time, not one that grows with every re-raise.
            raise entry.result.with_traceback(None)
        return entry.result

    def cached(self, key: PlanCacheKey) -> QueryPlan | None:
        """The plan cached for ``key``, counted as a hit as ``get_or_plan`` counts it;
        None when there is none or the entry is a planning error (``get_or_plan`` then
        raises it, or plans): the hot path of a repeated operation, in one lookup."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or isinstance(entry.result, QueryPlanningError):
                return None
            self._entries.move_to_end(key)
            entry.uses += 1
            self.hits += 1
            return entry.result

    def put(
        self, key: PlanCacheKey, plan: QueryPlan, document: DocumentNode | None = None
    ) -> None:
        """Stores a plan made elsewhere (another router process, through Redis)."""
        self._store(key, _Entry(plan, document))

    def hottest(self, count: int) -> list[PlannedOperation]:
        """Up to ``count`` planned operations (not errors), most used first, the most
        recent first among equals."""
        with self._lock:
            entries = [
                PlannedOperation(key, entry.document, entry.uses)
                for key, entry in reversed(self._entries.items())
                if entry.document is not None
                and not isinstance(entry.result, QueryPlanningError)
            ]
        # sorted() is stable: equal counts keep their most-recent-first order.
        return sorted(entries, key=lambda operation: -operation.uses)[:count]

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def clear(self) -> None:
        """Drops every entry (for a new supergraph); the counters keep counting."""
        with self._lock:
            self._entries.clear()

    def _store(self, key: PlanCacheKey, entry: _Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
                self.evictions += 1
