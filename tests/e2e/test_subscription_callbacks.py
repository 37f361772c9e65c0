"""Subscriptions in Apollo's HTTP callback mode, end to end: `router serve` with
`subscription.mode.callback`, the reviews subgraph speaking the callback protocol
(`fakes/callback_subgraph.py`, a real aiohttp server) and the shared users and products
subgraphs, so each event is joined across three subgraphs as a WebSocket event is.

The callback endpoint listens on a port of its own (`callback.listen`), which the
router's `public_url` names; heartbeats every 500 ms, so a missed one shows within a
second.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from support.oracle import require_oracle
from support.processes import (
    REPO,
    Service,
    post_json,
    start_fakes,
    start_router,
    write_router_yaml,
)
from support.subscription_clients import (
    WAIT,
    WsClient,
    http_stream,
    reviews_stats,
    wait_for_stats,
)

FAKE = Path(__file__).parent / "fakes" / "callback_subgraph.py"
SUBSCRIBE = """
subscription OnReview($upc: String) {
  reviewAdded(productUpc: $upc) { body product { upc name } author { id name } }
}
"""
ADD = """
mutation($upc: String!, $author: ID!, $body: String!) {
  addReview(productUpc: $upc, authorId: $author, body: $body, rating: 4) { id }
}
"""


@pytest.fixture(scope="module")
def reviews() -> Iterator[Service]:
    (service,) = start_fakes(FAKE, [])
    try:
        yield service
    finally:
        service.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def router(
    example_urls: dict[str, str],
    reviews: Service,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    port = _free_port()
    config = write_router_yaml(
        tmp_path_factory.mktemp("router"),
        {**example_urls, "reviews": reviews.url},
        f"""
include_subgraph_errors:
  all: true
subscription:
  enabled: true
  mode:
    callback:
      public_url: http://127.0.0.1:{port}/callback
      listen: 127.0.0.1:{port}
      heartbeat_interval: 500ms
      subgraphs: [reviews]
""",
    )
    service = start_router(config)
    try:
        yield service
    finally:
        service.stop()


def _add_review(reviews: Service, upc: str, body: str) -> None:
    reply = post_json(
        reviews.url,
        {"query": ADD, "variables": {"upc": upc, "author": "7", "body": body}},
    )
    assert "errors" not in reply.json(), reply.json()


def _control(reviews: Service, **knobs: Any) -> None:
    assert post_json(reviews.base + "/control", knobs).json() == {"ok": True}


async def _answered(reviews: Service, what: Callable[[dict[str, int]], bool]) -> None:
    """Waits until the router's answers to the subgraph's callbacks satisfy `what`."""
    deadline = time.monotonic() + WAIT
    while True:
        answers = (await asyncio.to_thread(reviews_stats, reviews.base))["answers"]
        if what(answers):  # type: ignore[arg-type]
            return
        assert time.monotonic() < deadline, answers
        await asyncio.sleep(0.05)


async def _sse_event(chunks: AsyncIterator[bytes]) -> dict[str, Any]:
    received = b""
    async for chunk in chunks:
        received += chunk
        if received.endswith(b"\n\n") and b"event: next" in received:
            break
    data = received.decode().split("event: next\ndata: ", 1)[1].strip()
    event: dict[str, Any] = json.loads(data)
    return event


def test_callback_event_joins_three_subgraphs_for_websocket_and_sse_clients(
    router: Service, reviews: Service
) -> None:
    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        client = await WsClient.connect(router.url)
        await client.subscribe("s1", SUBSCRIBE, {"upc": "UPC-0002"})
        status, _, chunks, writer = await http_stream(
            router.url,
            {"query": SUBSCRIBE, "variables": {"upc": "UPC-0002"}},
            "text/event-stream",
        )
        assert status == 200
        # Deduplication: the two clients share one callback subscription.
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        await asyncio.to_thread(_add_review, reviews, "UPC-0002", "Over callbacks.")
        event = await client.receive()
        assert event["type"] == "next" and event["id"] == "s1", event
        review = event["payload"]["data"]["reviewAdded"]
        assert review["body"] == "Over callbacks."
        assert review["product"]["upc"] == "UPC-0002" and review["product"]["name"]
        assert review["author"]["id"] == "7" and review["author"]["name"]
        assert "errors" not in event["payload"]
        assert await _sse_event(chunks) == event["payload"]
        await client.close()
        writer.close()
        await wait_for_stats(reviews.base, active=0)

    asyncio.run(scenario())


def test_forged_verifier_is_refused_and_its_event_never_reaches_the_client(
    router: Service, reviews: Service
) -> None:
    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        client = await WsClient.connect(router.url)
        await client.subscribe("forged", SUBSCRIBE, {"upc": "UPC-0003"})
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        await asyncio.to_thread(_control, reviews, verifier="forged")
        try:
            await asyncio.to_thread(_add_review, reviews, "UPC-0003", "Forged.")
            await _answered(reviews, lambda answers: answers.get("next 401", 0) >= 1)
        finally:
            await asyncio.to_thread(_control, reviews, verifier="own")
        # The refused subgraph stops; its silence ends the subscription, and the
        # forged event is not among what the client got.
        last = await client.receive()
        assert last["type"] == "next" and "data" not in last["payload"], last
        (error,) = last["payload"]["errors"]
        assert error["extensions"]["code"] == "SUBSCRIPTION_HEARTBEAT_MISSED"
        assert await client.receive() == {"id": "forged", "type": "complete"}
        await client.close()

    asyncio.run(scenario())


def test_missed_heartbeat_ends_the_client_subscription_with_its_code(
    router: Service, reviews: Service
) -> None:
    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        await asyncio.to_thread(_control, reviews, heartbeats=False)
        try:
            client = await WsClient.connect(router.url)
            await client.subscribe("quiet", SUBSCRIBE, {"upc": "UPC-0004"})
            await wait_for_stats(reviews.base, started=before["started"] + 1)
            last = await client.receive()
        finally:
            await asyncio.to_thread(_control, reviews, heartbeats=True)
        assert last["type"] == "next" and "data" not in last["payload"], last
        (error,) = last["payload"]["errors"]
        assert error["extensions"] == {
            "code": "SUBSCRIPTION_HEARTBEAT_MISSED",
            "serviceName": "reviews",
        }
        assert await client.receive() == {"id": "quiet", "type": "complete"}
        await client.close()
        # Its heartbeats back, the subgraph hears 404 and stops.
        await wait_for_stats(reviews.base, active=0)

    asyncio.run(scenario())


def test_client_leaving_gets_the_subgraphs_next_message_a_404_and_it_stops(
    router: Service, reviews: Service
) -> None:
    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        refused = (await asyncio.to_thread(reviews_stats, reviews.base))["answers"]
        status, _, _, writer = await http_stream(
            router.url,
            {"query": SUBSCRIBE, "variables": {"upc": "UPC-0005"}},
            'multipart/mixed;subscriptionSpec="1.0", application/json',
        )
        assert status == 200
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        writer.close()
        await asyncio.to_thread(_add_review, reviews, "UPC-0005", "Nobody reads this.")
        await wait_for_stats(reviews.base, active=0)
        await _answered(
            reviews,
            lambda answers: (
                answers.get("next 404", 0) + answers.get("check 404", 0)
                > refused.get("next 404", 0) + refused.get("check 404", 0)
            ),  # type: ignore[union-attr]
        )

    asyncio.run(scenario())


def test_subgraph_complete_completes_every_client(
    router: Service, reviews: Service
) -> None:
    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        client = await WsClient.connect(router.url)
        await client.subscribe("done", SUBSCRIBE, {"upc": "UPC-0006"})
        status, _, chunks, writer = await http_stream(
            router.url,
            {"query": SUBSCRIBE, "variables": {"upc": "UPC-0006"}},
            "text/event-stream",
        )
        assert status == 200
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        await asyncio.to_thread(_control, reviews, complete=True)
        assert await client.receive() == {"id": "done", "type": "complete"}
        rest = b"".join([chunk async for chunk in chunks]).decode()
        assert rest.strip().endswith("event: complete\ndata:"), rest
        await _answered(reviews, lambda answers: answers.get("complete 202", 0) >= 1)
        writer.close()
        await client.close()

    asyncio.run(scenario())


def test_callbacks_are_served_on_the_routers_own_listener_by_default(
    example_urls: dict[str, str],
    reviews: Service,
    tmp_path: Path,
) -> None:
    port = _free_port()
    config = write_router_yaml(
        tmp_path,
        {**example_urls, "reviews": reviews.url},
        f"""
