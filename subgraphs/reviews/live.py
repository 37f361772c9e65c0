"""New reviews, in memory, and the feed that announces them to subscriptions.

`add_review` stores a review (per process, never in the seeded data, so queries over
the seeded reviews answer the same whatever was added) and hands it to every open
`reviewAdded` subscription. `stats()` counts the subscriptions, so a test can see
that a router shares one subscription between its clients and closes it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator

from subgraphs._world import user_index, username_of
from subgraphs.reviews.data import NUM_REVIEWS, ReviewRecord

__all__ = ["add_review", "find_added", "listen", "stats"]

# A subscriber that falls this far behind loses its oldest reviews.
_QUEUE_SIZE = 1000

_added: dict[str, ReviewRecord] = {}
_next_number = itertools.count(NUM_REVIEWS + 1)
_listeners: set[asyncio.Queue[ReviewRecord]] = set()
_started = 0


def add_review(
    product_upc: str, author_id: str, body: str, rating: int
) -> ReviewRecord:
    """Stores a new review and announces it to every listener."""
    index = user_index(author_id)
    record = ReviewRecord(
        id=f"review-{next(_next_number)}",
        body=body,
        rating=rating,
        product_upc=product_upc,
        author_id=author_id,
        author_username="" if index is None else username_of(index),
    )
    _added[record.id] = record
    for queue in _listeners:
        if queue.full():
            queue.get_nowait()
        queue.put_nowait(record)
    return record


def find_added(id_: str) -> ReviewRecord | None:
    return _added.get(id_)


async def listen() -> AsyncIterator[ReviewRecord]:
    """The reviews added from now on, until the consumer stops iterating."""
    global _started
    queue: asyncio.Queue[ReviewRecord] = asyncio.Queue(_QUEUE_SIZE)
    _listeners.add(queue)
    _started += 1
    try:
        while True:
            yield await queue.get()
    finally:
        _listeners.discard(queue)


def stats() -> dict[str, int]:
    """Subscriptions open now and started since the process began."""
    return {"active": len(_listeners), "started": _started}
