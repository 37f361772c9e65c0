"""Subscriptions end to end: `router serve` with `subscription.enabled`, a private reviews
subgraph (its `reviewAdded` counters are this module's to read) and the shared users
and products subgraphs, so each event joins three subgraphs.

Clients: graphql-transport-ws (the `websockets` library), SSE and multipart over raw
HTTP/1.1. Every client authenticates with an API key (`authentication.router.api_keys`):
in connection_init for WebSocket, as a header over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from support.processes import (
    Service,
    get,
    post_json,
    start_router,
    start_subgraph,
    write_router_yaml,
)
from support.subscription_clients import WsClient, http_stream, wait_for_stats

from router.cli import main as router_cli

SUBSCRIBE = """
subscription OnReview($upc: String) {
  reviewAdded(productUpc: $upc) { body rating product { upc name } author { id name } }
}
"""
ADD = """
mutation($upc: String!, $author: ID!, $body: String!) {
  addReview(productUpc: $upc, authorId: $author, body: $body, rating: 4) { id }
}
"""


@pytest.fixture(scope="module")
def reviews() -> Iterator[Service]:
    service = start_subgraph("reviews")
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def api_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    store = tmp_path_factory.mktemp("keys") / "keys.json"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert (
            router_cli(["keys", "--file", str(store), "create", "--consumer", "t"]) == 0
        )
    return store, out.getvalue().split("key: ")[1].split()[0]


@pytest.fixture(scope="module")
def router(
    example_urls: dict[str, str],
    reviews: Service,
    api_key: tuple[Path, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    service = start_router(_config(example_urls, reviews, api_key, tmp_path_factory))
    try:
        yield service
    finally:
        service.stop()


def _config(
    example_urls: dict[str, str],
    reviews: Service,
    api_key: tuple[Path, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> Path:
    store, _ = api_key
    return write_router_yaml(
        tmp_path_factory.mktemp("router"),
        {**example_urls, "reviews": reviews.url},
        f"""
include_subgraph_errors:
  all: true
telemetry:
  exporters:
    metrics:
      prometheus: {{ enabled: true, listen: 127.0.0.1:0, path: /metrics }}
limits:
  max_depth: 5
authentication:
  router:
    api_keys: {{ file: "{store}", header_name: X-Api-Key }}
subscription:
  enabled: true
  legacy_websocket: true
  mode:
    passthrough:
      all:
        protocol: graphql_transport_ws
