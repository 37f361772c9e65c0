"""Catalogue of the error codes of subscriptions (Apollo Router's strings where it has one).

Add a code here, with its one-line description, before putting it on an error.
"""

from __future__ import annotations

__all__ = [
    "CALLBACK_INVALID_MESSAGE",
    "CALLBACK_UNKNOWN_SUBSCRIPTION",
    "CALLBACK_VERIFIER_MISMATCH",
    "SUBSCRIPTION_CLIENT_LIMIT",
    "SUBSCRIPTION_CODES",
    "SUBSCRIPTION_CONFIG_RELOAD",
    "SUBSCRIPTION_HEARTBEAT_MISSED",
    "SUBSCRIPTION_IDLE_TIMEOUT",
    "SUBSCRIPTION_JWT_EXPIRED",
    "SUBSCRIPTION_MAX_LIMIT",
    "SUBSCRIPTION_NOT_CONFIGURED",
    "SUBSCRIPTION_QUEUE_FULL",
    "SUBSCRIPTION_SCHEMA_RELOAD",
    "SUBSCRIPTION_SUBGRAPH_CLOSED",
    "SUBSCRIPTION_SUBGRAPH_UNREACHABLE",
    "WEBSOCKET_MESSAGE_ERROR",
]

SUBSCRIPTION_MAX_LIMIT = "SUBSCRIPTION_MAX_LIMIT"
SUBSCRIPTION_CLIENT_LIMIT = "SUBSCRIPTION_CLIENT_LIMIT"
SUBSCRIPTION_CONFIG_RELOAD = "SUBSCRIPTION_CONFIG_RELOAD"
SUBSCRIPTION_SCHEMA_RELOAD = "SUBSCRIPTION_SCHEMA_RELOAD"
SUBSCRIPTION_IDLE_TIMEOUT = "SUBSCRIPTION_IDLE_TIMEOUT"
SUBSCRIPTION_HEARTBEAT_MISSED = "SUBSCRIPTION_HEARTBEAT_MISSED"
CALLBACK_INVALID_MESSAGE = "CALLBACK_INVALID_MESSAGE"
CALLBACK_VERIFIER_MISMATCH = "CALLBACK_VERIFIER_MISMATCH"
CALLBACK_UNKNOWN_SUBSCRIPTION = "CALLBACK_UNKNOWN_SUBSCRIPTION"
SUBSCRIPTION_JWT_EXPIRED = "SUBSCRIPTION_JWT_EXPIRED"
SUBSCRIPTION_NOT_CONFIGURED = "SUBSCRIPTION_NOT_CONFIGURED"
SUBSCRIPTION_QUEUE_FULL = "SUBSCRIPTION_QUEUE_FULL"
SUBSCRIPTION_SUBGRAPH_CLOSED = "SUBSCRIPTION_SUBGRAPH_CLOSED"
SUBSCRIPTION_SUBGRAPH_UNREACHABLE = "SUBSCRIPTION_SUBGRAPH_UNREACHABLE"
WEBSOCKET_MESSAGE_ERROR = "WEBSOCKET_MESSAGE_ERROR"

SUBSCRIPTION_CODES: dict[str, str] = {
    SUBSCRIPTION_MAX_LIMIT: "`subscription.max_opened_subscriptions` are open in this "
    "router process; the new one is refused (Apollo's code).",
    SUBSCRIPTION_CLIENT_LIMIT: "The client already holds "
    "`subscription.max_subscriptions_per_client` subscriptions (ours).",
    SUBSCRIPTION_SCHEMA_RELOAD: "The supergraph changed (hot reload): the subscription "
    "is closed, to be made again on the new schema (Apollo's code).",
    SUBSCRIPTION_CONFIG_RELOAD: "router.yaml changed (hot reload) with the same "
    "supergraph: the subscription is closed, to be made again (Apollo's code).",
    SUBSCRIPTION_IDLE_TIMEOUT: "No event came for `subscription.idle_timeout`: the "
    "subscription is closed (ours).",
    SUBSCRIPTION_HEARTBEAT_MISSED: "A subgraph reached over HTTP callbacks sent no "
    "`check` for twice `subscription.mode.callback.heartbeat_interval`: the "
    "subscription is closed (ours; `extensions.serviceName` names it).",
    CALLBACK_INVALID_MESSAGE: "Answered to a subgraph (HTTP 400): the callback body is "
    "not a `subscription` message with `action`, `id` and `verifier`, or its `id` is "
    "not the URL's (ours).",
    CALLBACK_VERIFIER_MISMATCH: "Answered to a subgraph (HTTP 401): the callback's "
    "`verifier` is not the one the router gave for its `id` (ours).",
    CALLBACK_UNKNOWN_SUBSCRIPTION: "Answered to a subgraph (HTTP 404): no subscription "
    "of that `id` is open any more; the subgraph stops sending (ours).",
    SUBSCRIPTION_JWT_EXPIRED: "The JWT the subscription was opened with expired (its "
    "`exp`): the subscription is closed (Apollo's code).",
    SUBSCRIPTION_NOT_CONFIGURED: "The subscription's root field lives in a subgraph that "
    "neither `subscription.mode.passthrough` nor `mode.callback` covers (ours).",
    SUBSCRIPTION_QUEUE_FULL: "The client read events slower than they came and its "
    "queue (`subscription.queue_capacity`) filled under `queue_full: close` (ours).",
    SUBSCRIPTION_SUBGRAPH_CLOSED: "The subgraph closed or dropped the WebSocket without "
    "completing the subscription (ours; `extensions.serviceName` names it).",
    SUBSCRIPTION_SUBGRAPH_UNREACHABLE: "The subgraph's WebSocket could not be opened, or "
    "it refused connection_init (ours; `extensions.serviceName` names it).",
    WEBSOCKET_MESSAGE_ERROR: "A WebSocket message that breaks the protocol: not JSON, "
    "an unknown type, a subscribe before connection_ack (Apollo's code).",
}
