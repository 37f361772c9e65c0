"""Deduplication: identical work in flight at once is done once and its result shared.

Used twice: for subgraph requests (`deduplicate_query`, `router.traffic`) and for
client operations (`traffic_shaping.router.deduplicate_requests`,
`router.plugins.deduplication`). The first caller of a key (the leader) does the work;
callers with the same key that arrive while it runs wait for its result. A waiter that
is cancelled leaves alone; if the leader is cancelled or fails with an exception, each
waiter does the work itself, so no caller ever inherits another's deadline or bug.

Results must not be shared mutable trees: `publish` turns the leader's result into
what the waiters get, once, before the leader's caller can touch it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["NOT_VARYING_HEADERS", "InFlight"]

V = TypeVar("V")

# Headers that are never part of a deduplication key: the correlation id and the
# trace context, which telemetry writes per request (every propagator's names). The
# subgraph sees the leader's; each client still gets its own on its response.
NOT_VARYING_HEADERS = frozenset(
    {
        "x-request-id",
        "traceparent",
        "tracestate",
        "baggage",
        "b3",
        "x-b3-traceid",
        "x-b3-spanid",
        "x-b3-parentspanid",
        "x-b3-sampled",
        "x-b3-flags",
        "uber-trace-id",
    }
)


class _Alone:
    """What waiters get when the leader has no result for them."""


_ALONE = _Alone()


class InFlight(Generic[V]):
    """The work in flight by key, and who waits for it."""

    __slots__ = ("_running",)

    def __init__(self) -> None:
        self._running: dict[Hashable, list[asyncio.Future[V | _Alone]]] = {}

    def __len__(self) -> int:
        return len(self._running)

    async def run(
        self,
        key: Hashable,
        work: Callable[[], Awaitable[V]],
        publish: Callable[[V], V] | None = None,
        on_join: Callable[[], None] | None = None,
    ) -> tuple[V, bool]:
        """`work()`'s result, and whether it came from another caller's work.
        `on_join()` runs when this caller starts waiting for another's."""
        waiting = self._running.get(key)
        if waiting is None:
            return await self.lead(key, work(), publish), False
        if on_join is not None:
            on_join()
        shared = await self.follow(waiting)
        if shared is not None:
            return shared, True
        return await work(), False

    # `run` in two halves, for a hot path that builds no closure when it leads:
    # `waiters(key)` None -> `lead(key, work)`, else `follow(waiters)` (None: the
    # leader left, do the work yourself).

    def waiters(self, key: Hashable) -> list[asyncio.Future[V | _Alone]] | None:
        return self._running.get(key)

    async def lead(
        self,
        key: Hashable,
        work: Awaitable[V],
        publish: Callable[[V], V] | None = None,
    ) -> V:
        waiting: list[asyncio.Future[V | _Alone]] = []
        self._running[key] = waiting
        try:
            value = await work
        except BaseException:
            self._release(key, waiting, _ALONE)
            raise
        if waiting:
            self._release(key, waiting, value if publish is None else publish(value))
        else:
            del self._running[key]
        return value

    async def follow(self, waiting: list[asyncio.Future[V | _Alone]]) -> V | None:
        future: asyncio.Future[V | _Alone] = asyncio.get_running_loop().create_future()
        waiting.append(future)
        outcome = await future
        return None if isinstance(outcome, _Alone) else outcome

    def _release(
        self,
        key: Hashable,
        waiting: list[asyncio.Future[V | _Alone]],
        outcome: V | _Alone,
    ) -> None:
        if self._running.get(key) is waiting:
            del self._running[key]
        for future in waiting:
            if not future.done():
                future.set_result(outcome)
