"""One client's end of a subgraph subscription: a bounded queue of events, then an end.

The upstream (`router.subscriptions.upstream`) puts each subgraph event in every
listener's queue without waiting: a slow client must not hold the others back. When the
queue is full, `queue_full` decides: `drop_oldest` loses the oldest event, `close` ends
the listener with SUBSCRIPTION_QUEUE_FULL. The end always fits: it takes the place of
the oldest event if it has to. With an idle timeout (`subscription.idle_timeout`), a
subscription that gets no event for that long ends with SUBSCRIPTION_IDLE_TIMEOUT.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Literal

from router.subscriptions.codes import (
    SUBSCRIPTION_IDLE_TIMEOUT,
    SUBSCRIPTION_QUEUE_FULL,
)

__all__ = ["End", "Listener"]


@dataclass(frozen=True, slots=True)
class End:
    """The subscription is over: completed by the subgraph (no errors), or ended by
    `errors` (already client-shaped, each with a code)."""

    errors: tuple[dict[str, Any], ...] = ()


_Item = dict[str, Any] | End


class Listener:
    """Events of one subscription for one client, in order, then one `End`."""

    def __init__(
        self,
        capacity: int,
        on_full: Literal["drop_oldest", "close"] = "drop_oldest",
        idle_timeout: float | None = None,
    ) -> None:
        self._queue: asyncio.Queue[_Item] = asyncio.Queue(capacity)
        self._on_full = on_full
        self._idle_timeout = idle_timeout
        self.ended = False
        self.dropped = 0

    def deliver(self, event: dict[str, Any]) -> bool:
        """Queues a subgraph event (`{"data", "errors"}`); False once this listener is
        over (ended, or just closed for falling behind)."""
        if self.ended:
            return False
        if self._queue.full():
            if self._on_full == "close":
                self.end(
                    (
                        {
                            "message": "The client did not read events fast enough: "
                            "its queue is full.",
                            "extensions": {"code": SUBSCRIPTION_QUEUE_FULL},
                        },
                    )
                )
                return False
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(event)
        return True

    def end(self, errors: tuple[dict[str, Any], ...] = ()) -> None:
        """Queues the end (once); the events before it are still read."""
        if self.ended:
            return
        self.ended = True
        if self._queue.full():
            self._queue.get_nowait()
            self.dropped += 1
        self._queue.put_nowait(End(errors))

    async def events(self) -> AsyncIterator[dict[str, Any] | End]:
        """Each event as it comes, the `End` last; with an idle timeout, an `End` coded
        SUBSCRIPTION_IDLE_TIMEOUT when no event came for that long."""
        while True:
            try:
                item = await asyncio.wait_for(self._queue.get(), self._idle_timeout)
            except TimeoutError:
                self.ended = True
                yield End(
                    (
                        {
                            "message": "No event came for "
                            f"{self._idle_timeout:g} s: the subscription is closed.",
                            "extensions": {"code": SUBSCRIPTION_IDLE_TIMEOUT},
                        },
                    )
                )
                return
            yield item
            if isinstance(item, End):
                return
