"""The router's side of a callback subscription (`router.subscriptions.callback_upstream`)
against subgraphs served in this process by aiohttp on loopback: what reaches the
listeners when the subgraph refuses, cannot be reached, or answers and calls back."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import orjson
from aiohttp import web
from support.ports import refusing_url

from router.subscriptions.callback import CallbackRegistry
from router.subscriptions.callback_upstream import (
    CALLBACK_ACCEPT,
    CallbackTarget,
    CallbackUpstream,
)
from router.subscriptions.listener import End, Listener
from router.subscriptions.upstream import UpstreamKey

KEY = UpstreamKey(
    "reviews",
    "subscription($upc: String) { reviewAdded(productUpc: $upc) { id } }",
    None,
    orjson.dumps({"upc": "UPC-0001"}),
    (("authorization", "Bearer t"),),
    {"authorization": "Bearer t"},
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@contextlib.asynccontextmanager
async def _subgraph(handler: Handler) -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/graphql", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        await runner.cleanup()


async def _end_of(listener: Listener) -> End:
    async def last() -> End:
        async for item in listener.events():
            if isinstance(item, End):
                return item
        raise AssertionError("no end")

    return await asyncio.wait_for(last(), 5)


def _run(
    handler: Handler, heartbeat: float | None = None
) -> tuple[End, CallbackRegistry]:
    registry = CallbackRegistry()

    async def scenario() -> End:
        async with _subgraph(handler) as url, aiohttp.ClientSession() as session:
            target = CallbackTarget(url, "http://router.test/callback", heartbeat, 5.0)
            upstream = CallbackUpstream(KEY, target, session, lambda _: None, registry)
            listener = Listener(8)
            upstream.add(listener)
            upstream.start()
            return await _end_of(listener)

    return asyncio.run(scenario()), registry


def test_the_request_carries_the_callback_extension_headers_and_accept() -> None:
    seen: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.Response:
        seen["body"] = await request.json()
        seen["accept"] = request.headers["accept"]
        seen["authorization"] = request.headers["authorization"]
        return web.json_response({"errors": [{"message": "no more"}]})

    _run(handler, heartbeat=0.5)
    body = seen["body"]
    spec = body["extensions"]["subscription"]
    assert (
        spec["callbackUrl"] == f"http://router.test/callback/{spec['subscriptionId']}"
    )
    assert spec["heartbeatIntervalMs"] == 500
    assert len(spec["verifier"]) == 64  # hex HMAC-SHA256
    assert body["query"] == KEY.operation and body["variables"] == {"upc": "UPC-0001"}
    assert (seen["accept"], seen["authorization"]) == (CALLBACK_ACCEPT, "Bearer t")


def test_a_subgraph_refusing_with_graphql_errors_ends_with_them() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(
            {"data": None, "errors": [{"message": "Not allowed", "extensions": {}}]}
        )

    end, registry = _run(handler)
    (error,) = end.errors
    assert error["message"] == "Not allowed"
    assert error["extensions"]["serviceName"] == "reviews"
    assert len(registry) == 0  # the id is forgotten: later callbacks get 404


def test_a_subgraph_answering_an_http_error_ends_it_unreachable() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=400, text="callbacks? never heard of them")

    end, _ = _run(handler)
    (error,) = end.errors
    assert error["extensions"] == {
        "code": "SUBSCRIPTION_SUBGRAPH_UNREACHABLE",
        "serviceName": "reviews",
    }
    assert "HTTP 400" in error["message"]


def test_an_unreachable_subgraph_ends_it_unreachable() -> None:
    async def scenario() -> End:
        async with aiohttp.ClientSession() as session:
            target = CallbackTarget(refusing_url(), "http://r/cb", None, 5.0)
            upstream = CallbackUpstream(KEY, target, session, lambda _: None)
            listener = Listener(8)
            upstream.add(listener)
            upstream.start()
            return await _end_of(listener)

    (error,) = asyncio.run(scenario()).errors
    assert error["extensions"]["code"] == "SUBSCRIPTION_SUBGRAPH_UNREACHABLE"


def test_a_subgraph_silent_after_answering_misses_its_heartbeat() -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response({"data": None})

    end, registry = _run(handler, heartbeat=0.1)
    (error,) = end.errors
    assert error["extensions"]["code"] == "SUBSCRIPTION_HEARTBEAT_MISSED"
    assert len(registry) == 0
