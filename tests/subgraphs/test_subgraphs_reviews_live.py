"""`addReview` announces each new review to `reviewAdded` over graphql-transport-ws."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

SUBSCRIBE = "subscription($upc: String) { reviewAdded(productUpc: $upc) { id body rating product { upc } author { id username } } }"
ADD = """
mutation($upc: String!, $author: ID!) {
  addReview(productUpc: $upc, authorId: $author, body: "Lovely.", rating: 4) { id }
}
"""


@pytest.fixture
def reviews(start_subgraphs):
    """A private reviews process: added reviews stay in it."""
    return start_subgraphs("reviews")["reviews"]


def _stats(reviews: Any) -> dict[str, int]:
    status, body = reviews.get("/health")
    assert status == 200
    stats: dict[str, int] = json.loads(body)["stats"]
    return stats


async def _next(ws: Any) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), 10))
    return message


def test_added_review_reaches_a_subscription_and_closing_it_is_seen(reviews):
    async def scenario() -> None:
        url = reviews.url.replace("http://", "ws://")
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"]) as ws:
            await ws.send(json.dumps({"type": "connection_init"}))
            assert (await _next(ws))["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": SUBSCRIBE,
                            "variables": {"upc": "UPC-0002"},
                        },
                    }
                )
            )
            while _stats(reviews)["active"] != 1:
                await asyncio.sleep(0.02)
            other = await asyncio.to_thread(
                reviews.data, ADD, {"upc": "UPC-0001", "author": "7"}
            )
            added = await asyncio.to_thread(
                reviews.data, ADD, {"upc": "UPC-0002", "author": "7"}
            )
            event = await _next(ws)
            assert event["type"] == "next" and event["id"] == "1"
            review = event["payload"]["data"]["reviewAdded"]
            assert review["id"] == added["addReview"]["id"] != other["addReview"]["id"]
            assert review["product"] == {"upc": "UPC-0002"}
            assert review["author"]["id"] == "7" and review["author"]["username"]
            await ws.send(json.dumps({"id": "1", "type": "complete"}))
            for _ in range(500):
                if _stats(reviews)["active"] == 0:
                    break
                await asyncio.sleep(0.02)
            assert _stats(reviews) == {"active": 0, "started": 1}

    asyncio.run(scenario())
