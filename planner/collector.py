"""Holding off Python's cycle collector while the planner builds a large result.

Composition and planning allocate hundreds of thousands of containers, most of them
alive until the call returns (documents, schemas, paths, fetch graphs of every choice
evaluated). Each young collection then finds little garbage, and as survivors pile up
into the older generations, the collector's thresholds trigger full collections that
walk the caller's whole heap again: a third of a planning pass over the bench corpus,
half of the composition time of a 100-subgraph graph. One collection at the end
frees the same cyclic garbage in a single pass: the young generation, or an older one
when the collector's own rules say it is due, as they would have without the pause.

Those rules include CPython's guard on full collections (`collect_generations` in
Modules/gcmodule.c): the oldest generation's threshold counts middle collections, but
a full collection also waits until long-lived objects have grown by a quarter since
the last one, so that a process with a large, stable heap does not walk all of it
every hundred plans. Without the guard, a process holding a million objects (a test
worker, a router with many supergraphs' plans cached) spent more time in full
collections than in planning. CPython does not expose its count of long-lived objects;
the heap's size in allocated blocks (`sys.getallocatedblocks`, a walk of the
allocator's pools, far cheaper than one of the objects) stands for it.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["collector_paused"]

# CPython's rule: a full collection once the oldest generation grew by this share.
_FULL_COLLECTION_GROWTH = 0.25


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
        generation = _oldest_generation_due()
        gc.collect(generation)
        if generation == 2:
            _oldest.measure()


def _oldest_generation_due() -> int:
    """The generation the collector's own rules would collect now. Collecting only
    the young one would leave older cyclic garbage to automatic collections, which a
    process planning without pause (a stream of new operations) would rarely get."""
    counts, thresholds = gc.get_count(), gc.get_threshold()
    if thresholds[2] and counts[2] > thresholds[2] and _oldest.grown(counts[2]):
        return 2
    if thresholds[1] and counts[1] > thresholds[1]:
        return 1
    return 0


class _OldestGeneration:
    """The heap's size after the last full collection, and whether it has grown by
    `_FULL_COLLECTION_GROWTH` since; looked at again only after another
    `threshold[2]` middle collections, as CPython would look again."""

    def __init__(self) -> None:
        self.size: int | None = None
        self.full_collections = -1  # gc.get_stats()'s count when `size` was taken
        self.looked_at = 0  # the oldest generation's count when last looked at

    def measure(self) -> None:
        self.size = sys.getallocatedblocks()
        self.full_collections = gc.get_stats()[2]["collections"]
        self.looked_at = 0

    def grown(self, count: int) -> bool:
        if self.size is None:
            return True  # never measured: collect, and measure after
        if gc.get_stats()[2]["collections"] != self.full_collections:
            self.measure()  # an automatic full collection since: the new base
            return False
        if count < self.looked_at + gc.get_threshold()[2]:
            return False
        self.looked_at = count
        grown = sys.getallocatedblocks() - self.size
        return grown > self.size * _FULL_COLLECTION_GROWTH


_oldest = _OldestGeneration()
