"""Request deadlines of one length, sharing one event-loop timer: the router timeout.

`asyncio.timeout` per request arms a loop timer and disarms it again (in uvloop a
libuv timer handle opened and closed each time), about a tenth of the router's own CPU
for a small cached query. Every request under `traffic_shaping.router.timeout` has a
deadline of the same length, so the deadlines come in the order the requests start:
they wait in one insertion-ordered queue and a single timer is set for the oldest, as
the subgraph client's response deadlines do (`router.execution.http1.Pools`). A request
that finishes leaves the queue; the timer, when it fires, fails the requests past
their deadline and moves on to the next one.

A deadline that passes cancels its task; leaving the `with` block turns that
cancellation into `TimeoutError`, exactly as `asyncio.timeout` does (a cancellation
from anyone else still propagates as `CancelledError`).
"""

from __future__ import annotations

import asyncio
from types import TracebackType

__all__ = ["Deadline", "Deadlines"]

# Timers may fire this early (uvloop's clock counts milliseconds).
_CLOCK_SLACK = 0.001

_WAITING, _EXPIRING, _EXPIRED, _DONE = range(4)


class Deadlines:
    """Deadlines `seconds` after each `start()`, for the tasks of one event loop at a
    time (a new loop, as in tests, starts an empty queue)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: dict[Deadline, float] = {}
        self._timer: asyncio.TimerHandle | None = None

    def start(self) -> Deadline:
        """A deadline counting from when its `with` block is entered."""
        return Deadline(self)

    def _watch(self, deadline: Deadline, loop: asyncio.AbstractEventLoop) -> None:
        if loop is not self._loop:
            self._loop = loop
            self._waiting = {}
            self._timer = None
        waiting = self._waiting
        when = loop.time() + self.seconds
        waiting[deadline] = when
        # The timer is never later than the oldest deadline queued: the clock is
        # monotonic and every deadline has the same length.
        if self._timer is None:
            self._timer = loop.call_at(when, self._expire, waiting)

    def _unwatch(self, deadline: Deadline) -> None:
        self._waiting.pop(deadline, None)

    def _expire(self, waiting: dict[Deadline, float]) -> None:
        """Cancels the requests past their deadline; the timer moves to the next."""
        loop = self._loop
        if waiting is not self._waiting or loop is None:
            return  # an earlier loop's queue
        self._timer = None
        now = loop.time()
        while waiting:
            deadline, when = next(iter(waiting.items()))
            if when > now + _CLOCK_SLACK:
                self._timer = loop.call_at(when, self._expire, waiting)
                return
            del waiting[deadline]
            deadline._expire()


class Deadline:
    """One request's deadline: `with deadline:` around the work it bounds, inside the
    task the deadline cancels."""

    __slots__ = ("_cancelling", "_owner", "_state", "_task")

    def __init__(self, owner: Deadlines) -> None:
        self._owner = owner
        self._state = _WAITING
        self._task: asyncio.Task[object] | None = None
        self._cancelling = 0

    def expired(self) -> bool:
        """Whether the deadline passed while the block ran."""
        return self._state == _EXPIRING or self._state == _EXPIRED

    def __enter__(self) -> Deadline:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("a Deadline must be entered inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        self._owner._watch(self, loop)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._state == _EXPIRING:
            self._state = _EXPIRED
            assert self._task is not None
            # As asyncio.timeout: the cancellation was ours unless someone else asked
            # for one too.
            if (
                self._task.uncancel() <= self._cancelling
                and exc_type is asyncio.CancelledError
            ):
                raise TimeoutError from exc
        elif self._state == _WAITING:
            self._state = _DONE
            self._owner._unwatch(self)

    def _expire(self) -> None:
        if self._state == _WAITING and self._task is not None:
            self._state = _EXPIRING
            self._task.cancel()
