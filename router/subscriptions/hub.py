"""The router's subscriptions to subgraphs: deduplication and the limits on opening one.

`open(key, client, completion=...)` gives the client a `Listener` on the upstream
subscription of `key`, starting one when none runs (or always, with deduplication off):
a thousand clients of one subscription are one WebSocket to the subgraph (`upstream`),
or one HTTP callback subscription in callback mode (`callback_upstream`). Within an
upstream, clients whose `Completion` keys are equal share one completion of each event
(`router.subscriptions.completion`). `close(listener)` takes it off; the last
listener's leaving ends its group, and the last group's the upstream.

Limits, checked before anything opens: `subscription.max_opened_subscriptions` client
subscriptions per router process (Apollo's; SUBSCRIPTION_MAX_LIMIT) and ours,
`max_subscriptions_per_client` (SUBSCRIPTION_CLIENT_LIMIT). The counts are per process,
across config reloads (`OPEN`).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import orjson

from router.subscriptions.callback_upstream import CallbackTarget, CallbackUpstream
from router.subscriptions.codes import (
    SUBSCRIPTION_CLIENT_LIMIT,
    SUBSCRIPTION_CONFIG_RELOAD,
    SUBSCRIPTION_JWT_EXPIRED,
    SUBSCRIPTION_MAX_LIMIT,
    SUBSCRIPTION_NOT_CONFIGURED,
    SUBSCRIPTION_SCHEMA_RELOAD,
)
from router.subscriptions.completion import Completion, CompletionGroup, pass_through
from router.subscriptions.listener import Listener
from router.subscriptions.upstream import Upstream, UpstreamKey, UpstreamTarget
from router.telemetry.active import subscription_metrics

if TYPE_CHECKING:
    import aiohttp

    from planner.query_plan import Fetch
    from router.config.subscription import SubscriptionConfig
    from router.telemetry.metrics import RouterMetrics

__all__ = [
    "OPEN",
    "OpenCounts",
    "SubscriptionHub",
    "SubscriptionRefused",
    "shared_headers",
    "upstream_key",
    "websocket_url",
]

logger = logging.getLogger(__name__)


# Headers that differ on every request (request ids, trace context): left out of the
# deduplication key, or no two clients would ever share a subscription.
_PER_REQUEST_HEADERS = frozenset(
    {"x-request-id", "traceparent", "tracestate", "b3", "uber-trace-id"}
)


def shared_headers(headers: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """`headers` as a key two clients can share: sorted, names lower-case, without
    the ones that differ on every request."""
    return tuple(
        sorted(
            (name.lower(), value)
            for name, value in headers.items()
            if name.lower() not in _PER_REQUEST_HEADERS
            and not name.lower().startswith("x-b3-")
        )
    )


def upstream_key(
    primary: Fetch, variables: Mapping[str, Any], headers: Mapping[str, str]
) -> UpstreamKey:
    """The deduplication key of the subgraph subscription `primary` opens with the
    `variables` it uses and the `headers` the subgraph stage gave it."""
    return UpstreamKey(
        primary.service_name,
        primary.operation,
        primary.operation_name,
        orjson.dumps(variables, option=orjson.OPT_SORT_KEYS),
        shared_headers(headers),
        dict(headers),
    )


_JWT_EXPIRED = {
    "message": "subscription closed because the JWT has expired",
    "extensions": {"code": SUBSCRIPTION_JWT_EXPIRED},
}


class SubscriptionRefused(Exception):
    """A subscription not opened; `error` is the client's coded GraphQL error."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.error: dict[str, Any] = {"message": message, "extensions": {"code": code}}


class OpenCounts:
    """Client subscriptions open in this process, in total and by client."""

    def __init__(self) -> None:
        self.total = 0
        self.by_client: Counter[str] = Counter()

    def add(self, client: str) -> None:
        self.total += 1
        self.by_client[client] += 1

    def remove(self, client: str) -> None:
        self.total -= 1
        self.by_client[client] -= 1
        if self.by_client[client] <= 0:
            del self.by_client[client]


OPEN = OpenCounts()

_Upstream = Upstream | CallbackUpstream


