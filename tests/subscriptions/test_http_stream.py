"""SSE and multipart framing of a subscription's events (`router.subscriptions.http_stream`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from typing import Any

from router.subscriptions.http_stream import stream_kind, write_stream

BOUNDARY = b"\r\n--graphql\r\ncontent-type: application/json\r\n\r\n"


def _written(
    kind: Any, bodies: list[dict[str, Any]], gap: float = 0.0, heartbeat: float = 5.0
) -> bytes:
    async def events() -> AsyncGenerator[dict[str, Any], None]:
        for body in bodies:
            await asyncio.sleep(gap)
            yield body

    async def run() -> bytes:
        sent: list[dict[str, Any]] = []

        async def send(message: Any) -> None:
            sent.append(message)

        async def receive() -> dict[str, Any]:
            await asyncio.Event().wait()  # the client never leaves
            return {}

        await write_stream(kind, events(), [], receive, send, heartbeat)
        return b"".join(m.get("body", b"") for m in sent)

    return asyncio.run(run())


def test_accept_headers_pick_the_stream_format() -> None:
    assert stream_kind("text/event-stream") == "sse"
    assert stream_kind('multipart/mixed;subscriptionSpec="1.0",application/json') == (
        "multipart"
    )
    assert stream_kind("multipart/mixed;deferSpec=20220824") is None
    assert stream_kind("application/json") is None


def test_sse_events_are_next_then_complete() -> None:
    written = _written("sse", [{"data": {"n": 1}}])
    assert (
        written == b'event: next\ndata: {"data":{"n":1}}\n\nevent: complete\ndata:\n\n'
    )


def test_multipart_sends_heartbeats_while_idle_and_errors_as_a_null_payload() -> None:
    written = _written(
        "multipart",
        [{"data": {"n": 1}}, {"errors": [{"message": "gone"}]}],
        gap=0.25,
        heartbeat=0.1,
    )
    parts = written.removesuffix(b"\r\n--graphql--\r\n").split(BOUNDARY)[1:]
    assert parts.count(b"{}") >= 3  # one at once, then while waiting
    assert [p for p in parts if p != b"{}"] == [
        b'{"payload":{"data":{"n":1}}}',
        b'{"payload":null,"errors":[{"message":"gone"}]}',
    ]


def test_sse_sends_comment_heartbeats_while_idle() -> None:
    written = _written("sse", [{"data": {"n": 1}}], gap=0.25, heartbeat=0.1)
    heartbeats, _, rest = written.partition(b"event: next")
    assert heartbeats.count(b":\n\n") >= 2 and heartbeats.replace(b":\n\n", b"") == b""
    assert rest.endswith(b"event: complete\ndata:\n\n")
