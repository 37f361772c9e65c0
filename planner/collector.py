"""Holding off Python's cycle collector while the planner builds a large result.

Composition and planning allocate hundreds of thousands of containers, most of them
alive until the call returns (documents, schemas, paths, fetch graphs of every choice
evaluated). Each young collection then finds little garbage, and as survivors pile up
into the older generations, the collector's thresholds trigger full collections that
walk the caller's whole heap again: a third of a planning pass over the bench corpus,
half of the composition time of a 100-subgraph graph. One collection at the end
frees the same cyclic garbage in a single pass: the young generation, or an older one
when the collector's thresholds say it is due, as they would have without the pause.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block, then one collection of what is due. A caller that
    turned the collector off (or another thread's pause) manages it: left alone."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect(_oldest_generation_due())


def _oldest_generation_due() -> int:
    """The generation the collector's own thresholds would collect now. Collecting only
    the young one would leave older cyclic garbage to automatic collections, which a
    process planning without pause (a stream of new operations) would rarely get."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    for generation in (2, 1):
        if thresholds[generation] and counts[generation] > thresholds[generation]:
            return generation
    return 0
