"""Cold planning shared fairly between clients.

Planning a new operation holds a worker thread and the interpreter for up to the
planner's budget, and a client can make every operation new (one variation per request)
to keep the planning threads busy for everyone. So cold plans run in a fixed number of
slots; a plan waiting for a slot waits in its client's queue, and a freed slot goes to
the next client in turn, not to whoever queued most. A client with ``per_client``
plans already running or waiting is refused at once (``QUERY_PLANNING_BUSY``, 429):
a hostile client fills its own queue, and the others keep being served.

A slot is held until the planning thread ends, even when the request stopped waiting
for it: the thread cannot be interrupted, and releasing early would let the threads
pile up.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence

from router.plugins.context import RequestContext
from router.plugins.ratelimit.plugin import client_ip

__all__ = ["PlanningBusy", "PlanningSlots", "planning_client"]


def planning_client(
    trusted_proxies: Sequence[str],
) -> Callable[[RequestContext | None], str]:
    """Who a request's planning counts against: its API-key consumer, else its JWT
    subject, else its address (through `ratelimit.trusted_proxies`, as rate limits)."""
    trusted = tuple(ipaddress.ip_network(n, strict=False) for n in trusted_proxies)

    def client(context: RequestContext | None) -> str:
        if context is None:
            return ""
        if context.api_key_consumer:
            return "key:" + context.api_key_consumer
        subject = (context.jwt_claims or {}).get("sub")
        if isinstance(subject, str) and subject:
            return "jwt:" + subject
        return "ip:" + client_ip(context, trusted)

    return client


class PlanningBusy(Exception):
    """The client already has as many cold plans running or waiting as it may."""


class PlanningSlots:
    """``slots`` cold plans at once; at most ``per_client`` running or waiting per
    client."""

    def __init__(self, slots: int, per_client: int) -> None:
        if slots < 1 or per_client < 1:
            raise ValueError("slots and per_client must be >= 1")
        self.slots = slots
        self.per_client = per_client
        self._running = 0
        self._held: dict[str, int] = {}  # running or waiting, per client
        # Clients with waiters, in the order they get the next free slot.
        self._turns: OrderedDict[str, deque[asyncio.Future[None]]] = OrderedDict()

    @property
    def running(self) -> int:
        return self._running

    @property
    def waiting(self) -> int:
        return sum(len(queue) for queue in self._turns.values())

    async def acquire(self, client: str) -> None:
        """Returns once ``client`` holds a slot; raises PlanningBusy when it already
        holds or waits for ``per_client``. Cancelled while waiting, it holds none."""
        held = self._held.get(client, 0)
        if held >= self.per_client:
            raise PlanningBusy(client)
        self._held[client] = held + 1
        if self._running < self.slots and not self._turns:
            self._running += 1
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._turns.setdefault(client, deque()).append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release(client)  # granted just as it was cancelled
            else:
                self._forget(client, waiter)
                self._drop(client)
            raise

    def release(self, client: str) -> None:
        """Frees ``client``'s slot and hands it to the next client in turn."""
        self._drop(client)
        self._running -= 1
        while self._turns and self._running < self.slots:
            next_client, queue = next(iter(self._turns.items()))
            waiter = queue.popleft()
            if queue:
                self._turns.move_to_end(next_client)
            else:
                del self._turns[next_client]
            if not waiter.done():
                self._running += 1
                waiter.set_result(None)

    def _drop(self, client: str) -> None:
        held = self._held.get(client, 0) - 1
        if held > 0:
            self._held[client] = held
        else:
            self._held.pop(client, None)

    def _forget(self, client: str, waiter: asyncio.Future[None]) -> None:
        queue = self._turns.get(client)
        if queue is None:
            return
        try:
            queue.remove(waiter)
        except ValueError:
            return
        if not queue:
            del self._turns[client]
