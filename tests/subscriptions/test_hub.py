"""Opening subscriptions (`router.subscriptions.hub`): deduplication and the limits,
checked before any connection opens (the subgraph here is a closed port)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from router.config import parse_config
from router.subscriptions.hub import OpenCounts, SubscriptionHub, SubscriptionRefused
from router.subscriptions.listener import End
from router.subscriptions.upstream import UpstreamKey

KEY = UpstreamKey("reviews", "subscription{reviewAdded{id}}", None, b"{}", (), {})
OTHER = UpstreamKey("reviews", "subscription{reviewAdded{body}}", None, b"{}", (), {})


def _with_hub(yaml: str, check: Callable[[SubscriptionHub], Any]) -> None:
    config = parse_config(yaml).subscription

    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            hub = SubscriptionHub(
                config,
                lambda name: (
                    "http://127.0.0.1:9/graphql" if name == "reviews" else None
                ),
                lambda _: 1.0,
                lambda: session,
                OpenCounts(),
            )
            check(hub)
            await asyncio.sleep(0)  # let the upstream tasks start and fail

    asyncio.run(run())


PASSTHROUGH = "subscription: {enabled: true, mode: {passthrough: {all: {}}}"


def _code(raised: pytest.ExceptionInfo[SubscriptionRefused]) -> str:
    code: str = raised.value.error["extensions"]["code"]
    return code


def test_identical_subscriptions_share_one_upstream_unless_deduplication_is_off() -> (
    None
):
    def shared(hub: SubscriptionHub) -> None:
        hub.open(KEY, "a")
        hub.open(KEY, "b")
        assert hub.upstream_count == 1
        hub.open(OTHER, "a")
        assert hub.upstream_count == 2

    def apart(hub: SubscriptionHub) -> None:
        hub.open(KEY, "a")
        hub.open(KEY, "b")
        assert hub.upstream_count == 2

    _with_hub(PASSTHROUGH + "}", shared)
    _with_hub(PASSTHROUGH + ", deduplication: {enabled: false}}", apart)


def test_max_opened_subscriptions_refuses_the_next_with_apollos_code() -> None:
    def check(hub: SubscriptionHub) -> None:
        first = hub.open(KEY, "a")
        hub.open(KEY, "b")
        with pytest.raises(SubscriptionRefused) as raised:
            hub.open(KEY, "c")
        assert _code(raised) == "SUBSCRIPTION_MAX_LIMIT"
        hub.close(first)
        hub.open(KEY, "c")

    _with_hub(PASSTHROUGH + ", max_opened_subscriptions: 2}", check)


def test_per_client_limit_refuses_only_that_client() -> None:
    def check(hub: SubscriptionHub) -> None:
        hub.open(KEY, "a")
        with pytest.raises(SubscriptionRefused) as raised:
            hub.open(OTHER, "a")
        assert _code(raised) == "SUBSCRIPTION_CLIENT_LIMIT"
        hub.open(OTHER, "b")

    _with_hub(PASSTHROUGH + ", max_subscriptions_per_client: 1}", check)


def test_subgraph_without_passthrough_is_refused_with_a_code() -> None:
    def check(hub: SubscriptionHub) -> None:
        with pytest.raises(SubscriptionRefused) as raised:
            hub.open(KEY, "a")
        assert _code(raised) == "SUBSCRIPTION_NOT_CONFIGURED"

    _with_hub(
        "subscription: {enabled: true, mode: {passthrough: {subgraphs: {users: {}}}}}",
        check,
    )


def test_schema_reload_ends_every_subscription_with_apollos_code() -> None:
    def check(hub: SubscriptionHub) -> None:
        listeners = [hub.open(KEY, "a"), hub.open(OTHER, "b")]
        hub.end_all(schema_changed=True)
        for listener in listeners:
            assert listener.ended

    _with_hub(PASSTHROUGH + "}", check)


def test_subscription_ends_when_the_jwt_it_was_opened_with_expires() -> None:
    config = parse_config(PASSTHROUGH + "}").subscription

    async def run() -> None:
        # A subgraph that accepts the connection and never answers: only the expiry
        # can end the subscription.
        silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
        port = silent.sockets[0].getsockname()[1]
        async with silent, aiohttp.ClientSession() as session:
            hub = SubscriptionHub(
                config,
                lambda _: f"http://127.0.0.1:{port}/graphql",
                lambda _: 30.0,
                lambda: session,
                OpenCounts(),
            )
            listener = hub.open(KEY, "a", expires_at=time.time() + 0.05)
            kept = hub.open(KEY, "b", expires_at=time.time() + 60)
            events = listener.events()
            end = await asyncio.wait_for(anext(events), 5)
            assert isinstance(end, End)
            assert end.errors[0]["extensions"]["code"] == "SUBSCRIPTION_JWT_EXPIRED"
            hub.close(listener)
            hub.close(kept)

    asyncio.run(run())


def test_events_closed_before_they_start_still_leave_the_hub() -> None:
    """A stream handed to a transport that never reads it (a plugin answered first)."""
    from router.subscriptions.events import completed_events

    config = parse_config(PASSTHROUGH + ", max_opened_subscriptions: 1}").subscription

    async def run() -> None:
        async with aiohttp.ClientSession() as session:
            hub = SubscriptionHub(
                config,
                lambda _: "http://127.0.0.1:9/graphql",
                lambda _: 1.0,
                lambda: session,
                OpenCounts(),
            )
            listener = hub.open(KEY, "a")
            events = completed_events(listener, on_close=lambda: hub.close(listener))
            await events.aclose()
            hub.open(KEY, "b")  # the one subscription allowed is free again

    asyncio.run(run())
