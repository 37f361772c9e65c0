"""A request's metric updates, without prometheus_client's per-call wrappers.

`Counter.inc` and `Histogram.observe` check on every call that the metric is a labelled
child (ours always are: `LabelledChildren`'s, or families without labels) and that a
counter's amount is not negative, and a histogram walks its buckets in Python; a
traced request makes about eight updates. These go straight to the child's values (a
lock-guarded float each, or a file-backed value under `--workers`, both with `inc`),
as those methods do after their checks.
"""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prometheus_client import Counter, Gauge, Histogram

__all__ = ["add", "observe"]


def add(metric: Counter | Gauge, amount: float = 1.0) -> None:
    """`metric.inc(amount)`; a gauge may be given a negative amount (`dec`)."""
    metric._value.inc(amount)


def observe(histogram: Histogram, amount: float) -> None:
    """`histogram.observe(amount)`: its sum, and the first bucket whose upper bound is
    at least `amount` (the last bound is +Inf, so there is one)."""
    histogram._sum.inc(amount)
    histogram._buckets[bisect_left(histogram._upper_bounds, amount)].inc(1)
