"""Cold planning shared between clients (router.server.planning_slots): a freed slot
goes to the next client in turn, a client past its share is refused at once, and a
request that stops waiting gives its place back."""

from __future__ import annotations

import asyncio

import pytest

from router.server.planning_slots import PlanningBusy, PlanningSlots


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_freed_slot_goes_to_the_next_client_in_turn() -> None:
    slots = PlanningSlots(1, 8)
    granted: list[str] = []

    async def plan(client: str, label: str) -> None:
        await slots.acquire(client)
        granted.append(label)

    await plan("a", "a1")
    waiting = [
        asyncio.create_task(plan("a", "a2")),
        asyncio.create_task(plan("a", "a3")),
        asyncio.create_task(plan("a", "a4")),
    ]
    await _settle()
    waiting.append(asyncio.create_task(plan("b", "b1")))
    await _settle()
    assert granted == ["a1"] and slots.waiting == 4
    for _ in range(4):
        slots.release("a" if granted[-1].startswith("a") else "b")
        await _settle()
    await asyncio.gather(*waiting)
    # b queued after three of a's plans, and waited for one of them only.
    assert granted == ["a1", "a2", "b1", "a3", "a4"]


async def test_a_client_past_its_share_is_refused_while_others_queue() -> None:
    slots = PlanningSlots(1, 2)
    await slots.acquire("a")
    second = asyncio.create_task(slots.acquire("a"))
    await _settle()
    with pytest.raises(PlanningBusy):
        await slots.acquire("a")
    other = asyncio.create_task(slots.acquire("b"))
    await _settle()
    slots.release("a")
    await second
    slots.release("a")
    await other
    # With its plans done, a has its whole share again.
    slots.release("b")
    await slots.acquire("a")
    assert slots.running == 1 and slots.waiting == 0


async def test_a_request_that_stops_waiting_gives_its_place_back() -> None:
    slots = PlanningSlots(1, 1)
    await slots.acquire("a")
    gone = asyncio.create_task(slots.acquire("b"))
    await _settle()
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert slots.waiting == 0
    slots.release("a")
    assert slots.running == 0
    await asyncio.wait_for(slots.acquire("b"), 5)  # b's share was given back too