""",
    )


def _add_review(reviews: Service, upc: str, author: str, body: str) -> str:
    reply = post_json(
        reviews.url,
        {"query": ADD, "variables": {"upc": upc, "author": author, "body": body}},
        headers={"accept": "application/json"},
    )
    answer: dict[str, Any] = reply.json()
    assert "errors" not in answer, answer
    identifier: str = answer["data"]["addReview"]["id"]
    return identifier


async def _connect(router: Service, key: str) -> WsClient:
    return await WsClient.connect(router.url, {"X-Api-Key": key})


def test_websocket_event_joins_three_subgraphs(
    router: Service, reviews: Service, api_key: tuple[Path, str]
) -> None:
    async def scenario() -> None:
        client = await _connect(router, api_key[1])
        before = await wait_for_stats(reviews.base, active=0)
        await client.subscribe("s1", SUBSCRIBE, {"upc": "UPC-0002"})
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        await asyncio.to_thread(_add_review, reviews, "UPC-0002", "7", "Sturdy.")
        event = await client.receive()
        assert event["type"] == "next" and event["id"] == "s1", event
        review = event["payload"]["data"]["reviewAdded"]
        assert "errors" not in event["payload"]
        assert review["body"] == "Sturdy." and review["rating"] == 4  # reviews
        assert review["product"]["upc"] == "UPC-0002"
        assert review["product"]["name"]  # from products
        assert review["author"]["id"] == "7" and review["author"]["name"]  # users
        await client.send({"id": "s1", "type": "complete"})
        await wait_for_stats(reviews.base, active=0)
        await client.close()

    asyncio.run(scenario())


def test_alias_named_like_a_planner_field_answers_as_a_query_does(
    router: Service, reviews: Service, api_key: tuple[Path, str]
) -> None:
    """Client aliases named like a key (`upc` keys Product) or a @requires field
    (`shippingEstimate` requires `price weight`), the subscription field's own alias
    (`id`) too: each event's product is what the same selection answers as a query,
    not the client's values fed to the fetches that read the planner's (`price: sku`
    sent as the price)."""
    selection = "upc: name price: sku weight shippingEstimate"
    subscription = (
        "subscription($upc: String) { id: reviewAdded(productUpc: $upc) { "
        f"id: body product {{ {selection} }} }} }}"
    )
    query = f'{{ product(upc: "UPC-0004") {{ {selection} }} }}'
    want = post_json(
        router.url,
        {"query": query},
        headers={"X-Api-Key": api_key[1], "accept": "application/json"},
    ).json()
    assert "errors" not in want, want
    assert isinstance(want["data"]["product"]["shippingEstimate"], int), want

    async def scenario() -> None:
        client = await _connect(router, api_key[1])
        before = await wait_for_stats(reviews.base, active=0)
        await client.subscribe("a1", subscription, {"upc": "UPC-0004"})
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        await asyncio.to_thread(_add_review, reviews, "UPC-0004", "7", "Aliased.")
        event = await client.receive()
        assert event["type"] == "next" and event["id"] == "a1", event
        assert event["payload"] == {
            "data": {"id": {"id": "Aliased.", "product": want["data"]["product"]}}
        }
        await client.send({"id": "a1", "type": "complete"})
        await wait_for_stats(reviews.base, active=0)
        await client.close()

    asyncio.run(scenario())


def test_a_thousand_subscribers_share_one_subgraph_subscription_and_get_every_event(
    router: Service, reviews: Service, api_key: tuple[Path, str]
) -> None:
    """1,000 WebSocket clients on one router process, each event joined from reviews,
    products and users: every client gets every event, over one subgraph
    subscription. Deadlines are generous; nothing is timed."""
    subscribers, events = 1000, 3
    bodies = [f"n{n}" for n in range(events)]

    async def one(client: WsClient) -> list[str]:
        received = []
        while len(received) < events:
            message = await client.receive()
            assert message["type"] == "next", message
            review = message["payload"]["data"]["reviewAdded"]
            assert "errors" not in message["payload"], message
            assert review["product"]["name"] and review["author"]["name"], review
            received.append(review["body"])
        return received

    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        clients = []
        for start in range(0, subscribers, 100):  # a burst at a time, not all at once
            clients += await asyncio.gather(
                *(_connect(router, api_key[1]) for _ in range(start, start + 100))
            )
        for client in clients:
            await client.subscribe("many", SUBSCRIBE, {"upc": "UPC-0003"})
        # One subgraph subscription for all of them: it opens once...
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        # ... and every client is subscribed before the first event.
        await _wait_for_gauge(router, "api_subscriptions_open", subscribers)
        receiving = asyncio.gather(*(one(client) for client in clients))
        for body in bodies:
            await asyncio.to_thread(_add_review, reviews, "UPC-0003", "9", body)
        received = await asyncio.wait_for(receiving, 120)
        assert all(got == bodies for got in received)
        # No client opened another subgraph subscription meanwhile.
        stats = await wait_for_stats(reviews.base, active=1)
        assert stats["started"] == before["started"] + 1
        await asyncio.gather(*(client.close() for client in clients))
        await wait_for_stats(reviews.base, active=0)

    asyncio.run(scenario())


async def _wait_for_gauge(router: Service, name: str, value: float) -> None:
    deadline = time.monotonic() + 60
    while (got := (await asyncio.to_thread(_gauges, router)).get(name)) != value:
        assert time.monotonic() < deadline, f"{name} is {got}, expected {value}"
        await asyncio.sleep(0.1)


def test_client_that_disconnects_frees_the_subgraph_subscription(
    router: Service, reviews: Service, api_key: tuple[Path, str]
) -> None:
    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        client = await _connect(router, api_key[1])
        await client.subscribe("gone", SUBSCRIBE)
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        client.ws.transport.abort()  # no close handshake: the client is just gone
        await wait_for_stats(reviews.base, active=0)

    asyncio.run(scenario())


def _gauges(router: Service) -> dict[str, float]:
    """The subscription gauges on the router's Prometheus endpoint."""
    found = re.search(r"Prometheus metrics served at (http://\S+)", router.stderr())
    assert found is not None, router.stderr()
    text = get(found.group(1)).body.decode()
    return {
        name: float(value)
        for name, value in re.findall(r"^(api_subscription\S*) (\S+)$", text, re.M)
    }


def test_open_subscriptions_show_in_the_metrics(
    router: Service, reviews: Service, api_key: tuple[Path, str]
) -> None:
    upstreams = 'api_subscription_upstreams{subgraph="reviews"}'

    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        clients = [await _connect(router, api_key[1]) for _ in range(2)]
        for client in clients:
            await client.subscribe("m", SUBSCRIBE, {"upc": "UPC-0008"})
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        gauges = await asyncio.to_thread(_gauges, router)
        assert gauges["api_subscriptions_open"] == 2
        assert gauges[upstreams] == 1
        for client in clients:
            await client.close()
        await wait_for_stats(reviews.base, active=0)
        gauges = await asyncio.to_thread(_gauges, router)
        assert gauges["api_subscriptions_open"] == 0 and gauges[upstreams] == 0

    asyncio.run(scenario())


