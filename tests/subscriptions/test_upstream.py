"""The router's side of a subgraph subscription (`router.subscriptions.upstream`), against
the reviews example subgraph served in this process by uvicorn (strawberry speaks both
subprotocols), for each protocol Apollo Router names."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import orjson
import pytest
import uvicorn

from router.subscriptions.listener import End, Listener
from router.subscriptions.upstream import Upstream, UpstreamKey, UpstreamTarget

OPERATION = "subscription { reviewAdded { id body } }"


@contextlib.asynccontextmanager
async def _reviews_subgraph(port: int = 0) -> AsyncIterator[tuple[str, Any]]:
    from subgraphs._serve import build_app
    from subgraphs.reviews import live
    from subgraphs.reviews.schema import schema

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    config = uvicorn.Config(build_app(schema), lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    serving = asyncio.ensure_future(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{sock.getsockname()[1]}/graphql", live
    finally:
        server.should_exit = True
        await serving


async def _until(check: Any) -> None:
    for _ in range(500):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached in 5 s")


@pytest.mark.parametrize("protocol", ["graphql_ws", "graphql_transport_ws"])
def test_events_reach_every_listener_and_the_last_one_leaving_ends_it(
    protocol: Any,
) -> None:
    async def scenario() -> None:
        async with (
            _reviews_subgraph() as (url, live),
            aiohttp.ClientSession() as session,
        ):
            done: list[Upstream] = []
            key = UpstreamKey("reviews", OPERATION, None, orjson.dumps({}), (), {})
            upstream = Upstream(
                key, UpstreamTarget(url, protocol, 0.05, 5.0), session, done.append
            )
            listeners = [Listener(8), Listener(8)]
            for listener in listeners:
                upstream.add(listener)
            upstream.start()
            await _until(lambda: live.stats()["active"] == 1)
            record = live.add_review("UPC-0001", "1", "Fine.", 5)
            for listener in listeners:
                item = await asyncio.wait_for(anext(listener.events()), 5)
                assert item == {
                    "data": {"reviewAdded": {"id": record.id, "body": "Fine."}}
                }
            for listener in listeners:
                upstream.remove(listener)
            await _until(lambda: live.stats()["active"] == 0 and done == [upstream])

    asyncio.run(scenario())


def test_unreachable_subgraph_ends_listeners_with_a_code() -> None:
    async def scenario() -> None:
        with socket.socket() as free:
            free.bind(("127.0.0.1", 0))
            port = free.getsockname()[1]
        async with aiohttp.ClientSession() as session:
            key = UpstreamKey("reviews", OPERATION, None, b"{}", (), {})
            target = UpstreamTarget(
                f"ws://127.0.0.1:{port}/graphql", "graphql_transport_ws", None, 5.0
            )
            upstream = Upstream(key, target, session, lambda _: None)
            listener = Listener(4)
            upstream.add(listener)
            upstream.start()
            item = await asyncio.wait_for(anext(listener.events()), 5)
            assert isinstance(item, End)
            assert item.errors[0]["extensions"] == {
                "code": "SUBSCRIPTION_SUBGRAPH_UNREACHABLE",
                "serviceName": "reviews",
            }

    asyncio.run(scenario())


def test_dropped_connection_is_opened_again_when_reconnects_are_configured() -> None:
    async def scenario() -> None:
        async with aiohttp.ClientSession() as session:
            key = UpstreamKey("reviews", OPERATION, None, b"{}", (), {})
            listener = Listener(8)
            async with _reviews_subgraph() as (url, live):
                started = live.stats()["started"]
                target = UpstreamTarget(
                    url, "graphql_transport_ws", None, 5.0, 20, 0.05
                )
                upstream = Upstream(key, target, session, lambda _: None)
                upstream.add(listener)
                upstream.start()
                await _until(lambda: live.stats()["active"] == 1)
            # The subgraph is gone; it comes back on the same port.
            port = int(url.rsplit(":", 1)[1].split("/")[0])
            async with _reviews_subgraph(port) as (_, live):
                await _until(lambda: live.stats()["started"] == started + 2)
                record = live.add_review("UPC-0001", "1", "Back.", 5)
                item = await asyncio.wait_for(anext(listener.events()), 5)
                assert item == {
                    "data": {"reviewAdded": {"id": record.id, "body": "Back."}}
                }
                upstream.remove(listener)
                await _until(lambda: live.stats()["active"] == 0)

    asyncio.run(scenario())
