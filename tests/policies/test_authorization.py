"""Authorization directives over HTTP: `@authenticated` and `@requiresScopes` in a test
supergraph (tests/policies/authorization/), enforced by a real router in front of a real
subgraph that records every query it is sent, with JWTs from a JWKS the test serves.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from policy_harness import REPO, JwksServer, KeyPair, Router, http, start_router

from router.config import ConfigError, parse_config
from tests.server.server_harness import START_TIMEOUT, Process

HERE = Path(__file__).resolve().parent / "authorization"
UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"


class Vault:
    """The test subgraph, and what it received."""

    def __init__(self) -> None:
        self.process = Process(
            [sys.executable, str(HERE / "vault.py"), "--port", "0"],
            REPO,
            r"(http://\S+/graphql)",
        )
        self.url = self.process.url
        base = self.url.rsplit("/", 1)[0]
        self._received = base + "/received"
        deadline = time.monotonic() + START_TIMEOUT
        while True:  # the port is bound before uvicorn listens on it
            try:
                if http(base + "/health", timeout=1).status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"vault subgraph not healthy\n{self.process.stderr()}")
            time.sleep(0.05)

    def received(self) -> list[str]:
        queries: list[str] = json.loads(http(self._received).body)
        return queries

    def forget(self) -> None:
        http(self._received, method="DELETE")


@pytest.fixture(scope="module")
def vault() -> Iterator[Vault]:
    started = Vault()
    yield started
    started.process.stop()


@pytest.fixture(scope="module")
def key() -> KeyPair:
    return KeyPair("ec", "authz-1")


@pytest.fixture(scope="module")
def jwks(key: KeyPair) -> Iterator[JwksServer]:
    server = JwksServer()
    server.keys = [key.jwk]
    yield server
    server.close()


@pytest.fixture(scope="module")
def router_for(
    vault: Vault, jwks: JwksServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Router]]:
    """A router over the test supergraph with JWT authentication and `extra` YAML;
    one per distinct `extra` for the module."""
    started: dict[str, Router] = {}

    def start(extra: str = "") -> Router:
        if extra not in started:
            folder = tmp_path_factory.mktemp("authz")
            shutil.copy(HERE / "supergraph.graphql", folder / "supergraph.graphql")
            auth = (
                "authentication:\n  router:\n    jwt:\n      jwks:\n"
                f"        - url: {jwks.url}\n          poll_interval: 10m\n"
            )
            started[extra] = start_router(folder, {"vault": vault.url}, auth + extra)
        return started[extra]

    yield start
    for router in started.values():
        router.stop()


@pytest.fixture
def ask(
    router_for: Callable[[str], Router], key: KeyPair, vault: Vault
) -> Callable[..., tuple[int, Any]]:
    """`ask(query, scope=None, anonymous=False, extra="")`: (status, body); the vault's
    record is cleared first."""

    def run(
        query: str, scope: Any = None, anonymous: bool = False, extra: str = ""
    ) -> tuple[int, Any]:
        vault.forget()
        headers = {}
        if not anonymous:
            claims = {} if scope is None else {"scope": scope}
            headers["Authorization"] = f"Bearer {key.token(claims)}"
        reply = router_for(extra).post({"query": query}, headers=headers)
        return reply.status, reply.json()

    return run


def errors_at(body: Any) -> list[list[Any]]:
    found = []
    for error in body.get("errors", []):
        assert error["message"] == "Unauthorized field or type"
        assert error["extensions"] == {"code": UNAUTHORIZED}
        found.append(error["path"])
    return found


def test_anonymous_request_gets_authenticated_field_null_and_the_subgraph_never_sees_it(
    ask: Callable[..., tuple[int, Any]], vault: Vault
) -> None:
    status, body = ask("{ publicInfo viewer { id name } }", anonymous=True)
    assert status == 200
    assert body["data"] == {"publicInfo": "hello", "viewer": None}
    assert errors_at(body) == [["viewer"]]
    (sent,) = vault.received()
    assert "publicInfo" in sent and "viewer" not in sent


def test_a_valid_jwt_sees_authenticated_fields(
    ask: Callable[..., tuple[int, Any]], vault: Vault
) -> None:
    status, body = ask("{ publicInfo viewer { id name } }")
    assert status == 200
    assert body == {
        "data": {"publicInfo": "hello", "viewer": {"id": "1", "name": "account 1"}}
    }
    assert "viewer" in vault.received()[0]


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        (None, False),
        ("read:a", False),
        ("read:a read:b", True),  # the first alternative: read:a AND read:b
        (["read:b", "read:a"], True),  # a list of strings is accepted too
        ("admin", True),  # the second alternative
        ("read:b other", False),
    ],
)
def test_requires_scopes_on_a_type_is_an_or_of_ands(
    ask: Callable[..., tuple[int, Any]], scope: Any, allowed: bool
) -> None:
    status, body = ask("{ report { title } }", scope=scope)
    assert status == 200
    if allowed:
        assert body == {"data": {"report": {"title": "quarterly"}}}
    else:
        assert body["data"] == {"report": None}
        assert errors_at(body) == [["report"]]


def test_requires_scopes_on_a_field(ask: Callable[..., tuple[int, Any]]) -> None:
    _, body = ask("{ publicInfo adminNote }", scope="read:a")
    assert body["data"] == {"publicInfo": "hello", "adminNote": None}
    assert errors_at(body) == [["adminNote"]]
    _, body = ask("{ publicInfo adminNote }", scope="admin")
    assert body == {"data": {"publicInfo": "hello", "adminNote": "for admins"}}


def test_a_field_under_a_list_is_reported_with_at_for_the_positions(
    ask: Callable[..., tuple[int, Any]], vault: Vault
) -> None:
    _, body = ask("{ accounts { id email } }")
    assert body["data"] == {
        "accounts": [{"id": "1", "email": None}, {"id": "2", "email": None}]
    }
    assert errors_at(body) == [["accounts", "@", "email"]]
    assert "email" not in vault.received()[0]


def test_a_fragment_on_an_unauthorized_type_is_removed(
    ask: Callable[..., tuple[int, Any]],
) -> None:
    query = "{ hits { ... on Account { id } ... on Report { title } } }"
    _, body = ask(query, scope="read:email")
    assert body["data"] == {"hits": [{"id": "3"}, {"title": None}]}
    assert errors_at(body) == [["hits", "@", "... on Report"]]
    _, body = ask(query, scope="admin")
    assert body == {"data": {"hits": [{"id": "3"}, {"title": "annual"}]}}


def test_a_non_null_unauthorized_field_nulls_its_nullable_parent(
    ask: Callable[..., tuple[int, Any]],
) -> None:
    status, body = ask(
        "{ publicInfo account(id: 4) { id ...Money } } fragment Money on Account { balance }",
        anonymous=True,
    )
    assert status == 200
    assert body["data"] == {"publicInfo": "hello", "account": None}
    assert errors_at(body) == [["account", "balance"]]
    assert "extensions" not in body  # no value-completion error for a removal


def test_a_wholly_unauthorized_operation_calls_no_subgraph(
    ask: Callable[..., tuple[int, Any]], vault: Vault
) -> None:
    status, body = ask("{ viewer { id } adminNote }", anonymous=True)
    assert status == 200
    assert body["data"] == {"viewer": None, "adminNote": None}
    assert sorted(errors_at(body)) == [["adminNote"], ["viewer"]]
    assert vault.received() == []


def test_the_plan_cache_keeps_authorization_states_apart(
    ask: Callable[..., tuple[int, Any]], vault: Vault
) -> None:
    query = "{ publicInfo viewer { id } }"
    for anonymous in (True, False, True, False):
        _, body = ask(query, anonymous=anonymous)
        viewer = None if anonymous else {"id": "1"}
        assert body["data"] == {"publicInfo": "hello", "viewer": viewer}
        assert ("errors" in body) is anonymous
        assert ("viewer" in vault.received()[0]) is not anonymous


def test_reject_unauthorized_refuses_the_whole_operation(
    ask: Callable[..., tuple[int, Any]], vault: Vault
) -> None:
    extra = "authorization:\n  directives:\n    reject_unauthorized: true\n"
    status, body = ask("{ publicInfo viewer { id } }", anonymous=True, extra=extra)
    assert status == 403
    assert "data" not in body
    assert errors_at(body) == [["viewer"]]
    assert vault.received() == []
    status, body = ask("{ publicInfo viewer { id } }", extra=extra)
    assert status == 200 and "errors" not in body


def test_errors_can_go_to_extensions_or_nowhere(
    ask: Callable[..., tuple[int, Any]],
) -> None:
    query = "{ publicInfo viewer { id } }"
    extensions = "authorization:\n  directives:\n    errors: { response: extensions }\n"
    _, body = ask(query, anonymous=True, extra=extensions)
    assert "errors" not in body
    assert body["data"] == {"publicInfo": "hello", "viewer": None}
    assert errors_at({"errors": body["extensions"]["authorizationErrors"]}) == [
        ["viewer"]
    ]
    disabled = "authorization:\n  directives:\n    errors: { response: disabled }\n"
    _, body = ask(query, anonymous=True, extra=disabled)
    assert body == {"data": {"publicInfo": "hello", "viewer": None}}


def test_require_authentication_answers_401_to_anonymous_requests(
    ask: Callable[..., tuple[int, Any]],
) -> None:
    extra = "authorization:\n  require_authentication: true\n"
    status, body = ask("{ publicInfo }", anonymous=True, extra=extra)
    assert status == 401
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    status, body = ask("{ publicInfo }", extra=extra)
    assert status == 200 and body == {"data": {"publicInfo": "hello"}}


def test_an_unknown_authorization_key_is_refused_naming_it() -> None:
    with pytest.raises(
        ConfigError, match=r"authorization\.directives\.rejected: unknown key"
    ):
        parse_config("authorization:\n  directives:\n    rejected: true\n")
    with pytest.raises(
        ConfigError, match=r"authorization\.directives\.errors\.response"
    ):
        parse_config("authorization:\n  directives:\n    errors: { response: logs }\n")


def test_the_test_supergraph_is_the_composition_of_the_vault_subgraph() -> None:
    """supergraph.graphql is `router compose` of vault.graphql (Apollo's composition
    prints the same text); rewrite both when vault.py's schema changes."""
    from planner.composition import SubgraphInput, compose

    sdl = (HERE / "vault.graphql").read_text(encoding="utf-8")
    result = compose([SubgraphInput("vault", "http://127.0.0.1:4010/graphql", sdl)])
    committed = (HERE / "supergraph.graphql").read_text(encoding="utf-8")
    assert result.supergraph_sdl == committed
