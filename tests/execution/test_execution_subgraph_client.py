"""SubgraphClient limits: concurrent requests per subgraph, and endpoint swaps."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from router.execution import SubgraphClient, SubgraphEndpoint, SubgraphRequestError


async def test_requests_beyond_max_connections_wait_their_turn(
    loopback_app: Any,
) -> None:
    active = 0
    peak = 0

    async def slow(request: web.Request) -> web.Response:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.05)
        active -= 1
        return web.json_response({"data": {"ok": True}})

    url = await loopback_app(slow)
    client = SubgraphClient({"s": SubgraphEndpoint("s", url, max_connections=2)})
    try:
        answers = await asyncio.gather(
            *(client.post("s", {"query": "{ok}"}) for _ in range(6))
        )
    finally:
        await client.close()

    assert [a.body for a in answers] == [{"data": {"ok": True}}] * 6
    assert peak == 2


async def test_unknown_subgraph_and_swapped_endpoints(loopback_app: Any) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.json_response({"data": {"who": request.headers["x-who"]}})

    url = await loopback_app(answer)
    client = SubgraphClient({})
    try:
        with pytest.raises(SubgraphRequestError) as raised:
            await client.post("s", {"query": "{who}"})
        assert raised.value.code == "SUBREQUEST_HTTP_ERROR"

        client.update_endpoints({"s": SubgraphEndpoint("s", url)})
        response = await client.post("s", {"query": "{who}"}, {"x-who": "me"})
    finally:
        await client.close()

    assert response.status == 200
    assert response.body == {"data": {"who": "me"}}


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"[1, 2]", 200), (b'"text"', 200), (b'{"data": [1]}', 200), (b"", 200)],
)
async def test_bodies_that_are_not_graphql_responses_are_malformed(
    loopback_app: Any, body: bytes, status: int
) -> None:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(body=body, status=status, content_type="application/json")

    client = SubgraphClient({"s": SubgraphEndpoint("s", await loopback_app(answer))})
    try:
        with pytest.raises(SubgraphRequestError) as raised:
            await client.post("s", {"query": "{x}"})
    finally:
        await client.close()

    assert raised.value.code == "SUBREQUEST_MALFORMED_RESPONSE"


async def test_caller_headers_pass_but_cannot_break_the_request(
    loopback_app: Any,
) -> None:
    async def echo(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response(
            {
                "data": {
                    "auth": request.headers.get("authorization"),
                    "type": request.headers.get("content-type"),
                    "query": body["query"],
                }
            }
        )

    client = SubgraphClient({"s": SubgraphEndpoint("s", await loopback_app(echo))})
    headers = {
        "Authorization": "Bearer t",
        "Content-Type": "text/plain",
        "Content-Length": "3",
    }
    try:
        response = await client.post("s", {"query": "{long enough}"}, headers)
    finally:
        await client.close()

    assert response.body["data"] == {
        "auth": "Bearer t",
        "type": "application/json",
        "query": "{long enough}",
    }
