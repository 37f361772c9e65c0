"""`traffic_shaping.router`: the request deadline (504 `GATEWAY_TIMEOUT`) and the
concurrency limit (503 `REQUEST_CONCURRENCY_LIMITED`), over HTTP against a router whose
products subgraph answers slowly through a delaying proxy."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from policy_harness import Reply, Router, post, proxy_for

from router.config import ConfigError, parse_config
from tests.support.raw_http import exchange, request_bytes

SLOW = "{ topProducts(first: 1) { upc name } }"  # products, behind the proxy
FAST = "{ me { id username } }"  # accounts, direct


@pytest.fixture
def slow_products(
    router_with: Callable[..., Router], subgraphs: dict[str, str]
) -> Iterator[Callable[[str], Router]]:
    """`start(extra)`: a router whose products subgraph takes 2 s to answer."""
    with proxy_for(subgraphs["products"], [], delay=2.0) as proxy:

        def start(extra: str) -> Router:
            return router_with(extra, urls={"products": proxy.url})

        yield start


def test_a_request_past_the_router_timeout_gets_504_and_the_router_serves_on(
    slow_products: Callable[[str], Router],
) -> None:
    router = slow_products("traffic_shaping:\n  router:\n    timeout: 500ms\n")
    started = time.monotonic()
    reply = post(router, SLOW)
    took = time.monotonic() - started
    assert reply.status == 504, reply.body
    error = reply.json()["errors"][0]
    assert error["extensions"]["code"] == "GATEWAY_TIMEOUT"
    assert took < 1.8  # answered at the deadline, not when the subgraph finally did
    # Requests that fit in the deadline are unaffected.
    fast = post(router, FAST)
    assert fast.status == 200 and fast.json()["data"]["me"]["id"]


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
    slow_products: Callable[[str], Router],
) -> None:
    router = slow_products("traffic_shaping:\n  router:\n    concurrency_limit: 1\n")
    replies: list[Reply] = []
    first = threading.Thread(target=lambda: replies.append(post(router, SLOW)))
    first.start()
    time.sleep(0.5)  # the first request is now waiting on the slow subgraph
    shed = post(router, FAST)
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