class SubscriptionHub:
    """Subgraph subscriptions of one loaded config (its subgraph URLs and settings)."""

    def __init__(
        self,
        config: SubscriptionConfig,
        urls: Callable[[str], str | None],
        timeouts: Callable[[str], float],
        session: Callable[[], aiohttp.ClientSession],
        counts: OpenCounts = OPEN,
    ) -> None:
        """`urls(subgraph)` is its routing URL (None: unknown), `timeouts(subgraph)`
        the deadline of its connection handshake, `session()` the process's
        aiohttp session."""
        self._config = config
        self._urls = urls
        self._timeouts = timeouts
        self._session = session
        self._counts = counts
        self._upstreams: dict[UpstreamKey, _Upstream] = {}
        self._groups: dict[Hashable, CompletionGroup] = {}  # (upstream, key)
        self._owners: dict[
            Listener, tuple[_Upstream, CompletionGroup, str, RouterMetrics | None]
        ] = {}
        self._expiries: dict[Listener, asyncio.TimerHandle] = {}

    @property
    def upstream_count(self) -> int:
        """Subgraph subscriptions running now (for tests and metrics)."""
        return len({id(owned[0]) for owned in self._owners.values()})

    def open(
        self,
        key: UpstreamKey,
        client: str,
        expires_at: float | None = None,
        completion: Completion | None = None,
    ) -> Listener:
        """A listener on `key`'s subscription, its events completed by `completion`
        (default: as the subgraph sent them); raises `SubscriptionRefused`.
        `expires_at` (Unix time: the client's JWT `exp`) ends it then, with Apollo's
        SUBSCRIPTION_JWT_EXPIRED, so it never outlives the token it was opened with."""
        config = self._config
        limit = config.max_opened_subscriptions
        if limit is not None and self._counts.total >= limit:
            raise SubscriptionRefused(
                SUBSCRIPTION_MAX_LIMIT, "can't open new subscription, limit reached"
            )
        per_client = config.max_subscriptions_per_client
        if per_client is not None and self._counts.by_client[client] >= per_client:
            raise SubscriptionRefused(
                SUBSCRIPTION_CLIENT_LIMIT,
                f"This client already holds {per_client} subscriptions, the most "
                "subscription.max_subscriptions_per_client allows.",
            )
        metrics = subscription_metrics()
        upstream = self._upstreams.get(key) if config.deduplicate else None
        if upstream is None or upstream.over:
            upstream = self._new_upstream(key)
            if config.deduplicate:
                self._upstreams[key] = upstream
            upstream.metrics = metrics
            if metrics is not None:
                metrics.subscription_upstreams.labels(key.subgraph).inc()
            upstream.start()
        listener = Listener(
            config.queue_capacity, config.queue_full, config.idle_timeout
        )
        group = self._group(upstream, completion or pass_through())
        group.add(listener)
        self._owners[listener] = (upstream, group, client, metrics)
        self._counts.add(client)
        if metrics is not None:
            metrics.subscriptions_open.inc()
        if expires_at is not None:
            self._expiries[listener] = asyncio.get_running_loop().call_later(
                max(0.0, expires_at - time.time()), listener.end, (_JWT_EXPIRED,)
            )
        return listener

    def close(self, listener: Listener) -> None:
        """`listener`'s client is done with it (idempotent)."""
        owned = self._owners.pop(listener, None)
        if owned is None:
            return
        upstream, group, client, metrics = owned
        expiry = self._expiries.pop(listener, None)
        if expiry is not None:
            expiry.cancel()
        self._counts.remove(client)
        if metrics is not None:
            metrics.subscriptions_open.dec()
        if group.remove(listener):
            if group.key is not None and self._groups.get(group.key) is group:
                del self._groups[group.key]
            upstream.remove(group.source)

    def _group(self, upstream: _Upstream, completion: Completion) -> CompletionGroup:
        """The group of `upstream` completing as `completion` does, started (with its
        own listener on the upstream) when there is none yet."""
        shared = None if completion.key is None else (upstream, completion.key)
        group = None if shared is None else self._groups.get(shared)
        if group is None or group.over:
            config = self._config
            source = Listener(config.queue_capacity, config.queue_full)
            group = CompletionGroup(source, completion.run, shared)
            upstream.add(source)
            group.start()
            if shared is not None:
                self._groups[shared] = group
        return group

    def end_all(self, schema_changed: bool) -> None:
        """A reload replaces this config: every subscription ends with Apollo's
        SUBSCRIPTION_SCHEMA_RELOAD (or SUBSCRIPTION_CONFIG_RELOAD when only router.yaml
        changed), so clients make it again on the new generation."""
        if schema_changed:
            error = {
                "message": "subscription has been closed due to a schema reload",
                "extensions": {"code": SUBSCRIPTION_SCHEMA_RELOAD},
            }
        else:
            error = {
                "message": "subscription has been closed due to a configuration reload",
                "extensions": {"code": SUBSCRIPTION_CONFIG_RELOAD},
            }
        for listener in list(self._owners):
            listener.end((error,))

    def _done(self, upstream: _Upstream) -> None:
        if self._upstreams.get(upstream.key) is upstream:
            del self._upstreams[upstream.key]
        if upstream.metrics is not None:
            upstream.metrics.subscription_upstreams.labels(upstream.key.subgraph).dec()

    def _new_upstream(self, key: UpstreamKey) -> _Upstream:
        """A WebSocket or, in callback mode, an HTTP callback subscription."""
        subgraph = key.subgraph
        callback = self._config.callback_for(subgraph)
        url = self._urls(subgraph)
        if callback is not None and url is not None:
            target = CallbackTarget(
                url=url,
                public_url=callback.public_url,
                heartbeat=callback.heartbeat_seconds,
                timeout=self._timeouts(subgraph),
            )
            return CallbackUpstream(key, target, self._session(), self._done)
        return Upstream(key, self._target(subgraph), self._session(), self._done)

    def _target(self, subgraph: str) -> UpstreamTarget:
        passthrough = self._config.passthrough_for(subgraph)
        url = self._urls(subgraph)
        if passthrough is None or url is None:
            raise SubscriptionRefused(
                SUBSCRIPTION_NOT_CONFIGURED,
                f"Subgraph '{subgraph}' is not configured for subscriptions "
                "(subscription.mode.passthrough or subscription.mode.callback).",
            )
        return UpstreamTarget(
            url=websocket_url(url, passthrough.path),
            protocol=passthrough.protocol or "graphql_ws",
            heartbeat=passthrough.heartbeat_seconds,
            connect_timeout=self._timeouts(subgraph),
            reconnect_attempts=self._config.max_reconnect_attempts,
            reconnect_delay=self._config.reconnect_delay,
        )


def websocket_url(routing_url: str, path: str | None) -> str:
    """The subgraph's WebSocket URL: its routing URL with a ws(s) scheme, and `path`
    in place of the URL's path when set (Apollo's `passthrough.*.path`)."""
    parts = urlsplit(routing_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit(
        (scheme, parts.netloc, path or parts.path, parts.query, parts.fragment)
    )
