"""Completing a subgraph subscription's events once for every client that would get
the same answer.

An event from the subgraph is only the primary fetch's data: the rest of the plan
(entity fetches to other subgraphs) and the shaping for the client's operation make the
response. Clients of one upstream subscription whose completion would be identical
(same operation and authorization outcome, same variables, same headers and instances
for every subgraph the rest asks) form one `CompletionGroup`: its task completes each
event once and hands the finished body to every member's queue. A thousand such
clients of one subscription make one set of entity fetches per event, not a thousand.

Each member keeps its own bounded queue, idle timeout and end (`Listener`), so a slow
client still only loses its own events. The group's own queue on the upstream (its
`source`) has the configured capacity and overflow rule: if completing falls behind the
subgraph, the group drops (or ends, with `queue_full: close`) as one client would.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import Any

from router.server.errors import graphql_error
from router.subscriptions.listener import End, Listener

__all__ = ["Completion", "CompletionGroup", "pass_through"]

logger = logging.getLogger(__name__)

Complete = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


async def _unchanged(event: dict[str, Any]) -> dict[str, Any]:
    return event


@dataclass(frozen=True, slots=True)
class Completion:
    """How one client's events are completed: `run` turns a subgraph event into the
    client's response body; clients of one upstream with equal `key`s share one run
    per event (None: this client shares with nobody)."""

    key: Hashable | None
    run: Complete


def pass_through() -> Completion:
    """Events as the subgraph sent them, shared with nobody (tests, tools)."""
    return Completion(None, _unchanged)


class CompletionGroup:
    """The clients sharing one completion of each event of one upstream."""

    def __init__(
        self, source: Listener, run: Complete, key: Hashable | None = None
    ) -> None:
        """`source` is the group's listener on the upstream; `key` what the hub
        finds it by (None: it has one member)."""
        self.source = source
        self.key = key
        self._run = run
        self.members: set[Listener] = set()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._complete_each())

    @property
    def over(self) -> bool:
        """Its events ended (the upstream's end, or its own queue overflowing):
        a new client needs a new group."""
        return self.source.ended or (self._task is not None and self._task.done())

    def add(self, member: Listener) -> None:
        self.members.add(member)

    def remove(self, member: Listener) -> bool:
        """`member` leaves; True when it was the last (the group is stopped: an
        event being completed for nobody is abandoned)."""
        self.members.discard(member)
        if self.members:
            return False
        if self._task is not None:
            self._task.cancel()
        return True

    async def _complete_each(self) -> None:
        async for item in self.source.events():
            if isinstance(item, End):
                for member in list(self.members):
                    member.end(item.errors)
                return
            try:
                body = await self._run(item)
            except Exception:
                logger.exception("completing a subscription event failed")
                body = {
                    "data": None,
                    "errors": [
                        graphql_error("INTERNAL_SERVER_ERROR", "Internal server error")
                    ],
                }
            for member in list(self.members):
                member.deliver(body)
