"""Completion groups (`router.subscriptions.completion`): one completion of each event
for every member, each member's queue its own, the upstream's end passed on."""

from __future__ import annotations

import asyncio
from typing import Any

from router.subscriptions.completion import CompletionGroup
from router.subscriptions.listener import End, Listener


async def _take(listener: Listener, count: int) -> list[Any]:
    items: list[Any] = []
    async for item in listener.events():
        items.append(item)
        if len(items) == count:
            break
    return items


def test_each_event_is_completed_once_and_every_member_gets_the_body() -> None:
    runs: list[dict[str, Any]] = []

    async def complete(event: dict[str, Any]) -> dict[str, Any]:
        runs.append(event)
        return {"data": {"n": event["data"]["n"] * 10}}

    async def scenario() -> None:
        source = Listener(8)
        group = CompletionGroup(source, complete, key="k")
        members = [Listener(8) for _ in range(5)]
        for member in members:
            group.add(member)
        group.start()
        for n in range(3):
            source.deliver({"data": {"n": n}})
        source.end()
        for member in members:
            got = await asyncio.wait_for(_take(member, 4), 5)
            assert got[:3] == [{"data": {"n": n * 10}} for n in range(3)]
            assert got[3] == End()
        assert len(runs) == 3
        assert group.over

    asyncio.run(scenario())


def test_a_member_that_falls_behind_loses_only_its_own_events() -> None:
    async def complete(event: dict[str, Any]) -> dict[str, Any]:
        return event

    async def scenario() -> None:
        source = Listener(8)
        group = CompletionGroup(source, complete)
        slow, fast = Listener(1), Listener(8)
        group.add(slow)
        group.add(fast)
        group.start()
        for n in range(3):
            source.deliver({"data": {"n": n}})
        got = await asyncio.wait_for(_take(fast, 3), 5)
        assert [item["data"]["n"] for item in got] == [0, 1, 2]
        (kept,) = await asyncio.wait_for(_take(slow, 1), 5)
        assert kept == {"data": {"n": 2}} and slow.dropped == 2

    asyncio.run(scenario())


def test_the_last_member_leaving_stops_the_completion_under_way() -> None:
    cancelled: list[bool] = []

    async def scenario() -> None:
        running = asyncio.Event()

        async def complete(event: dict[str, Any]) -> dict[str, Any]:
            running.set()
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancelled.append(True)
                raise
            return event

        source = Listener(8)
        group = CompletionGroup(source, complete)
        member = Listener(8)
        group.add(member)
        group.start()
        source.deliver({"data": {}})
        await asyncio.wait_for(running.wait(), 5)
        assert group.remove(member) is True

        async def stopped() -> None:
            while not group.over:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(stopped(), 5)
        assert cancelled == [True]

    asyncio.run(scenario())