subscription:
  enabled: true
  mode:
    callback:
      public_url: http://127.0.0.1:{port}/hooks
      path: /hooks
      heartbeat_interval: 1s
""",
    )
    own = Service(
        [
            *(sys.executable, "-m", "router.cli", "serve"),
            *("--config", str(config), "--listen", f"127.0.0.1:{port}"),
        ],
        r"router serving (http://\S+)",
        cwd=tmp_path,
    ).started()

    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        client = await WsClient.connect(own.url)
        await client.subscribe("own", SUBSCRIBE, {"upc": "UPC-0007"})
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        await asyncio.to_thread(_add_review, reviews, "UPC-0007", "Same port.")
        event = await client.receive()
        review = event["payload"]["data"]["reviewAdded"]
        assert review["body"] == "Same port." and review["product"]["name"]
        await client.close()
        await wait_for_stats(reviews.base, active=0)

    try:
        own.wait_healthy("/health?ready")
        asyncio.run(scenario())
    finally:
        own.stop()


def test_apollo_servers_callback_plugin_streams_joined_events_to_the_client(
    example_urls: dict[str, str], tmp_path: Path
) -> None:
    """Apollo Server's subscription callback plugin, the subgraph side Apollo Router's
    callback mode is made for: its check, heartbeats, events and complete all pass."""
    node = require_oracle()
    subgraph = Service(
        [node, str(REPO / "oracle" / "apollo_server_callback_subgraph.mjs")],
        r"apollo server subgraph on (http://\S+)",
    ).started()
    port = _free_port()
    config = tmp_path / "router.yaml"
    config.write_text(
        f"""
subgraphs:
  products:
    routing_url: {example_urls["products"]}
    schema: {{ file: {json.dumps(str(REPO / "subgraphs/products/schema.graphql"))} }}
  ticker:
    routing_url: {subgraph.url}
    schema: {{ file: {json.dumps(str(FAKE.parent / "apollo_ticker.graphql"))} }}
subscription:
  enabled: true
  mode:
    callback:
      public_url: http://127.0.0.1:{port}/callback
      listen: 127.0.0.1:{port}
      heartbeat_interval: 200ms
"""
    )

    async def scenario(router: Service) -> None:
        client = await WsClient.connect(router.url)
        await client.subscribe(
            "ticks",
            'subscription { productTicks(upcs: ["UPC-0001", "UPC-0002"]) '
            "{ upc name } }",
        )
        for upc in ("UPC-0001", "UPC-0002"):
            event = await client.receive()
            assert event["type"] == "next", event
            assert "errors" not in event["payload"], event
            tick = event["payload"]["data"]["productTicks"]
            assert tick["upc"] == upc and tick["name"]
        assert await client.receive() == {"id": "ticks", "type": "complete"}
        await client.close()

    try:
        router = start_router(config)
        try:
            asyncio.run(scenario(router))
        finally:
            router.stop()
    finally:
        subgraph.stop()
