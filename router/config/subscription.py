"""`subscription`: Apollo Router's keys for GraphQL subscriptions, and a few of ours.

https://www.apollographql.com/docs/graphos/routing/operations/subscriptions/configuration.
Apollo's: `enabled`, `mode.passthrough` (`all` merged with `subgraphs.<name>` field by
field: `path`, `protocol`, `heartbeat_interval`), `mode.callback` (`public_url`, `listen`,
`path`, `heartbeat_interval`, `subgraphs`: Apollo's HTTP callback protocol,
router.subscriptions.callback), `deduplication.enabled` (and 1.x's `enable_deduplication`),
`max_opened_subscriptions`, `queue_capacity`, `max_reconnect_attempts`,
`reconnect_delay`. Ours: `max_subscriptions_per_client`,
`queue_full` (what a full client queue does), `idle_timeout`, `legacy_websocket` (clients may speak
subscriptions-transport-ws).
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from router.config.duration import Duration

__all__ = [
    "CallbackMode",
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


class CallbackMode(_Strict):
    """`mode.callback`: Apollo's HTTP callback protocol. The subgraph answers the
    subscription request with `{"data": null}` and POSTs its events to
    `<public_url>/<subscription id>`, which the router serves at `<path>/<id>` on
    `listen` (default: the router's own listener). `subgraphs` names the subgraphs
    reached this way; empty, every subgraph `passthrough` does not name (Apollo's)."""

    public_url: str
    listen: str | None = None
    path: str = "/callback"
    heartbeat_interval: Literal["disable", "enable"] | Duration = "enable"
    subgraphs: list[str] = []

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("expected the http(s) URL subgraphs call back")
        return value.rstrip("/")

    @field_validator("path")
    @classmethod
    def _absolute_path(cls, value: str) -> str:
        if not value.startswith("/"):
            raise ValueError("must start with /")
        return value.rstrip("/") or "/"

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is not None:
            _host, sep, port = value.rpartition(":")
            if not sep or not port.isdigit():
                raise ValueError("expected HOST:PORT")
        return value

    @property
    def heartbeat_seconds(self) -> float | None:
        """Seconds between the subgraph's `check` messages (None: not asked for)."""
        value = self.heartbeat_interval
        if value == "disable":
            return None
        if value == "enable":
            return 5.0
        return float(value) or None


class _Mode(_Strict):
    passthrough: _Passthrough | None = None
    callback: CallbackMode | None = None

    @model_validator(mode="after")
    def _one_mode_per_subgraph(self) -> _Mode:
        callback, passthrough = self.callback, self.passthrough
        if callback is None or passthrough is None or not callback.subgraphs:
            return self
        # PORT_NOTE: Apollo lets passthrough win silently; a subgraph named for
        # callbacks that would never get them is a mistake worth naming.
        both = sorted(
            name
            for name in callback.subgraphs
            if passthrough.all is not None or name in passthrough.subgraphs
        )
        if both:
            where = "all" if passthrough.all is not None else f"subgraphs.{both[0]}"
            raise ValueError(
                f"callback.subgraphs: {both[0]!r} is also reached over WebSocket "
                f"(subscription.mode.passthrough.{where}); a subgraph takes one mode"
            )
        return self


class _Deduplication(_Strict):
    enabled: bool = True


class SubscriptionConfig(_Strict):
    """`subscription`. Off by default: a subscription is refused with
    SUBSCRIPTION_DISABLED. A subgraph is reached over WebSocket when `mode.passthrough`
    names it (or has `all`), over HTTP callbacks when `mode.callback` covers it."""

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

    def callback_for(self, subgraph: str) -> CallbackMode | None:
        """The callback settings when `subgraph` is reached over HTTP callbacks:
        named in `mode.callback.subgraphs`, or that list empty and `passthrough`
        not covering it (Apollo's precedence)."""
        callback = self.mode.callback
        if callback is None:
            return None
        if callback.subgraphs:
            return callback if subgraph in callback.subgraphs else None
        return callback if self.passthrough_for(subgraph) is None else None

    def passthrough_for(self, subgraph: str) -> PassthroughSubgraph | None:
        """The WebSocket settings of `subgraph`, or None when it is not configured."""
        passthrough = self.mode.passthrough
        if passthrough is None:
            return None
        own = passthrough.subgraphs.get(subgraph)
        if own is None:
            return passthrough.all
        return own if passthrough.all is None else own.merged_over(passthrough.all)
