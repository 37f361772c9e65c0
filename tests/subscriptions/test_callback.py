"""The callback endpoint's answers (router.subscriptions.callback), as Apollo Router
gives them: a subgraph acts on the status alone."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from router.config import parse_config
from router.subscriptions.callback import CallbackRegistry
from router.subscriptions.callback_server import callback_id


class Recorder:
    def __init__(self) -> None:
        self.got: list[tuple[str, Any]] = []

    def on_check(self) -> None:
        self.got.append(("check", None))

    def on_next(self, payload: dict[str, Any]) -> None:
        self.got.append(("next", payload))

    def on_complete(self, errors: list[Any] | None) -> None:
        self.got.append(("complete", errors))


@pytest.fixture
def opened() -> tuple[CallbackRegistry, Recorder, str, str]:
    registry = CallbackRegistry()
    recorder = Recorder()
    identifier, verifier = registry.open(recorder)
    return registry, recorder, identifier, verifier


def _message(identifier: str, verifier: str, action: str, **extra: Any) -> bytes:
    body = {"kind": "subscription", "action": action, "id": identifier}
    return orjson.dumps({**body, "verifier": verifier, **extra})


def test_check_next_and_complete_reach_the_subscription(
    opened: tuple[CallbackRegistry, Recorder, str, str],
) -> None:
    registry, recorder, identifier, verifier = opened
    check = registry.answer("POST", identifier, _message(identifier, verifier, "check"))
    assert (check.status, check.body) == (204, b"")
    assert ("subscription-protocol", "callback/1.0") in check.headers
    payload = {"data": {"reviewAdded": {"body": "Hi."}}}
    sent = _message(identifier, verifier, "next", payload=payload)
    assert registry.answer("POST", identifier, sent).status == 200
    done = _message(identifier, verifier, "complete", errors=[{"message": "over"}])
    assert registry.answer("POST", identifier, done).status == 202
    assert recorder.got == [
        ("check", None),
        ("next", payload),
        ("complete", [{"message": "over"}]),
    ]


def test_a_verifier_not_made_for_the_id_is_refused_before_anything_is_delivered(
    opened: tuple[CallbackRegistry, Recorder, str, str],
) -> None:
    registry, recorder, identifier, _ = opened
    other, other_verifier = registry.open(Recorder())
    forged = _message(identifier, other_verifier, "next", payload={"data": {}})
    answer = registry.answer("POST", identifier, forged)
    assert answer.status == 401
    assert orjson.loads(answer.body)["errors"][0]["extensions"]["code"] == (
        "CALLBACK_VERIFIER_MISMATCH"
    )
    assert recorder.got == []
    # Another process's registry (another key) makes other verifiers for the same ids.
    assert CallbackRegistry().verifier(identifier) != registry.verifier(identifier)
    assert other != identifier


def test_a_closed_subscription_answers_404_so_the_subgraph_stops(
    opened: tuple[CallbackRegistry, Recorder, str, str],
) -> None:
    registry, recorder, identifier, verifier = opened
    registry.close(identifier)
    for action in ("check", "next", "complete"):
        sent = _message(identifier, verifier, action, payload={"data": None})
        answer = registry.answer("POST", identifier, sent)
        assert answer.status == 404
        assert orjson.loads(answer.body)["errors"][0]["extensions"]["code"] == (
            "CALLBACK_UNKNOWN_SUBSCRIPTION"
        )
    assert recorder.got == []


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b"not json", "the body is not JSON"),
        (b"[1]", "expected a JSON object"),
        (b'{"kind": "query"}', "kind: expected 'subscription'"),
        (b'{"kind": "subscription", "action": "heartbeat"}', "action: expected"),
        (b'{"kind": "subscription", "action": "check", "id": 1}', "id and verifier"),
    ],
)
def test_a_malformed_message_is_400_saying_what_is_wrong(
    opened: tuple[CallbackRegistry, Recorder, str, str], body: bytes, says: str
) -> None:
    registry, recorder, identifier, _ = opened
    answer = registry.answer("POST", identifier, body)
    assert answer.status == 400
    (error,) = orjson.loads(answer.body)["errors"]
    assert error["extensions"]["code"] == "CALLBACK_INVALID_MESSAGE"
    assert says in error["message"]
    assert recorder.got == []


def test_an_id_other_than_the_urls_and_a_next_without_payload_are_400(
    opened: tuple[CallbackRegistry, Recorder, str, str],
) -> None:
    registry, recorder, identifier, verifier = opened
    sent = _message(identifier, verifier, "check")
    assert registry.answer("POST", "another-id", sent).status == 400
    no_payload = _message(identifier, verifier, "next")
    assert registry.answer("POST", identifier, no_payload).status == 400
    assert recorder.got == []


def test_only_post_is_answered(
    opened: tuple[CallbackRegistry, Recorder, str, str],
) -> None:
    registry, _, identifier, _ = opened
    answer = registry.answer("GET", identifier, b"")
    assert answer.status == 405
    assert ("allow", "POST") in answer.headers


def test_the_endpoint_takes_only_its_own_paths() -> None:
    config = parse_config(
        "subscription: {enabled: true, mode: {callback: "
        "{public_url: 'http://127.0.0.1:4000/', path: /}}}"
    )
    assert callback_id(config, "/3f2a", own_listener=True) == "3f2a"
    # The GraphQL path, and deeper paths, stay the router's.
    assert callback_id(config, "/graphql", own_listener=True) is None
    assert callback_id(config, "/a/b", own_listener=True) is None
    side = parse_config(
        "subscription: {enabled: true, mode: {callback: "
        "{public_url: 'http://10.0.0.1:4001/callback', listen: '0.0.0.0:4001'}}}"
    )
    assert callback_id(side, "/callback/3f2a", own_listener=True) is None
    assert callback_id(side, "/callback/3f2a", own_listener=False) == "3f2a"
