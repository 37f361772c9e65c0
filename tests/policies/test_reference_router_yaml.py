"""The reference article's router.yaml (../shared/reference-router.yaml), loaded
unchanged with only a supergraph and subgraph URLs added: every key takes effect."""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from policy_harness import (
    REPO,
    RecordingProxy,
    Reply,
    Router,
    http,
    post,
    proxy_for,
)
from support.reference import reference_router_yaml


@pytest.fixture(scope="module")
def reference(
    subgraphs: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Router, RecordingProxy, RecordingProxy]]:
    folder = tmp_path_factory.mktemp("reference")
    shutil.copy(REPO / "supergraph.graphql", folder / "supergraph.graphql")
    # users answers after 10.5 s, past its 10 s timeout; orders as late, within 15 s.
    with (
        proxy_for(subgraphs["users"], [], delay=0.0) as users,
        proxy_for(subgraphs["orders"], [], delay=0.0) as orders,
    ):
        text = reference_router_yaml().replace(
            "supergraph:\n", "supergraph:\n  file: supergraph.graphql\n", 1
        )
        urls = {**subgraphs, "users": users.url, "orders": orders.url}
        text += "override_subgraph_url:\n" + "".join(
            f"  {name}: {url}\n" for name, url in urls.items()
        )
        (folder / "router.yaml").write_text(text, "utf-8")
        router = Router(
            ["--config", "router.yaml", "--listen", "127.0.0.1:0"], folder
        ).wait_ready()
        try:
            yield router, users, orders
        finally:
            router.stop()


def code(reply: Reply) -> list[str]:
    return [e["extensions"]["code"] for e in reply.json().get("errors", [])]


def test_the_four_limits(
    reference: tuple[Router, RecordingProxy, RecordingProxy],
) -> None:
    router = reference[0]
    deep = "{ me { " + "reviews { product { " * 7 + "upc" + " } }" * 7 + " } }"
    assert code(post(router, deep)) == ["MAX_DEPTH_LIMIT"]  # depth 16 > 15
    big = "upc price weight stockCount inStock sku package name reviews { id body }"
    high = "{ " + " ".join(f"a{i}: topProducts {{ {big} }}" for i in range(19)) + " }"
    assert code(post(router, high)) == ["MAX_HEIGHT_LIMIT"]  # 19 * 12 > 200
    aliases = "{ me { " + " ".join(f"a{i}: id" for i in range(31)) + " } }"
    assert code(post(router, aliases)) == ["MAX_ALIASES_LIMIT"]  # 31 > 30
    roots = "{ " + " ".join(f"r{i}: me {{ id }}" for i in range(21)) + " }"
    assert code(post(router, roots)) == ["MAX_ROOT_FIELDS_LIMIT"]  # 21 > 20
    assert post(router, "{ me { id } }").status == 200


def test_both_propagated_headers_reach_the_subgraph(
    reference: tuple[Router, RecordingProxy, RecordingProxy],
) -> None:
    router, users, _ = reference
    reply = post(
        router,
        "{ me { id } }",
        {"Authorization": "Bearer t0ken", "X-Request-ID": "req-42", "X-Other": "no"},
    )
    assert reply.status == 200, reply.body
    sent = users.last()
    assert sent["authorization"] == "Bearer t0ken"
    assert sent["x-request-id"] == "req-42"
    assert "x-other" not in sent


def test_per_subgraph_timeouts(
    reference: tuple[Router, RecordingProxy, RecordingProxy],
) -> None:
    router, users, orders = reference
    users.delay = orders.delay = 10.5
    try:
        reply = post(router, '{ user(id: "1") { id } recentOrders(first: 1) { id } }')
    finally:
        users.delay = orders.delay = 0.0
    body = reply.json()
    assert body["data"]["user"] is None
    assert body["data"]["recentOrders"][0]["id"]
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "GATEWAY_TIMEOUT"
    assert "within 10 s" in error["message"]


def test_cors_preflight_from_the_listed_origin_and_another(
    reference: tuple[Router, RecordingProxy, RecordingProxy],
) -> None:
    router = reference[0]

    def preflight(origin: str) -> dict[str, str]:
        reply = http(
            router.url,
            method="OPTIONS",
            headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
        )
        assert reply.status == 200
        return dict(reply.headers)

    listed = preflight("https://app.company.com")
    assert listed["access-control-allow-origin"] == "https://app.company.com"
    assert listed["access-control-allow-methods"] == "GET, POST"
    assert listed["access-control-allow-headers"] == "Authorization, Content-Type"
    other = preflight("https://elsewhere.example")
    assert "access-control-allow-origin" not in other


def test_ratelimit_global_admits_1000_a_minute(
    reference: tuple[Router, RecordingProxy, RecordingProxy],
) -> None:
    router = reference[0]
    first = post(router, "{ __typename }")
    assert first.headers["ratelimit-limit"] == "1000"
    remaining = int(first.headers["ratelimit-remaining"])
    started = time.monotonic()
    replies: list[Reply] = []
    with ThreadPoolExecutor(8) as pool:

        def burst(count: int) -> None:
            replies.extend(
                pool.map(lambda _: post(router, "{ __typename }"), range(count))
            )

        burst(remaining + 5)
        # The sliding window's previous minute fades while the burst runs (about 17
        # requests a second), so a slow burst can fit entirely: send on until the
        # limit refuses, as a client would meet it.
        while all(r.status == 200 for r in replies):
            assert time.monotonic() - started < 60, "the limit never refused"
            burst(20)
    elapsed = time.monotonic() - started
    admitted = sum(r.status == 200 for r in replies)
    # A few more may fit than `remaining` said at the start, at most what 1,000
    # requests a minute fade by in the burst's time (a loaded machine makes it longer).
    faded = math.ceil(1000 * elapsed / 60)
    assert remaining <= admitted <= remaining + 3 + faded
    refused = [r for r in replies if r.status != 200]
    assert refused and all(code(r) == ["REQUEST_RATE_LIMITED"] for r in refused)
    assert all(int(r.headers["retry-after"]) >= 1 for r in refused)


def test_the_file_loads_with_no_key_left_inactive(
    reference: tuple[Router, RecordingProxy, RecordingProxy],
) -> None:
    assert "not active yet" not in reference[0].stderr()