def test_connection_init_without_a_valid_key_is_refused_with_a_code(
    router: Service,
) -> None:
    async def scenario() -> None:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await WsClient.connect(router.url, {"X-Api-Key": "rk_wrong"})
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403
        assert closed.value.rcvd.reason.startswith("UNAUTHENTICATED")

    asyncio.run(scenario())


def test_subscription_over_plain_json_http_is_refused_with_a_code(
    router: Service, api_key: tuple[Path, str]
) -> None:
    reply = post_json(
        router.url,
        {"query": SUBSCRIBE},
        headers={"accept": "application/json", "x-api-key": api_key[1]},
    )
    assert reply.json()["errors"][0]["extensions"]["code"] == "INVALID_ACCEPT_HEADER"


async def _read_until(chunks: Any, done: Callable[[bytes], bool]) -> bytes:
    received = b""
    async for chunk in chunks:
        received += chunk
        if done(received):
            return received
    raise AssertionError(f"the stream ended early: {received!r}")


def _joined(review: dict[str, Any], body: str) -> None:
    assert review["body"] == body
    assert review["product"]["name"] and review["author"]["name"]


def test_sse_client_receives_joined_events_and_leaving_frees_the_subgraph(
    router: Service, reviews: Service, api_key: tuple[Path, str]
) -> None:
    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        status, headers, chunks, writer = await http_stream(
            router.url,
            {"query": SUBSCRIBE, "variables": {"upc": "UPC-0004"}},
            "text/event-stream",
            {"x-api-key": api_key[1]},
        )
        assert status == 200 and headers["content-type"].startswith("text/event-stream")
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        await asyncio.to_thread(_add_review, reviews, "UPC-0004", "3", "Over SSE.")
        received = await _read_until(chunks, lambda got: got.endswith(b"\n\n"))
        event, data = received.decode().strip().split("\n")
        assert event == "event: next"
        _joined(
            json.loads(data.removeprefix("data: "))["data"]["reviewAdded"], "Over SSE."
        )
        writer.close()
        await wait_for_stats(reviews.base, active=0)

    asyncio.run(scenario())


def test_query_asked_for_as_sse_is_one_next_event_then_complete(
    router: Service, api_key: tuple[Path, str]
) -> None:
    async def scenario() -> None:
        status, _, chunks, writer = await http_stream(
            router.url,
            {"query": '{ review(id: "review-1") { id product { upc } } }'},
            "text/event-stream",
            {"x-api-key": api_key[1]},
        )
        received = b"".join([chunk async for chunk in chunks]).decode()
        writer.close()
        assert status == 200
        next_event, complete, _ = received.split("\n\n")
        assert complete == "event: complete\ndata:"
        kind, data = next_event.split("\n")
        assert kind == "event: next"
        assert json.loads(data.removeprefix("data: "))["data"]["review"]["id"] == (
            "review-1"
        )

    asyncio.run(scenario())


def test_multipart_client_receives_joined_events_as_payloads(
    router: Service, reviews: Service, api_key: tuple[Path, str]
) -> None:
    boundary = b"\r\n--graphql\r\ncontent-type: application/json\r\n\r\n"

    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        status, headers, chunks, writer = await http_stream(
            router.url,
            {"query": SUBSCRIBE, "variables": {"upc": "UPC-0005"}},
            'multipart/mixed;subscriptionSpec="1.0", application/json',
            {"x-api-key": api_key[1]},
        )
        assert status == 200
        assert headers["content-type"] == (
            'multipart/mixed;boundary="graphql";subscriptionSpec="1.0"'
        )
        # A heartbeat part at once, then one part per event.
        assert await _read_until(chunks, lambda got: got.endswith(b"{}")) == (
            boundary + b"{}"
        )
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        await asyncio.to_thread(_add_review, reviews, "UPC-0005", "4", "In parts.")
        part = await _read_until(chunks, lambda got: got.endswith(b"}}}}"))
        parts = [p for p in part.split(boundary) if p and p != b"{}"]
        (payload,) = (json.loads(p)["payload"] for p in parts)
        _joined(payload["data"]["reviewAdded"], "In parts.")
        writer.close()
        await wait_for_stats(reviews.base, active=0)

    asyncio.run(scenario())


