"""Which instances of a subgraph may get fetches: active health checks and outlier
ejection, Envoy's two halves of health
(https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/health_checking,
.../outlier).

- **Active checks** (`health_check`): every `interval` each instance's origin is asked
  `GET <path>`; a 2xx within `timeout` passes. `unhealthy_after` failures in a row take
  the instance out, `healthy_after` passes in a row bring it back. Instances start
  healthy: a router that just loaded serves at once.
- **Outlier ejection** (`outlier_detection`): every try of a fetch reports its outcome
  (`record`); `consecutive_failures` failed tries in a row (no connection, timeout,
  broken connection, 5xx: what retries call a failure) eject the instance for
  `ejection_time` times the number of times it has been ejected, at most
  `max_ejection_time`; the count drops by one for each `ejection_time` the instance
  then stays in. A new ejection is refused while `max_ejection_percent` of the
  subgraph's instances are ejected, except that one may always be ejected when none is
  (Envoy's rule). With active checks too, an ejected instance comes back only after
  `healthy_after` passes counted from the end of its ejection.

Picks read one flag per instance (`InstanceHealth.available`); only `record` (on the
request path) and the subgraph's monitor task (`Guard.run`, checks and the ends of
ejections) change it. When no instance of a pool is available, the balancer spreads
over all of them (Envoy's panic mode: a subgraph that looks down everywhere is more
likely misjudged than down, and a failing fetch costs no more than a refused one).

A `Guard` is one subgraph's; its instance states outlive a hot reload while the
subgraph's `health_check` and `outlier_detection` sections are unchanged
(`SubgraphTraffic.inherit`); its monitor task belongs to the serving generation
(`SubgraphTraffic.start` / `stop`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from router.config.traffic import InstanceHealthCheckConfig, OutlierDetectionConfig

if TYPE_CHECKING:
    from router.telemetry.metrics import RouterMetrics

__all__ = ["Guard", "InstanceHealth", "Probe", "check_url"]

logger = logging.getLogger(__name__)

# Asks a URL with GET within a timeout (seconds): whether it answered 2xx.
Probe = Callable[[str, float], Awaitable[bool]]


@dataclass(slots=True, eq=False)
class InstanceHealth:
    """One instance's health. `available` is what load balancing reads: checked up
    and not ejected."""

    url: str
    available: bool = True
    checked_up: bool = True  # the active checks' verdict
    passes: int = 0  # checks passed in a row
    fails: int = 0  # checks failed in a row
    failures: int = 0  # tries failed in a row (outlier detection)
    ejections: int = 0  # the ejection time's multiplier
    ejected_until: float | None = None  # None: not ejected
    restored_at: float = 0.0


def check_url(instance_url: str, path: str) -> str:
    """`path` on the origin of `instance_url`."""
    parts = urlsplit(instance_url)
    return f"{parts.scheme}://{parts.netloc}{path}"


class Guard:
    """The health of one subgraph's instances (`states`, in the order of its
    instances)."""

    __slots__ = (
        "_clock",
        "_metrics",
        "_reported",
        "_wake",
        "check",
        "outlier",
        "states",
        "subgraph",
    )

    def __init__(
        self,
        subgraph: str,
        urls: Sequence[str],
        check: InstanceHealthCheckConfig | None,
        outlier: OutlierDetectionConfig | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.subgraph = subgraph
        self.states = tuple(InstanceHealth(url) for url in urls)
        self.check = check
        self.outlier = outlier
        self._clock = clock
        self._metrics: RouterMetrics | None = None
        self._reported: int | None = None
        self._wake: asyncio.Event | None = None

    def same_rules(self, other: Guard) -> bool:
        return self.check == other.check and self.outlier == other.outlier

    def healthy_count(self) -> int:
        return sum(1 for state in self.states if state.available)

    def record(self, state: InstanceHealth, failed: bool) -> None:
        """The outcome of one try sent to the instance of `state`."""
        outlier = self.outlier
        if outlier is None:
            return
        if not failed:
            state.failures = 0
            return
        state.failures += 1
        if state.failures < outlier.consecutive_failures:
            return
        if state.ejected_until is not None:
            return  # a try sent before its ejection (or in panic mode)
        ejected = sum(1 for s in self.states if s.ejected_until is not None)
        if ejected and (ejected + 1) * 100 > outlier.max_ejection_percent * len(
            self.states
        ):
            return  # counted on: the next failure asks again
        now = self._clock()
        if state.ejections and state.restored_at:
            stayed = int((now - state.restored_at) / outlier.ejection_time)
            state.ejections = max(0, state.ejections - stayed)
        state.ejections += 1
        duration = min(
            outlier.ejection_time * state.ejections, outlier.max_ejection_time
        )
        state.ejected_until = now + duration
        state.failures = 0
        if self.check is not None:
            # Back only after passing checks again, counted from the ejection's end.
            state.checked_up = False
            state.passes = 0
        state.available = False
        logger.warning(
            "subgraph %r: instance %s ejected for %g s after %d failures in a row",
            self.subgraph,
            state.url,
            duration,
            outlier.consecutive_failures,
        )
        if self._metrics is not None:
            self._metrics.upstream_ejections.labels(self.subgraph, state.url).inc()
        self.report()
        if self._wake is not None:
            self._wake.set()

    def report(self) -> None:
        """Sets the healthy-count gauge when it changed."""
        count = self.healthy_count()
        if self._metrics is not None and count != self._reported:
            self._metrics.upstream_healthy.labels(self.subgraph).set(count)
            self._reported = count

    async def run(self, probe: Probe, metrics: RouterMetrics | None) -> None:
        """The monitor: checks every `interval` and ends ejections when due, until
        cancelled."""
        self._metrics = metrics
        self._reported = None
        wake = self._wake = asyncio.Event()
        check = self.check
        next_check = self._clock()
        try:
            while True:
                now = self._clock()
                if check is not None and now >= next_check:
                    await self._check_all(probe, check)
                    # Counted from the answers (Envoy's): slow checks never overlap.
                    next_check = self._clock() + check.interval
                self._restore(self._clock())
                self.report()
                due = [s.ejected_until for s in self.states if s.ejected_until]
                if check is not None:
                    due.append(next_check)
                wake.clear()
                wait = min(due) - self._clock() if due else None
                try:
                    async with asyncio.timeout(wait):
                        await wake.wait()
                except TimeoutError:
                    pass
        finally:
            if self._wake is wake:
                self._wake = None

    async def _check_all(self, probe: Probe, check: InstanceHealthCheckConfig) -> None:
        urls = [check_url(state.url, check.path) for state in self.states]
        results = await asyncio.gather(*(probe(url, check.timeout) for url in urls))
        now = self._clock()
        for state, passed in zip(self.states, results, strict=True):
            if state.ejected_until is not None and now < state.ejected_until:
                state.passes = 0
                continue
            if passed:
                state.passes += 1
                state.fails = 0
                if not state.checked_up and state.passes >= check.healthy_after:
                    state.checked_up = True
                    logger.info(
                        "subgraph %r: instance %s passed %d health checks: back in",
                        self.subgraph,
                        state.url,
                        state.passes,
                    )
            else:
                state.fails += 1
                state.passes = 0
                if state.checked_up and state.fails >= check.unhealthy_after:
                    state.checked_up = False
                    logger.warning(
                        "subgraph %r: instance %s failed %d health checks: left out",
                        self.subgraph,
                        state.url,
                        state.fails,
                    )
            self._settle(state)

    def _restore(self, now: float) -> None:
        for state in self.states:
            until = state.ejected_until
            if until is not None and now >= until:
                state.ejected_until = None
                state.restored_at = now
                self._settle(state)
                if state.available:
                    logger.info(
                        "subgraph %r: instance %s back after its ejection",
                        self.subgraph,
                        state.url,
                    )

    @staticmethod
    def _settle(state: InstanceHealth) -> None:
        state.available = state.checked_up and state.ejected_until is None
