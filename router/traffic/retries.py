"""When a failed fetch is sent again, and how many retries the subgraph can be asked
to bear.

A fetch that never reached the subgraph (no connection; the first write failed) goes
to another instance whatever the operation: nothing ran there. Other failures (a 5xx
answer, a timeout, a connection that broke after the request left) are retried only
for queries (mutations too with `retry_mutations`), and only as far as the subgraph's
`RetryBudget` allows, so that retries cannot multiply the load on a subgraph that is
already failing.

`RetryBudget` is tower's `TpsBudget`, which Apollo Router 1.x's `experimental_retry`
was built on (https://docs.rs/tower/latest/tower/retry/budget/): a token bucket whose
deposits expire after `ttl`, kept in ten slots of `ttl / 10`; a withdrawal first
takes from live deposits, then runs the current slot negative, which the `min_per_sec
* ttl` reserve allows and time forgives when the slot expires.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from router.config.traffic import RetryConfig
from router.execution.codes import GATEWAY_TIMEOUT, SUBREQUEST_HTTP_ERROR
from router.execution.subgraph_client import SubgraphReply, SubgraphRequestError

__all__ = [
    "HTTP_5XX",
    "TIMEOUT",
    "TRANSPORT",
    "UNREACHED",
    "RetryBudget",
    "RetryPolicy",
    "retry_reason",
]

# Why a fetch was retried (the `reason` label of `api_upstream_retries_total`).
UNREACHED = "unreached"  # no connection, or the request was never written
TIMEOUT = "timeout"  # no answer within the subgraph's timeout
TRANSPORT = "transport"  # the connection broke after the request left
HTTP_5XX = "http_5xx"  # the subgraph answered a 5xx status

_SLOTS = 10


def retry_reason(outcome: SubgraphReply | SubgraphRequestError) -> str | None:
    """Why `outcome` could deserve another try; None for an answer to keep (any
    status below 500, or a response the subgraph sent but we cannot use)."""
    if type(outcome) is SubgraphReply:
        return HTTP_5XX if outcome.status >= 500 else None
    assert isinstance(outcome, SubgraphRequestError)
    if not outcome.reached:
        return UNREACHED
    if outcome.code == GATEWAY_TIMEOUT:
        return TIMEOUT
    if outcome.code == SUBREQUEST_HTTP_ERROR and outcome.status is None:
        return TRANSPORT
    return None


class RetryBudget:
    """How many retries a subgraph may get: `min_per_sec` a second over any `ttl`
    window, plus `retry_percent` of the fetches answered in it."""

    __slots__ = (
        "_clock",
        "_current",
        "_deposit",
        "_index",
        "_reserve",
        "_slots",
        "_started",
        "_window",
        "_withdraw",
    )

    def __init__(
        self,
        ttl: float,
        min_per_sec: int,
        retry_percent: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        # Whole tokens: a retry costs `withdraw`, an answered fetch gives `deposit`.
        if retry_percent == 0:
            self._deposit, self._withdraw = 0, 1
        elif retry_percent <= 1:
            self._deposit, self._withdraw = 1, int(1 / retry_percent)
        else:
            self._deposit, self._withdraw = 1000, int(1000 / retry_percent)
        self._reserve = int(min_per_sec * ttl) * self._withdraw
        self._window = ttl / _SLOTS
        self._slots = [0] * _SLOTS
        self._index = 0
        self._current = 0
        self._clock = clock
        self._started = clock()

    @classmethod
    def of(cls, config: RetryConfig) -> RetryBudget:
        return cls(config.ttl, config.min_per_sec, config.retry_percent)

    def deposit(self) -> None:
        """One fetch answered without needing a retry."""
        self._expire()
        self._current += self._deposit

    def withdraw(self) -> bool:
        """Takes one retry's tokens; False (and nothing taken) when too few are left."""
        self._expire()
        slots = self._slots
        if sum(slots) + self._current + self._reserve < self._withdraw:
            return False
        wanted = self._withdraw
        # The oldest slots first: they expire soonest.
        for offset in range(1, _SLOTS + 1):
            index = (self._index + offset) % _SLOTS
            if slots[index] > 0:
                taken = min(slots[index], wanted)
                slots[index] -= taken
                wanted -= taken
                if wanted == 0:
                    return True
        self._current -= wanted
        return True

    def _expire(self) -> None:
        elapsed = self._clock() - self._started
        if elapsed < self._window:
            return
        passed = int(elapsed / self._window)
        self._started += passed * self._window
        if passed > _SLOTS:
            # Everything, the window that was open too, is older than `ttl`.
            self._slots = [0] * _SLOTS
            self._current = 0
            return
        for step in range(passed):
            self._index = (self._index + 1) % _SLOTS
            # The slot being reused held the deposits of `ttl` ago: they expire.
            self._slots[self._index] = self._current if step == 0 else 0
            self._current = 0


class RetryPolicy:
    """A subgraph's `experimental_retry`: its budget and whether mutations may use it."""

    __slots__ = ("budget", "mutations")

    def __init__(self, config: RetryConfig) -> None:
        self.budget = RetryBudget.of(config)
        self.mutations = config.retry_mutations