def test_operation_limits_apply_to_each_subscribe(
    router: Service, api_key: tuple[Path, str]
) -> None:
    deep = "subscription { reviewAdded { product { reviews { author { reviews { body } } } } } }"

    async def scenario() -> None:
        client = await _connect(router, api_key[1])
        await client.subscribe("deep", deep)
        refused = await client.receive()
        assert refused["type"] == "error" and refused["id"] == "deep", refused
        assert refused["payload"][0]["extensions"]["code"] == "MAX_DEPTH_LIMIT"
        await client.close()

    asyncio.run(scenario())


def test_legacy_subscriptions_transport_ws_client_gets_data_messages(
    router: Service, reviews: Service, api_key: tuple[Path, str]
) -> None:
    async def receive(ws: Any) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 15))
            if message["type"] != "ka":  # keep-alives come and go
                return message

    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        async with websockets.connect(
            router.url.replace("http://", "ws://"),
            subprotocols=["graphql-ws"],  # type: ignore[list-item]
        ) as ws:
            assert ws.subprotocol == "graphql-ws"
            init = {"type": "connection_init", "payload": {"X-Api-Key": api_key[1]}}
            await ws.send(json.dumps(init))
            assert await receive(ws) == {"type": "connection_ack"}
            start = {"id": "1", "type": "start", "payload": {"query": SUBSCRIBE}}
            await ws.send(json.dumps(start))
            await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
            await asyncio.to_thread(
                _add_review, reviews, "UPC-0006", "5", "Old school."
            )
            event = await receive(ws)
            assert event["type"] == "data" and event["id"] == "1", event
            _joined(event["payload"]["data"]["reviewAdded"], "Old school.")
            await ws.send(json.dumps({"id": "1", "type": "stop"}))
            await wait_for_stats(reviews.base, active=0)

    asyncio.run(scenario())


def test_config_reload_ends_subscriptions_with_apollos_code(
    router: Service, reviews: Service, api_key: tuple[Path, str]
) -> None:
    """After the metrics test: a reload may move the Prometheus listener."""
    config = Path(router.argv[router.argv.index("--config") + 1])

    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        client = await _connect(router, api_key[1])
        await client.subscribe("old", SUBSCRIBE)
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        with config.open("a", encoding="utf-8") as file:
            file.write("# touched: a new generation\n")
        last = await client.receive()
        assert last["type"] == "next" and "data" not in last["payload"], last
        (error,) = last["payload"]["errors"]
        assert error["extensions"]["code"] == "SUBSCRIPTION_CONFIG_RELOAD"
        assert await client.receive() == {"id": "old", "type": "complete"}
        await wait_for_stats(reviews.base, active=0)
        await client.close()

    asyncio.run(scenario())


def test_router_shutting_down_ends_open_subscriptions_at_once(
    example_urls: dict[str, str],
    reviews: Service,
    api_key: tuple[Path, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """uvicorn would wait `timeout_graceful_shutdown` (10 s) for an open stream."""
    own = start_router(_config(example_urls, reviews, api_key, tmp_path_factory))

    async def scenario() -> None:
        try:
            before = await wait_for_stats(reviews.base, active=0)
            _, _, chunks, writer = await http_stream(
                own.url,
                {"query": SUBSCRIBE},
                "text/event-stream",
                {"x-api-key": api_key[1]},
            )
            client = await _connect(own, api_key[1])
            await client.subscribe("ws", SUBSCRIBE, {"upc": "UPC-0007"})
            await wait_for_stats(reviews.base, active=2, started=before["started"] + 2)
            started = time.monotonic()
            own.process.terminate()
            assert [chunk async for chunk in chunks] == []  # the stream just ends
            with pytest.raises(websockets.ConnectionClosed):
                await client.receive()
            await asyncio.to_thread(own.process.wait, 10)
            assert time.monotonic() - started < 5
            writer.close()
            await wait_for_stats(reviews.base, active=0)
        finally:
            own.stop()

    asyncio.run(scenario())


# Last in the module: it kills the module's reviews subgraph.
def test_subgraph_that_dies_ends_the_subscription_with_a_code(
    router: Service, reviews: Service, api_key: tuple[Path, str]
) -> None:
    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        clients = [await _connect(router, api_key[1]) for _ in range(2)]
        for client in clients:
            await client.subscribe("doomed", SUBSCRIBE)
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        await asyncio.to_thread(reviews.kill)
        for client in clients:
            last = await client.receive()
            assert last["type"] == "next" and "data" not in last["payload"], last
            (error,) = last["payload"]["errors"]
            assert error["extensions"]["code"] == "SUBSCRIPTION_SUBGRAPH_CLOSED"
            assert error["extensions"]["serviceName"] == "reviews"
            assert await client.receive() == {"id": "doomed", "type": "complete"}
            await client.close()

    asyncio.run(scenario())
