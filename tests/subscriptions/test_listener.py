"""A client's bounded event queue (`router.subscriptions.listener`)."""

from __future__ import annotations

import asyncio
from typing import Any

from router.subscriptions.listener import End, Listener


def _drain(listener: Listener) -> list[Any]:
    async def read() -> list[Any]:
        return [item async for item in listener.events()]

    return asyncio.run(read())


def test_full_queue_drops_the_oldest_event_by_default() -> None:
    listener = Listener(2)
    for n in range(4):
        assert listener.deliver({"data": {"n": n}})
    listener.end()
    # The end takes the place of the oldest event left.
    assert _drain(listener) == [{"data": {"n": 3}}, End()]
    assert listener.dropped == 3


def test_full_queue_under_close_ends_the_subscription_with_a_code() -> None:
    listener = Listener(2, "close")
    assert listener.deliver({"data": {"n": 0}})
    assert listener.deliver({"data": {"n": 1}})
    assert not listener.deliver({"data": {"n": 2}})
    items = _drain(listener)
    assert items[0] == {"data": {"n": 1}}
    assert isinstance(items[-1], End)
    assert items[-1].errors[0]["extensions"]["code"] == "SUBSCRIPTION_QUEUE_FULL"
    assert not listener.deliver({"data": {"n": 3}})


def test_no_event_within_the_idle_timeout_ends_the_subscription_with_a_code() -> None:
    listener = Listener(2, idle_timeout=0.05)
    (end,) = _drain(listener)
    assert isinstance(end, End)
    assert end.errors[0]["extensions"]["code"] == "SUBSCRIPTION_IDLE_TIMEOUT"
