"""`subscription`: Apollo Router's keys for GraphQL subscriptions, and a few of ours.

https://www.apollographql.com/docs/graphos/routing/operations/subscriptions/configuration.
Apollo's: `enabled`, `mode.passthrough` (`all` merged with `subgraphs.<name>` field by
field: `path`, `protocol`, `heartbeat_interval`), `mode.callback` (accepted, refused:
not supported yet), `deduplication.enabled` (and 1.x's `enable_deduplication`),
`max_opened_subscriptions`, `queue_capacity`, `max_reconnect_attempts`,
`reconnect_delay`. Ours: `max_subscriptions_per_client`,
`queue_full` (what a full client queue does), `idle_timeout`, `legacy_websocket` (clients may speak
subscriptions-transport-ws).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from router.config.duration import Duration

__all__ = [
    "PassthroughSubgraph",
    "SubscriptionConfig",
    "WsProtocol",
]

# Apollo's names: `graphql_ws` is the legacy `graphql-ws` subprotocol of
# subscriptions-transport-ws, `graphql_transport_ws` the `graphql-transport-ws` one of
# the graphql-ws library.
WsProtocol = Literal["graphql_ws", "graphql_transport_ws"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PassthroughSubgraph(_Strict):
    """One subgraph's WebSocket: `path` on the subgraph's host (default: its routing
    URL's path), `protocol` (Apollo's default `graphql_ws`), `heartbeat_interval`
    (`disable`, `enable` = every 5 s, or a duration: pings sent to the subgraph)."""

    path: str | None = None
    protocol: WsProtocol | None = None
    heartbeat_interval: Literal["disable", "enable"] | Duration | None = None

    def merged_over(self, base: PassthroughSubgraph) -> PassthroughSubgraph:
        return self.model_copy(
            update={
                key: getattr(base, key)
                for key in ("path", "protocol", "heartbeat_interval")
                if getattr(self, key) is None
            }
        )

    @property
    def heartbeat_seconds(self) -> float | None:
        value = self.heartbeat_interval
        if value is None or value == "disable":
            return None
        if value == "enable":
            return 5.0
        return float(value)


class _Passthrough(_Strict):
    all: PassthroughSubgraph | None = None
    subgraphs: dict[str, PassthroughSubgraph] = {}


class _Mode(_Strict):
    passthrough: _Passthrough | None = None
    # Apollo's HTTP callback mode: accepted so a file brought over loads its keys, but
    # refused when set (below).
    callback: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _callback_is_not_supported(self) -> _Mode:
        if self.callback is not None:
            raise ValueError(
                "callback: Apollo's HTTP callback protocol is not supported yet; "
                "use passthrough (WebSocket)"
            )
        return self


class _Deduplication(_Strict):
    enabled: bool = True


class SubscriptionConfig(_Strict):
    """`subscription`. Off by default: a subscription is refused with
    SUBSCRIPTION_DISABLED. A subgraph is reached over WebSocket when `mode.passthrough`
    names it (or has `all`)."""

    enabled: bool = False
    mode: _Mode = _Mode()
    deduplication: _Deduplication = _Deduplication()
    enable_deduplication: bool | None = None  # Apollo Router 1.x's spelling
    max_opened_subscriptions: int | None = Field(default=None, ge=0)
    # Apollo's: a dropped subgraph WebSocket is opened again this many times.
    max_reconnect_attempts: int = Field(default=0, ge=0)
    reconnect_delay: Duration = 1.0
    queue_capacity: int = Field(default=128, ge=1)
    # Ours: subscriptions one client (its address, as rate limiting sees it) may hold.
    max_subscriptions_per_client: int | None = Field(default=None, ge=1)
    # Ours: a client whose queue is full loses its oldest event, or is closed with
    # SUBSCRIPTION_QUEUE_FULL.
    queue_full: Literal["drop_oldest", "close"] = "drop_oldest"
    # Ours: a subscription with no event for this long ends (SUBSCRIPTION_IDLE_TIMEOUT).
    idle_timeout: Duration | None = None
    # Ours: clients may also speak the legacy subscriptions-transport-ws (`graphql-ws`).
    legacy_websocket: bool = False

    @property
    def deduplicate(self) -> bool:
        if self.enable_deduplication is not None:
            return self.enable_deduplication
        return self.deduplication.enabled

    def passthrough_for(self, subgraph: str) -> PassthroughSubgraph | None:
        """The WebSocket settings of `subgraph`, or None when it is not configured."""
        passthrough = self.mode.passthrough
        if passthrough is None:
            return None
        own = passthrough.subgraphs.get(subgraph)
        if own is None:
            return passthrough.all
        return own if passthrough.all is None else own.merged_over(passthrough.all)
