"""`traffic_shaping.router`: the request deadline (504 `GATEWAY_TIMEOUT`) and the
concurrency limit (503 `REQUEST_CONCURRENCY_LIMITED`), over HTTP against a router whose
products subgraph is held by a proxy until the test releases it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from policy_harness import RecordingProxy, Reply, Router, post, proxy_for

from router.config import ConfigError, parse_config
from tests.support.raw_http import exchange, request_bytes

SLOW = "{ topProducts(first: 1) { upc name } }"  # products, behind the proxy
FAST = "{ me { id username } }"  # accounts, direct


@pytest.fixture
def held_products(
    router_with: Callable[..., Router], subgraphs: dict[str, str]
) -> Iterator[Callable[[str], tuple[Router, RecordingProxy]]]:
    """`start(extra)`: a router whose products subgraph holds every request until the
    test releases it."""
    with proxy_for(subgraphs["products"], [], hold=True) as proxy:

        def start(extra: str) -> tuple[Router, RecordingProxy]:
            return router_with(extra, urls={"products": proxy.url}), proxy

        yield start


def test_a_request_past_the_router_timeout_gets_504_and_the_router_serves_on(
    held_products: Callable[[str], tuple[Router, RecordingProxy]],
) -> None:
    router, products = held_products(
        "traffic_shaping:\n  router:\n    timeout: 500ms\n"
    )
    reply = post(router, SLOW)
    # The subgraph got the fetch and has not answered: the router answered at its
    # own deadline, not when the subgraph did.
    assert products.arrived.is_set() and not products.released
    assert reply.status == 504, reply.body
    error = reply.json()["errors"][0]
    assert error["extensions"]["code"] == "GATEWAY_TIMEOUT"
    products.release()
    # Requests that fit in the deadline are unaffected.
    fast = post(router, FAST)
    assert fast.status == 200 and fast.json()["data"]["me"]["id"]


def test_each_request_gets_its_whole_timeout_after_earlier_ones_finished(
    held_products: Callable[[str], tuple[Router, RecordingProxy]],
) -> None:
    # Deadlines share one timer, set for the oldest request (router.traffic.deadlines):
    # a request that started later must not be cut at an earlier one's deadline.
    router, products = held_products("traffic_shaping:\n  router:\n    timeout: 1s\n")
    assert post(router, FAST).status == 200
    time.sleep(0.5)
    started = time.monotonic()
    replies: list[Reply] = []
    slow = threading.Thread(target=lambda: replies.append(post(router, SLOW)))
    slow.start()
    assert products.arrived.wait(30), "the request never reached the subgraph"
    slow.join(30)
    waited = time.monotonic() - started
    products.release()
    assert replies and replies[0].status == 504, replies
    assert replies[0].json()["errors"][0]["extensions"]["code"] == "GATEWAY_TIMEOUT"
    assert waited >= 0.95, f"cut off after {waited:.2f} s of its 1 s"
    assert post(router, FAST).status == 200


def test_a_client_that_never_sends_its_body_is_cut_off_at_the_timeout(
    router_with: Callable[..., Router],
) -> None:
    router = router_with("traffic_shaping:\n  router:\n    timeout: 500ms\n")
    host = router.url.split("/")[2]
    head = request_bytes(
        "POST",
        "/graphql",
        host,
        headers=[("Content-Type", "application/json"), ("Content-Length", "500")],
        content_length=False,
    )
    reply = exchange(router.url, [head, b'{"query": "{ me'], timeout=5)
    assert reply.status == 504
    assert reply.json()["errors"][0]["extensions"]["code"] == "GATEWAY_TIMEOUT"
    assert post(router, FAST).status == 200


def test_requests_over_the_concurrency_limit_are_shed_with_503(
    held_products: Callable[[str], tuple[Router, RecordingProxy]],
) -> None:
    router, products = held_products(
        "traffic_shaping:\n  router:\n    concurrency_limit: 1\n"
    )
    replies: list[Reply] = []
    first = threading.Thread(target=lambda: replies.append(post(router, SLOW)))
    first.start()
    # The first request holds the only slot while the subgraph holds it.
    assert products.arrived.wait(30), "the first request never reached the subgraph"
    shed = post(router, FAST)
    products.release()
    first.join()
    assert shed.status == 503, shed.body
    assert shed.json()["errors"][0]["extensions"]["code"] == (
        "REQUEST_CONCURRENCY_LIMITED"
    )
    assert replies[0].status == 200 and replies[0].json()["data"]["topProducts"]
    # The slot is free again once the first request is done.
    assert post(router, FAST).status == 200


def test_a_deadline_or_limit_that_cannot_work_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"traffic_shaping\.router\.timeout"):
        parse_config("traffic_shaping:\n  router:\n    timeout: 0s\n")
    with pytest.raises(
        ConfigError, match=r"traffic_shaping\.router\.concurrency_limit"
    ):
        parse_config("traffic_shaping:\n  router:\n    concurrency_limit: 0\n")
