"""A subgraph's circuit breaker: while the subgraph keeps failing, its fetches are
refused at once instead of each waiting for its own failure.

Closed, the breaker counts fetches and failures over a rolling `window`, kept in ten
slots of `window / 10` (the oldest slot drops out as time passes). Once the window
holds at least `minimum_requests` fetches and the failing fraction reaches
`failure_rate`, it opens. Open, `admit` refuses every fetch. The first fetch after
`open_for` turns it half-open (nothing changes state between fetches, so the gauge
shows `open` until then): `half_open_requests` probes are admitted, the rest refused;
when every probe has succeeded it closes with an empty window, and the first probe
that fails opens it again for another `open_for`.

A failure is what `router.traffic.retries.retry_reason` would retry: no connection, a
timeout, a connection broken after the request left, a 5xx answer. A fetch counts once,
with the outcome of its last try, after any retries. A refused fetch is no request and
counts for nothing; an outcome that arrives after the state it was admitted in has
been left (a slow fetch of the closed state ending while open) is ignored, and so is a
fetch cancelled before its outcome (its probe slot is given back).

Per subgraph, not per instance (outlier detection is the per-instance guard): one
breaker per loaded config, handed over on a hot reload when the subgraph's
`circuit_breaker` section is unchanged (`SubgraphTraffic.inherit`).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from router.config.traffic import CircuitBreakerConfig

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "STATE_NAMES", "CircuitBreaker"]

# The values of the `api_circuit_breaker_state` gauge.
CLOSED = 0
OPEN = 1
HALF_OPEN = 2
STATE_NAMES = ("closed", "open", "half_open")

_SLOTS = 10


class CircuitBreaker:
    """One subgraph's breaker. `admit` before sending; then exactly one of `record`
    (with the outcome) or `release` (no outcome), passing the token `admit` gave."""

    __slots__ = (
        "_clock",
        "_epoch",
        "_failures",
        "_index",
        "_opened_at",
        "_probes",
        "_requests",
        "_slot_started",
        "_slot_width",
        "_succeeded",
        "config",
        "reported",
        "state",
    )

    def __init__(
        self,
        config: CircuitBreakerConfig,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.state = CLOSED
        # False until the state gauge has been set once (telemetry sets it).
        self.reported = False
        self._clock = clock
        # Bumped on every change of state: a token from an earlier state is stale.
        self._epoch = 0
        self._slot_width = config.window / _SLOTS
        self._requests = [0] * _SLOTS
        self._failures = [0] * _SLOTS
        self._index = 0
        self._slot_started = clock()
        self._opened_at = 0.0
        self._probes = 0  # half-open: probes admitted and not released
        self._succeeded = 0  # half-open: probes that succeeded

    def admit(self) -> int | None:
        """A token for a fetch allowed through, or None when it must be refused."""
        state = self.state
        if state == CLOSED:
            return self._epoch
        if state == OPEN:
            if self._clock() - self._opened_at < self.config.open_for:
                return None
            self._enter(HALF_OPEN)
        if self._probes >= self.config.half_open_requests:
            return None
        self._probes += 1
        return self._epoch

    def record(self, token: int, failed: bool) -> None:
        """The outcome of a fetch admitted with `token`."""
        if token != self._epoch:
            return
        if self.state == CLOSED:
            self._advance()
            index = self._index
            self._requests[index] += 1
            if failed:
                self._failures[index] += 1
            self._check()
        elif failed:
            self._enter(OPEN)
        else:
            self._succeeded += 1
            if self._succeeded >= self.config.half_open_requests:
                self._enter(CLOSED)

    def release(self, token: int) -> None:
        """A fetch admitted with `token` ended without an outcome (cancelled)."""
        if token == self._epoch and self.state == HALF_OPEN:
            self._probes -= 1

    def _check(self) -> None:
        requests = sum(self._requests)
        config = self.config
        if (
            requests >= config.minimum_requests
            and sum(self._failures) >= config.failure_rate * requests
        ):
            self._enter(OPEN)

    def _enter(self, state: int) -> None:
        self.state = state
        self._epoch += 1
        self._probes = self._succeeded = 0
        if state == OPEN:
            self._opened_at = self._clock()
        elif state == CLOSED:
            self._requests = [0] * _SLOTS
            self._failures = [0] * _SLOTS
            self._slot_started = self._clock()

    def _advance(self) -> None:
        """Moves the window to now: slots older than `window` are emptied."""
        elapsed = self._clock() - self._slot_started
        if elapsed < self._slot_width:
            return
        passed = int(elapsed / self._slot_width)
        self._slot_started += passed * self._slot_width
        for _ in range(min(passed, _SLOTS)):
            self._index = (self._index + 1) % _SLOTS
            self._requests[self._index] = 0
            self._failures[self._index] = 0
