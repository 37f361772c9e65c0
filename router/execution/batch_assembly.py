"""Which entity fetches to one subgraph share a request, and who sends it.

A fetch joins the batch open for its subgraph as soon as it knows its representations,
before anything it awaits (the entity cache's lookup in Redis); the batch closes at the
end of that event-loop step, so it holds the fetches that start together: the members
of one plan stage (``planner.planning.fetch_levels``), or siblings of a ``Parallel``.
Each member then decides: it submits what it would send alone, or withdraws (nothing
left to ask, e.g. every entity came from the cache). The first to submit sends one
request once every member has decided (``entity_batch`` builds it), and hands each
other member its share of the answer. Deciding late never splits the batch: a lookup
that takes three round trips for one member and one for another still gives one
request.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from planner.query_plan import Fetch

__all__ = ["Batch"]

Outcome = TypeVar("Outcome")
# One member's request: the fetch and what it would send alone.
Member = tuple[Fetch, dict[str, Any]]


class Batch:
    """The entity fetches to one subgraph that started in one event-loop step."""

    __slots__ = ("_closed", "_decided", "_submitted", "_undecided")

    def __init__(self) -> None:
        self._undecided = 0
        self._closed = False
        self._decided = asyncio.Event()
        # Submitted members; each but the sender's with the future its share goes to.
        self._submitted: list[tuple[Member, asyncio.Future[Any] | None]] = []

    def join(self) -> None:
        """One more member, which must later ``submit`` or ``withdraw``."""
        self._undecided += 1

    def close(self) -> None:
        """No member joins any more (the event-loop step it was opened in is over)."""
        self._closed = True
        self._settle()

    def withdraw(self) -> None:
        """A member sends nothing after all."""
        self._undecided -= 1
        self._settle()

    async def submit(
        self,
        member: Member,
        send: Callable[[list[Member]], Awaitable[list[Outcome]]],
    ) -> Outcome:
        """``member``'s share of the answer to the batch's one request, which the first
        member to submit sends (``send`` gets every submitted member, in order)."""
        self._undecided -= 1
        if self._submitted:
            future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
            self._submitted.append((member, future))
            self._settle()
            return await future
        self._submitted.append((member, None))
        self._settle()
        try:
            await self._decided.wait()
            outcomes = await send([m for m, _ in self._submitted])
        except BaseException as exc:
            for _, waiting in self._submitted[1:]:
                if waiting is not None and not waiting.done():
                    if isinstance(exc, Exception):
                        waiting.set_exception(exc)
                    else:
                        waiting.cancel()
            raise
        for (_, waiting), outcome in zip(
            self._submitted[1:], outcomes[1:], strict=True
        ):
            if waiting is not None and not waiting.done():
                waiting.set_result(outcome)
        return outcomes[0]

    def _settle(self) -> None:
        if self._closed and self._undecided == 0:
            self._decided.set()
