"""`router.execution.incremental`: deferred parts are released in the order they
finish, except that a part nested in another waits for its parent (issue 16)."""

from __future__ import annotations

import asyncio

from planner.query_plan import DeferredBlock
from router.execution.incremental import DeferredPart, IncrementalDelivery


def _block(label: str) -> DeferredBlock:
    return DeferredBlock(depends=(), query_path=(), label=label)


async def test_parts_are_released_in_completion_order_children_after_parents() -> None:
    delivery = IncrementalDelivery()
    done = {name: asyncio.Event() for name in ("parent", "child", "sibling")}

    async def finishes(name: str, part: DeferredPart) -> None:
        await done[name].wait()

    parent = delivery.start(
        _block("parent"), None, lambda part: finishes("parent", part)
    )
    delivery.start(_block("child"), parent, lambda part: finishes("child", part))
    delivery.start(_block("sibling"), None, lambda part: finishes("sibling", part))
    released: list[str | None] = []

    async def collect() -> None:
        async for part in delivery.released():
            released.append(part.block.label)

    collecting = asyncio.create_task(collect())
    # The child finishes first, then the sibling, then the parent.
    for name in ("child", "sibling", "parent"):
        done[name].set()
        await asyncio.sleep(0)
    await asyncio.wait_for(collecting, 5)
    assert released == ["sibling", "parent", "child"]
    assert delivery.pending == 0


async def test_a_part_that_fails_is_released_with_an_error() -> None:
    delivery = IncrementalDelivery()

    async def fails(part: DeferredPart) -> None:
        raise RuntimeError("a bug")

    delivery.start(_block("broken"), None, fails)
    (part,) = [p async for p in delivery.released()]
    assert part.errors[0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
