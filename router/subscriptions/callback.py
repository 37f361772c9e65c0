"""The router's side of Apollo's HTTP callback protocol: the messages subgraphs POST.

https://www.apollographql.com/docs/graphos/routing/operations/subscriptions/callback-protocol.
A subgraph reached in callback mode (`subscription.mode.callback`) answers the
subscription request with `{"data": null}` and then POSTs to `<public_url>/<id>`
messages `{"kind": "subscription", "action": "check" | "next" | "complete", "id",
"verifier"}`, with `payload` (a GraphQL response) on `next` and `errors` on a failed
`complete`. `check` is both the handshake (sent before the subgraph answers) and the
heartbeat.

Answers, as Apollo Router gives them (a subgraph acts on the status): 204 to a valid
`check`, 200 to a `next`, 202 to a `complete`; 400 to a body that is not such a
message (or whose `id` is not the URL's), 401 to a verifier that does not match, 404
to an id no subscription holds any more, so the subgraph stops; 405 to a method other
than POST. Each answer carries `subscription-protocol: callback/1.0`.

A verifier is the HMAC-SHA256 of the id under a key drawn at random when the process
starts: it cannot be guessed from the id, and checking it needs no lookup, so a forged
message is refused before it can reach a subscription. Subscriptions register here
(`CALLBACKS`, one per process, as the key is).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from typing import Any, Protocol

import orjson

from router.plugins.plugin import error_body
from router.subscriptions.codes import (
    CALLBACK_INVALID_MESSAGE,
    CALLBACK_UNKNOWN_SUBSCRIPTION,
    CALLBACK_VERIFIER_MISMATCH,
)

__all__ = [
    "CALLBACKS",
    "PROTOCOL_HEADER",
    "CallbackAnswer",
    "CallbackReceiver",
    "CallbackRegistry",
]

# The header a router and a subgraph send with every message (the protocol's version).
PROTOCOL_HEADER = ("subscription-protocol", "callback/1.0")
_ACTIONS = frozenset({"check", "next", "complete"})


class CallbackReceiver(Protocol):
    """A subscription whose subgraph calls back (router.subscriptions.callback_upstream)."""

    def on_check(self) -> None: ...

    def on_next(self, payload: dict[str, Any]) -> None: ...

    def on_complete(self, errors: list[Any] | None) -> None: ...


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """What the callback endpoint sends back: a status and a JSON body (maybe empty)."""

    status: int
    body: bytes = b""

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        extra = (("allow", "POST"),) if self.status == 405 else ()
        return (PROTOCOL_HEADER, *extra)


class CallbackRegistry:
    """The subscriptions open in callback mode in this process, by id."""

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)
        self._open: dict[str, CallbackReceiver] = {}

    def __len__(self) -> int:
        return len(self._open)

    def open(self, receiver: CallbackReceiver) -> tuple[str, str]:
        """Registers `receiver` under a new id; returns the id and its verifier."""
        identifier = str(uuid.uuid4())
        self._open[identifier] = receiver
        return identifier, self.verifier(identifier)

    def close(self, identifier: str) -> None:
        """Forgets `identifier`: its subgraph's next message gets 404 (idempotent)."""
        self._open.pop(identifier, None)

    def verifier(self, identifier: str) -> str:
        return hmac.new(self._key, identifier.encode(), hashlib.sha256).hexdigest()

    def answer(self, method: str, path_id: str, body: bytes) -> CallbackAnswer:
        """Handles one request to `<path>/<path_id>`."""
        if method != "POST":
            return CallbackAnswer(405)
        try:
            message = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            return _invalid(f"the body is not JSON: {exc}")
        if type(message) is not dict:
            return _invalid("expected a JSON object")
        if message.get("kind") != "subscription":
            return _invalid(
                f"kind: expected 'subscription' (got {message.get('kind')!r})"
            )
        action = message.get("action")
        if action not in _ACTIONS:
            return _invalid(
                f"action: expected check, next or complete (got {action!r})"
            )
        identifier, verifier = message.get("id"), message.get("verifier")
        if type(identifier) is not str or type(verifier) is not str:
            return _invalid("id and verifier: expected strings")
        expected = self.verifier(identifier)
        if not hmac.compare_digest(verifier.encode(), expected.encode()):
            return _answer(401, CALLBACK_VERIFIER_MISMATCH, "verifier doesn't match")
        if identifier != path_id:
            return _invalid("id: not the id of the callback URL")
        receiver = self._open.get(identifier)
        if receiver is None:
            return _answer(
                404, CALLBACK_UNKNOWN_SUBSCRIPTION, "subscription doesn't exist"
            )
        if action == "check":
            receiver.on_check()
            return CallbackAnswer(204)
        if action == "next":
            payload = message.get("payload")
            if type(payload) is not dict:
                return _invalid("payload: expected a GraphQL response object")
            receiver.on_next(payload)
            return CallbackAnswer(200)
        errors = message.get("errors")
        if errors is not None and type(errors) is not list:
            return _invalid("errors: expected a list of GraphQL errors")
        receiver.on_complete(errors)
        return CallbackAnswer(202)


def _invalid(message: str) -> CallbackAnswer:
    return _answer(
        400, CALLBACK_INVALID_MESSAGE, f"Invalid callback message: {message}"
    )


def _answer(status: int, code: str, message: str) -> CallbackAnswer:
    return CallbackAnswer(status, orjson.dumps(error_body(code, message)))


CALLBACKS = CallbackRegistry()
