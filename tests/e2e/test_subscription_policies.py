"""Policies per subscription, end to end: `@authenticated`, `@requiresScopes` and the
per-client rate limit apply to each subscription operation as to an HTTP request.

`router serve` over the example graph, with the committed supergraph given two
authorization directives (`_protected_supergraph`): `Subscription.reviewAdded` is
`@authenticated`, and `Product.shippingEstimate` (inventory, nullable) needs the
`read:shipping` scope. Clients carry a JWT signed by a key the test made (a JWKS file):
in connection_init over graphql-transport-ws, as an Authorization header over SSE and
multipart. A private reviews subgraph shows which subscriptions reached it; a recording
proxy in front of products counts the entity fetches that complete events (with
`deduplicate_query` off, so that only sharing a completion can save one).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support.processes import (
    REPO,
    Service,
    post_json,
    start_router,
    start_subgraph,
    write_router_yaml,
)
from support.subscription_clients import WsClient, http_stream, wait_for_stats

from tests.policies.policy_harness import KeyPair, RecordingProxy

SUBSCRIBE = """
subscription Shipping($upc: String) {
  reviewAdded(productUpc: $upc) { body product { name shippingEstimate } }
}
"""
QUERY = '{ review(id: "review-1") { body product { name shippingEstimate } } }'
ADD = """
mutation($upc: String!, $body: String!) {
  addReview(productUpc: $upc, authorId: "2", body: $body, rating: 5) { id }
}
"""
SCOPE = "read:shipping"
UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"
RATE_LIMIT = 3  # operations per minute for each `x-client`


def _protected_supergraph(folder: Path) -> Path:
    """The committed supergraph with `@authenticated` on `reviewAdded` and
    `@requiresScopes` on `shippingEstimate` (edited as text, so it follows the
    example graph as it grows)."""
    text = (REPO / "supergraph.graphql").read_text(encoding="utf-8")
    edits = [
        (
            '  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)\n',
            '  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)\n'
            '  @link(url: "https://specs.apollo.dev/authenticated/v0.1", '
            "for: SECURITY)\n"
            '  @link(url: "https://specs.apollo.dev/requiresScopes/v0.1", '
            "for: SECURITY)\n",
        ),
        (
            "\ndirective @inaccessible ",
            "\ndirective @authenticated on FIELD_DEFINITION | OBJECT | INTERFACE "
            "| SCALAR | ENUM\n\ndirective @requiresScopes(scopes: "
            "[[requiresScopes__Scope!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE "
            "| SCALAR | ENUM\n\nscalar requiresScopes__Scope\n\ndirective @inaccessible ",
        ),
        (
            "  reviewAdded(productUpc: String = null): Review!\n",
            "  reviewAdded(productUpc: String = null): Review! @authenticated\n",
        ),
        (
            '  shippingEstimate: Int @join__field(graph: INVENTORY, requires: "price '
            'weight")\n',
            '  shippingEstimate: Int @join__field(graph: INVENTORY, requires: "price '
            f'weight") @requiresScopes(scopes: [["{SCOPE}"]])\n',
        ),
    ]
    for old, new in edits:
        assert text.count(old) == 1, f"supergraph.graphql changed: {old!r}"
        text = text.replace(old, new)
    path = folder / "supergraph.graphql"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return KeyPair("ec", "subs-1")


@pytest.fixture(scope="module")
def reviews() -> Iterator[Service]:
    service = start_subgraph("reviews")
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture(scope="module")
def products() -> Iterator[RecordingProxy]:
    """Records the requests the router sends products (set up in `router`)."""
    proxy = RecordingProxy("", [])
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture(scope="module")
def router(
    example_urls: dict[str, str],
    reviews: Service,
    products: RecordingProxy,
    key: KeyPair,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    products.target = example_urls["products"]
    folder = tmp_path_factory.mktemp("router")
    jwks = folder / "jwks.json"
    jwks.write_text(json.dumps({"keys": [key.jwk]}), encoding="utf-8")
    config = write_router_yaml(
        folder,
        {**example_urls, "reviews": reviews.url, "products": products.url},
        f"""
traffic_shaping:
  all: {{ deduplicate_query: false }}
headers:
  subgraphs:
    products:
      request:
        - propagate: {{ named: x-tenant }}
authentication:
  router:
    jwt:
      jwks:
        - url: {jwks.as_uri()}
ratelimit:
  clients:
    - name: per_client
      key: {{ by: header, name: x-client }}
      limits: [ {{ capacity: {RATE_LIMIT}, interval: 1m }} ]
