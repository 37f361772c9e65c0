"""Incremental delivery of a ``Defer`` plan: which deferred parts run, and when each
may be sent.

The executor (``executor``) starts every deferred block of a ``Defer`` node as its own
task as soon as the node is reached: the task waits only for the primary fetches its
block ``depends`` on (or, for a block without dependencies, for the primary part to
finish), then runs its block's plan on the same tree, concurrently with the rest of the
primary part (Apollo Router's ``DeferredNode::execute``). A finished part is handed to
this module, which releases parts in completion order, except that a part nested in
another deferred part waits for its parent to be released first (the incremental
delivery spec: a child's ``path`` must already exist on the client).

Errors met while running a part go to that part's ``errors``, never to the primary
response's. Shaping and encoding are the caller's (``router.server.incremental``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

from planner.query_plan import DeferredBlock

__all__ = ["DeferredPart", "IncrementalDelivery"]

logger = logging.getLogger(__name__)


class DeferredPart:
    """One deferred block being run for one request: its block, the part it is nested in
    (None: the primary part), and the errors its fetches met."""

    __slots__ = ("block", "errors", "parent", "released")

    def __init__(self, block: DeferredBlock, parent: DeferredPart | None) -> None:
        self.block = block
        self.parent = parent
        self.errors: list[dict[str, Any]] = []
        self.released = False


class IncrementalDelivery:
    """The deferred parts of one request: started, finished, released in order.

    ``pending`` counts the parts started and not yet released; a part's children are
    started while the part itself runs, so when the last part is released nothing can
    follow it (``hasNext: false``).
    """

    __slots__ = ("_finished", "_held", "_tasks", "pending")

    def __init__(self) -> None:
        self.pending = 0
        self._finished: asyncio.Queue[DeferredPart] = asyncio.Queue()
        self._held: dict[int, list[DeferredPart]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(
        self,
        block: DeferredBlock,
        parent: DeferredPart | None,
        run: Callable[[DeferredPart], Coroutine[Any, Any, None]],
    ) -> DeferredPart:
        """Counts a new part and runs ``run(part)`` as a task; the part is finished
        when it returns."""
        part = DeferredPart(block, parent)
        self.pending += 1
        task = asyncio.get_running_loop().create_task(self._guarded(part, run(part)))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return part

    async def _guarded(
        self, part: DeferredPart, run: Coroutine[Any, Any, None]
    ) -> None:
        try:
            await run
        except Exception:
            # The executor records every subgraph failure as an error; anything else is
            # a bug, which must not leave the client waiting for a part.
            logger.exception("unexpected failure while running a deferred part")
            part.errors.append(
                {
                    "message": "Internal server error",
                    "extensions": {"code": "INTERNAL_SERVER_ERROR"},
                }
            )
        finally:
            self._finished.put_nowait(part)

    async def released(self) -> AsyncIterator[DeferredPart]:
        """The parts in the order they may be sent, each as soon as it may be; ends when
        every started part has been released. Call after the primary part is sent."""
        while self.pending:
            part = await self._finished.get()
            parent = part.parent
            if parent is not None and not parent.released:
                self._held.setdefault(id(parent), []).append(part)
                continue
            ready = [part]
            while ready:
                part = ready.pop(0)
                part.released = True
                self.pending -= 1
                yield part
                ready.extend(self._held.pop(id(part), ()))

    def cancel(self) -> None:
        """Stops the parts still running (the client went away, or the stream ended)."""
        for task in list(self._tasks):
            task.cancel()
