"""Subscription clients for the end-to-end tests: graphql-transport-ws over `websockets`,
Server-Sent Events and Apollo's multipart subscriptions over raw asyncio streams, and
the reviews subgraph's subscription counters.

Every wait has a deadline; nothing sleeps to let something happen.
"""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import websockets

__all__ = [
    "WAIT",
    "WsClient",
    "http_stream",
    "reviews_stats",
    "wait_for_stats",
]

WAIT = 15.0  # seconds any one awaited thing may take before the test fails
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def reviews_stats(reviews_base: str) -> dict[str, int]:
    """The reviews subgraph's `reviewAdded` counters (`active`, `started`)."""
    with _OPENER.open(f"{reviews_base}/health", timeout=5) as response:
        stats: dict[str, int] = json.loads(response.read())["stats"]
    return stats


async def wait_for_stats(reviews_base: str, **expected: int) -> dict[str, int]:
    """Polls the counters until each named one has its value (fails after WAIT s)."""
    deadline = time.monotonic() + WAIT
    while True:
        stats = await asyncio.to_thread(reviews_stats, reviews_base)
        if all(stats[name] == value for name, value in expected.items()):
            return stats
        if time.monotonic() > deadline:
            raise AssertionError(f"reviews stats {stats}, expected {expected}")
        await asyncio.sleep(0.05)


class WsClient:
    """One graphql-transport-ws connection to the router."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws

    @classmethod
    async def connect(cls, url: str, payload: dict[str, Any] | None = None) -> WsClient:
        """Connects and initialises; raises when the router does not acknowledge."""
        ws = await websockets.connect(
            url.replace("http://", "ws://"),
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            open_timeout=WAIT,
            max_size=None,
        )
        client = cls(ws)
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        await client.send(init)
        ack = await client.receive()
        assert ack == {"type": "connection_ack"}, ack
        return client

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(
            await asyncio.wait_for(self.ws.recv(), WAIT)
        )
        return message

    async def subscribe(
        self, identifier: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        payload: dict[str, Any] = {"query": query}
        if variables:
            payload["variables"] = variables
        await self.send({"id": identifier, "type": "subscribe", "payload": payload})

    async def close(self) -> None:
        await self.ws.close()


async def http_stream(
    url: str, body: dict[str, Any], accept: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], AsyncIterator[bytes], asyncio.StreamWriter]:
    """POSTs `body` and returns the status, headers and the de-chunked body as it
    arrives (HTTP/1.1 chunked transfer), and the writer (close it to leave)."""
    parts = urlsplit(url)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(parts.hostname, parts.port), WAIT
    )
    data = json.dumps(body).encode()
    head = [
        f"POST {parts.path} HTTP/1.1",
        f"host: {parts.netloc}",
        "content-type: application/json",
        f"accept: {accept}",
        f"content-length: {len(data)}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), WAIT)
    status = int(status_line.split()[1])
    received: dict[str, str] = {}
    while True:
        line = (await asyncio.wait_for(reader.readline(), WAIT)).decode().strip()
        if not line:
            break
        name, _, value = line.partition(":")
        received[name.strip().lower()] = value.strip()

    async def chunks() -> AsyncIterator[bytes]:
        if received.get("transfer-encoding") != "chunked":
            length = int(received.get("content-length", "0"))
            yield await asyncio.wait_for(reader.readexactly(length), WAIT)
            return
        while True:
            line = await asyncio.wait_for(reader.readline(), WAIT)
            if not line:  # the server closed the connection
                return
            size = int(line.strip(), 16)
            if size == 0:
                return
            chunk = await asyncio.wait_for(reader.readexactly(size + 2), WAIT)
            yield chunk[:-2]

    return status, received, chunks(), writer