subscription:
  enabled: true
  mode:
    passthrough:
      all:
        protocol: graphql_transport_ws
""",
        supergraph=_protected_supergraph(folder),
    )
    service = start_router(config)
    try:
        yield service
    finally:
        service.stop()


def _headers(key: KeyPair, client: str, scope: str | None) -> dict[str, str]:
    """A client's headers: its rate-limit key, and a JWT (with `scope`) unless None
    is asked for with scope "anonymous"."""
    headers = {"x-client": client}
    if scope != "anonymous":
        claims = {} if scope is None else {"scope": scope}
        headers["Authorization"] = f"Bearer {key.token(claims)}"
    return headers


def _add_review(reviews: Service, upc: str, body: str) -> None:
    reply = post_json(
        reviews.url,
        {"query": ADD, "variables": {"upc": upc, "body": body}},
        headers={"accept": "application/json"},
    )
    assert "errors" not in reply.json(), reply.body


def _http_query(router: Service, headers: dict[str, str]) -> dict[str, Any]:
    reply = post_json(
        router.url, {"query": QUERY}, headers={"accept": "application/json", **headers}
    )
    answer: dict[str, Any] = reply.json()
    return answer


def _codes_and_paths(body: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    return [
        (error["extensions"]["code"], error.get("path"))
        for error in body.get("errors", [])
    ]


def test_anonymous_websocket_subscription_to_authenticated_field_is_nulled_as_http(
    router: Service, reviews: Service, key: KeyPair
) -> None:
    headers = _headers(key, "anon-ws", "anonymous")

    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        client = await WsClient.connect(router.url, {"headers": headers})
        await client.subscribe("anon", SUBSCRIBE, {"upc": "UPC-0001"})
        answer = await client.receive()
        assert answer["type"] == "next" and answer["id"] == "anon", answer
        assert answer["payload"]["data"] is None
        assert _codes_and_paths(answer["payload"]) == [(UNAUTHORIZED, ["reviewAdded"])]
        assert await client.receive() == {"id": "anon", "type": "complete"}
        # Nothing was opened on the subgraph for it.
        stats = await wait_for_stats(reviews.base, active=0)
        assert stats["started"] == before["started"]
        await client.close()

    asyncio.run(scenario())


def test_anonymous_sse_and_multipart_subscriptions_are_nulled_with_the_code(
    router: Service, reviews: Service, key: KeyPair
) -> None:
    headers = _headers(key, "anon-http", "anonymous")

    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        for accept in ("text/event-stream", 'multipart/mixed;subscriptionSpec="1.0"'):
            status, _, chunks, writer = await http_stream(
                router.url, {"query": SUBSCRIBE}, accept, headers
            )
            received = b"".join([chunk async for chunk in chunks]).decode()
            writer.close()
            assert status == 200, received
            assert UNAUTHORIZED in received and '"data":null' in received, received
        stats = await wait_for_stats(reviews.base, active=0)
        assert stats["started"] == before["started"]

    asyncio.run(scenario())


_BOUNDARY = b"\r\n--graphql\r\ncontent-type: application/json\r\n\r\n"


def _events(received: bytes) -> list[dict[str, Any]]:
    """The complete event payloads in an SSE or multipart stream read so far."""
    if received.startswith(_BOUNDARY):
        parts = [json.loads(p) for p in received.split(_BOUNDARY)[1:] if _whole(p)]
        return [part["payload"] for part in parts if "payload" in part]
    return [
        json.loads(block.split("data: ", 1)[1])
        for block in received.decode().split("\n\n")[:-1]
        if block.startswith("event: next")
    ]


def _whole(part: bytes) -> bool:
    try:
        json.loads(part)
    except ValueError:
        return False
    return True


def _shipping(payload: dict[str, Any]) -> dict[str, Any]:
    product: dict[str, Any] = payload["data"]["reviewAdded"]["product"]
    return product


def test_websocket_events_without_the_scope_null_the_field_as_http_does(
    router: Service, reviews: Service, key: KeyPair
) -> None:
    """One client with the scope, one without, on one subgraph subscription: each
    gets its own answer, the one without as an HTTP query without the scope would."""
    plain = _headers(key, "ws-plain", None)
    scoped = _headers(key, "ws-scoped", SCOPE)
    over_http = _http_query(router, plain)
    assert _codes_and_paths(over_http) == [
        (UNAUTHORIZED, ["review", "product", "shippingEstimate"])
    ]
    assert over_http["data"]["review"]["product"]["shippingEstimate"] is None

    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        without = await WsClient.connect(router.url, {"headers": plain})
        with_scope = await WsClient.connect(router.url, {"headers": scoped})
        await without.subscribe("s", SUBSCRIBE, {"upc": "UPC-0002"})
        await with_scope.subscribe("s", SUBSCRIBE, {"upc": "UPC-0002"})
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        await asyncio.to_thread(_add_review, reviews, "UPC-0002", "Scoped.")
        denied = (await without.receive())["payload"]
        assert _codes_and_paths(denied) == [
            (UNAUTHORIZED, ["reviewAdded", "product", "shippingEstimate"])
        ]
        assert _shipping(denied)["shippingEstimate"] is None
        assert _shipping(denied)["name"]  # the rest of the event is there
        allowed = (await with_scope.receive())["payload"]
        assert "errors" not in allowed, allowed
        assert isinstance(_shipping(allowed)["shippingEstimate"], int)
        assert _shipping(allowed)["name"] == _shipping(denied)["name"]
        await without.close()
        await with_scope.close()
        await wait_for_stats(reviews.base, active=0)

    asyncio.run(scenario())


@pytest.mark.parametrize(
    "accept", ["text/event-stream", 'multipart/mixed;subscriptionSpec="1.0"']
)
def test_http_subscription_with_the_scope_gets_events(
    router: Service, reviews: Service, key: KeyPair, accept: str
) -> None:
    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        status, _, chunks, writer = await http_stream(
            router.url,
            {"query": SUBSCRIBE, "variables": {"upc": "UPC-0003"}},
            accept,
            _headers(key, f"http-{accept[:4]}", SCOPE),
        )
        assert status == 200
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        await asyncio.to_thread(_add_review, reviews, "UPC-0003", "Over HTTP.")
        received = b""
        async for chunk in chunks:
            received += chunk
            if _events(received):
                break
        (payload,) = _events(received)
        assert "errors" not in payload, payload
        assert isinstance(_shipping(payload)["shippingEstimate"], int)
        writer.close()
        await wait_for_stats(reviews.base, active=0)

    asyncio.run(scenario())


def test_rate_limit_refuses_a_subscribe_past_it_without_dropping_the_socket(
    router: Service, reviews: Service, key: KeyPair
) -> None:
    headers = _headers(key, "ws-limited", SCOPE)

    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        client = await WsClient.connect(router.url, {"headers": headers})
        # connection_init went through the router stage once: it counts as one.
        for n in range(RATE_LIMIT - 1):
            await client.subscribe(f"ok{n}", SUBSCRIBE, {"upc": "UPC-0004"})
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        await client.subscribe("over", SUBSCRIBE, {"upc": "UPC-0004"})
        refused = await client.receive()
        assert refused["type"] == "error" and refused["id"] == "over", refused
        assert refused["payload"][0]["extensions"]["code"] == "REQUEST_RATE_LIMITED"
        # The socket stays up, and the subscriptions within the limit still run.
        await client.send({"type": "ping"})
        assert await client.receive() == {"type": "pong"}
        await asyncio.to_thread(_add_review, reviews, "UPC-0004", "Still here.")
        got = {(await client.receive())["id"] for _ in range(RATE_LIMIT - 1)}
        assert got == {f"ok{n}" for n in range(RATE_LIMIT - 1)}
        # Another client has a budget of its own.
        other = await WsClient.connect(
            router.url, {"headers": _headers(key, "ws-other", SCOPE)}
        )
        await other.subscribe("fine", SUBSCRIBE, {"upc": "UPC-0004"})
        await asyncio.to_thread(_add_review, reviews, "UPC-0004", "Other.")
        assert (await other.receive())["id"] == "fine"
        await client.close()
        await other.close()
        await wait_for_stats(reviews.base, active=0)

    asyncio.run(scenario())


def test_rate_limit_refuses_an_sse_subscribe_past_it_with_429(
    router: Service, key: KeyPair
) -> None:
    headers = _headers(key, "sse-limited", SCOPE)

    async def scenario() -> None:
        writers = []
        for _ in range(RATE_LIMIT):
            status, _, _, writer = await http_stream(
                router.url, {"query": SUBSCRIBE}, "text/event-stream", headers
            )
            writers.append(writer)
            assert status == 200
        status, response_headers, chunks, writer = await http_stream(
            router.url, {"query": SUBSCRIBE}, "text/event-stream", headers
        )
        body = b"".join([chunk async for chunk in chunks])
        writer.close()
        assert status == 429 and "retry-after" in response_headers
        assert json.loads(body)["errors"][0]["extensions"]["code"] == (
            "REQUEST_RATE_LIMITED"
        )
        for open_writer in writers:
            open_writer.close()

    asyncio.run(scenario())


def _entity_fetches(products: RecordingProxy, tenant: str | None = None) -> int:
    """Requests products got so far (from `tenant`'s clients, when given)."""
    return sum(
        1
        for headers in list(products.recorded.headers)
        if tenant is None or ("x-tenant", tenant) in headers
    )


async def _receive_events(client: WsClient, count: int) -> list[dict[str, Any]]:
    payloads = []
    while len(payloads) < count:
        message = await client.receive()
        assert message["type"] == "next", message
        payloads.append(message["payload"])
    return payloads


def test_each_event_is_completed_once_for_clients_that_get_the_same_answer(
    router: Service, reviews: Service, products: RecordingProxy, key: KeyPair
) -> None:
    subscribers, events = 20, 3

    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        clients = await asyncio.gather(
            *(
                WsClient.connect(
                    router.url,
                    {"headers": {**_headers(key, f"same-{n}", SCOPE), "x-tenant": "a"}},
                )
                for n in range(subscribers)
            )
        )
        for client in clients:
            await client.subscribe("same", SUBSCRIBE, {"upc": "UPC-0005"})
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        fetched = _entity_fetches(products)
        receiving = asyncio.gather(*(_receive_events(c, events) for c in clients))
        for n in range(events):
            await asyncio.to_thread(_add_review, reviews, "UPC-0005", f"same {n}")
        received = await asyncio.wait_for(receiving, 60)
        for payloads in received:
            assert [p["data"]["reviewAdded"]["body"] for p in payloads] == [
                f"same {n}" for n in range(events)
            ]
            assert all(
                isinstance(_shipping(p)["shippingEstimate"], int) for p in payloads
            )
            assert all("errors" not in p for p in payloads)
        # One products fetch per event for all twenty, not twenty.
        assert _entity_fetches(products) - fetched == events
        await asyncio.gather(*(client.close() for client in clients))
        await wait_for_stats(reviews.base, active=0)

    asyncio.run(scenario())


def test_clients_with_other_scopes_or_headers_get_their_own_completion(
    router: Service, reviews: Service, products: RecordingProxy, key: KeyPair
) -> None:
    """Three kinds of client on one subgraph subscription: with the scope in tenant
    a, without it in tenant a, with it in tenant b (x-tenant goes to products)."""
    kinds = {"scoped-a": (SCOPE, "a"), "plain-a": (None, "a"), "scoped-b": (SCOPE, "b")}
    each = 3

    async def scenario() -> None:
        before = await wait_for_stats(reviews.base, active=0)
        clients: dict[str, list[WsClient]] = {}
        for kind, (scope, tenant) in kinds.items():
            clients[kind] = [
                await WsClient.connect(
                    router.url,
                    {
                        "headers": {
                            **_headers(key, f"{kind}-{n}", scope),
                            "x-tenant": tenant,
                        }
                    },
                )
                for n in range(each)
            ]
            for client in clients[kind]:
                await client.subscribe("mixed", SUBSCRIBE, {"upc": "UPC-0006"})
        await wait_for_stats(reviews.base, active=1, started=before["started"] + 1)
        fetched = {tenant: _entity_fetches(products, tenant) for tenant in ("a", "b")}
        await asyncio.to_thread(_add_review, reviews, "UPC-0006", "Mixed.")
        for kind, (scope, _) in kinds.items():
            for client in clients[kind]:
                (payload,) = await _receive_events(client, 1)
                estimate = _shipping(payload)["shippingEstimate"]
                assert _shipping(payload)["name"]
                if scope is None:
                    assert estimate is None
                    assert _codes_and_paths(payload) == [
                        (UNAUTHORIZED, ["reviewAdded", "product", "shippingEstimate"])
                    ]
                else:
                    assert isinstance(estimate, int) and "errors" not in payload
        # One completion per kind: tenant a's two (scoped, plain), tenant b's one.
        assert _entity_fetches(products, "a") - fetched["a"] == 2
        assert _entity_fetches(products, "b") - fetched["b"] == 1
        for group in clients.values():
            for client in group:
                await client.close()
        await wait_for_stats(reviews.base, active=0)

    asyncio.run(scenario())
