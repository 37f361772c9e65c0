"""Metric values the event loop updates without a lock, and the request's updates.

prometheus_client keeps each sample (a counter, a gauge, a histogram's sum or bucket)
in a `MutexValue`, a float that every `inc` updates under a lock, and `Counter.inc` or
`Histogram.observe` check their arguments and walk the buckets in Python before; a
traced request makes about ten updates, all on the event loop's thread. `LoopValue` is
a `MutexValue` in two parts: `loop`, written only by the main thread (the one that runs
the event loop in `router serve`) and without a lock, and `others`, which every other
thread (planning threads, for one) updates under the lock. A scrape reads their sum, so
the exposition is the same text. A float is read and written whole under the GIL, so
the main thread's unlocked `+=` loses nothing: no other thread writes `loop`.

`LoopCounter`, `LoopGauge` and `LoopHistogram` give every child such values; under
`router serve --workers N` (prometheus_client's multiprocess mode, values in shared
files) they keep prometheus_client's. `add` and `observe` go straight to a child's
values, as `inc` and `observe` do after their checks.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from typing import TYPE_CHECKING, Any

from prometheus_client import Counter, Gauge, Histogram, values

if TYPE_CHECKING:
    from prometheus_client.samples import Exemplar

__all__ = [
    "LoopCounter",
    "LoopGauge",
    "LoopHistogram",
    "LoopValue",
    "add",
    "loop_owned",
    "observe",
]

_OWNER = threading.main_thread().ident
_get_ident = threading.get_ident


def loop_owned() -> bool:
    """Whether this thread may write `LoopValue.loop` (it is the main thread)."""
    return _get_ident() == _OWNER


class LoopValue:
    """One sample's value; see the module docstring. prometheus_client's value
    interface (`inc`, `set`, `get`, exemplars), for its metric classes."""

    __slots__ = ("_exemplar", "_lock", "loop", "others")
    _multiprocess = False

    def __init__(self, *args: object, **kwargs: object) -> None:
        self.loop = 0.0
        self.others = 0.0
        self._exemplar: Exemplar | None = None
        self._lock = threading.Lock()

    def inc(self, amount: float) -> None:
        if _get_ident() == _OWNER:
            self.loop += amount
        else:
            with self._lock:
                self.others += amount

    def set(self, value: float, timestamp: float | None = None) -> None:
        """Sets the sum: from the main thread exactly; from another thread the main
        thread's part is taken away from `value` (exact for whole numbers, which are
        all the gauges set here: states, counts, bytes)."""
        with self._lock:
            if _get_ident() == _OWNER:
                self.loop = value
                self.others = 0.0
            else:
                self.others = value - self.loop

    def get(self) -> float:
        return self.loop + self.others

    def set_exemplar(self, exemplar: Exemplar) -> None:
        with self._lock:
            self._exemplar = exemplar

    def get_exemplar(self) -> Exemplar | None:
        return self._exemplar


def _lock_free() -> bool:
    """Whether values may be `LoopValue`s: not in multiprocess mode, whose values
    live in files other processes read."""
    return values.ValueClass is values.MutexValue


class LoopCounter(Counter):
    """A `Counter` whose children hold `LoopValue`s."""

    def _metric_init(self) -> None:
        super()._metric_init()
        if _lock_free():
            self._value: Any = LoopValue()


class LoopGauge(Gauge):
    """A `Gauge` whose children hold `LoopValue`s."""

    def _metric_init(self) -> None:
        super()._metric_init()
        if _lock_free():
            self._value: Any = LoopValue()


class LoopHistogram(Histogram):
    """A `Histogram` whose children hold `LoopValue`s."""

    def _metric_init(self) -> None:
        super()._metric_init()
        if _lock_free():
            self._sum: Any = LoopValue()
            self._buckets: Any = [LoopValue() for _ in self._upper_bounds]


def add(metric: Counter | Gauge, amount: float = 1.0) -> None:
    """`metric.inc(amount)`; a gauge may be given a negative amount (`dec`)."""
    value = metric._value
    if type(value) is LoopValue and _get_ident() == _OWNER:
        value.loop += amount
    else:
        value.inc(amount)


def observe(histogram: Histogram, amount: float) -> None:
    """`histogram.observe(amount)`: its sum, and the first bucket whose upper bound is
    at least `amount` (the last bound is +Inf, so there is one)."""
    total = histogram._sum
    bucket = histogram._buckets[bisect_left(histogram._upper_bounds, amount)]
    if type(total) is LoopValue and _get_ident() == _OWNER:
        total.loop += amount
        bucket.loop += 1.0
    else:
        total.inc(amount)
        bucket.inc(1)
