"""Authentication over HTTP: JWTs checked against a JWKS served by the test, API keys."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from policy_harness import JwksServer, KeyPair, Reply, Router, post, proxy_for

from router.cli import main

ME = "{ me { id } }"
ISSUER = "https://issuer.test"
AUDIENCE = "router"


@pytest.fixture(scope="module")
def keys() -> dict[str, KeyPair]:
    return {
        "rsa": KeyPair("rsa", "rsa-1"),
        "ec": KeyPair("ec", "ec-1"),
        "later": KeyPair("rsa", "rsa-2"),
        "stranger": KeyPair("rsa", "rsa-1"),  # same kid, key not in the JWKS
    }


@pytest.fixture
def jwks(keys: dict[str, KeyPair]) -> Iterator[JwksServer]:
    server = JwksServer()
    server.keys = [keys["rsa"].jwk, keys["ec"].jwk]
    yield server
    server.close()


def jwt_config(url: str, on_error: str = "Error") -> str:
    return f"""
authentication:
  router:
    jwt:
      on_error: {on_error}
      jwks:
        - url: {url}
          issuers: [{ISSUER}]
          audiences: [{AUDIENCE}]
          algorithms: [RS256, ES256]
          poll_interval: 10m
headers:
  subgraphs:
    users:
      request:
        - insert: {{ name: X-User, from_jwt_claim: sub }}
"""


def claims(**extra: object) -> dict[str, object]:
    return {"iss": ISSUER, "aud": AUDIENCE, **extra}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unauthenticated(reply: Reply, says: str) -> None:
    assert reply.status == 401, reply.body
    error = reply.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert says in error["message"], error["message"]


def test_valid_rsa_and_ec_tokens_pass_and_their_claims_reach_header_rules(
    subgraphs: dict[str, str],
    router_with: Callable[..., Router],
    jwks: JwksServer,
    keys: dict[str, KeyPair],
) -> None:
    with proxy_for(subgraphs["users"], []) as users:
        router = router_with(jwt_config(jwks.url), {"users": users.url})
        rsa = post(router, ME, bearer(keys["rsa"].token(claims(sub="alice"))))
        assert rsa.status == 200, rsa.body
        assert users.last()["x-user"] == "alice"
        ec = post(router, ME, bearer(keys["ec"].token(claims(sub="bob"))))
        assert ec.status == 200, ec.body
        assert users.last()["x-user"] == "bob"
        # No token at all: the request passes, unauthenticated (Apollo's behaviour).
        assert post(router, ME).status == 200
        assert "x-user" not in users.last()


def _unsigned(payload: dict[str, object]) -> str:
    return jwt.encode(payload, None, algorithm="none")


def _hs256_with_public_key(pair: KeyPair, payload: dict[str, object]) -> str:
    """The algorithm-confusion attack: HMAC keyed with the RSA public key's PEM."""
    pem = pair.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": pair.kid}).encode())
    body = b64(json.dumps(payload).encode())
    signature = hmac.new(pem, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def test_each_attack_is_refused_with_401_and_no_key_material(
    router_with: Callable[..., Router], jwks: JwksServer, keys: dict[str, KeyPair]
) -> None:
    router = router_with(jwt_config(jwks.url))
    rsa = keys["rsa"]
    now = int(time.time())
    cases = {
        "alg none": (_unsigned({**claims(), "exp": now + 60}), "not allowed"),
        "HS256 with the public key": (
            _hs256_with_public_key(rsa, {**claims(), "exp": now + 60}),
            "not allowed",
        ),
        "expired": (rsa.token(claims(exp=now - 3600)), "expired"),
        "not yet valid": (rsa.token(claims(nbf=now + 3600)), "not valid yet"),
        "wrong issuer": (rsa.token(claims(iss="https://evil.test")), "issuer"),
        "wrong audience": (rsa.token(claims(aud="someone-else")), "audience"),
        "bad signature": (keys["stranger"].token(claims()), "signature"),
        "unknown kid": (keys["later"].token(claims()), "No key matches"),
        "garbage": ("not.a.jwt", "malformed"),
    }
    secret_bits = {rsa.jwk["n"][:16], keys["ec"].jwk["x"][:16]}
    for name, (token, says) in cases.items():
        reply = post(router, ME, bearer(token))
        unauthenticated(reply, says)
        assert not any(bit in reply.body.decode() for bit in secret_bits), name
        assert reply.headers["www-authenticate"].startswith("Bearer")
    unauthenticated(
        post(router, ME, {"Authorization": f"Basic {rsa.token(claims())}"}), "form"
    )
    # Still serving.
    assert post(router, ME, bearer(rsa.token(claims()))).status == 200


def test_rotated_key_is_accepted_without_restart(
    router_with: Callable[..., Router], jwks: JwksServer, keys: dict[str, KeyPair]
) -> None:
    router = router_with(jwt_config(jwks.url))
    fetches = jwks.fetches
    jwks.keys = [keys["later"].jwk]  # rotation: the old key is gone, a new kid comes
    reply = post(router, ME, bearer(keys["later"].token(claims())))
    assert reply.status == 200, reply.body
    assert jwks.fetches == fetches + 1


def test_on_error_continue_lets_a_bad_token_through_without_claims(
    subgraphs: dict[str, str], router_with: Callable[..., Router], jwks: JwksServer
) -> None:
    with proxy_for(subgraphs["users"], []) as users:
        router = router_with(jwt_config(jwks.url, "Continue"), {"users": users.url})
        reply = post(router, ME, bearer("not.a.jwt"))
        assert reply.status == 200, reply.body
        assert "x-user" not in users.last()


def test_jwks_from_a_local_file(
    router_with: Callable[..., Router], keys: dict[str, KeyPair], tmp_path: Path
) -> None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [keys["ec"].jwk]}))
    router = router_with(jwt_config(path.as_uri()))
    assert post(router, ME, bearer(keys["ec"].token(claims()))).status == 200
    unauthenticated(post(router, ME, bearer(keys["rsa"].token(claims()))), "No key")


def _keys_cli(*args: str) -> str:
    """`router keys ...`, in process (the CLI's own entry point), its stdout."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["keys", *args]) == 0
    return out.getvalue()


def test_api_keys_created_revoked_and_expired(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    store = tmp_path / "keys.json"
    created = _keys_cli("--file", str(store), "create", "--consumer", "acme")
    key = created.split("key: ")[1].split()[0]
    key_id = created.split("id: ")[1].split()[0]
    assert key.startswith("rk_") and key not in store.read_text()
    router = router_with(
        f"""
authentication:
  router:
    api_keys: {{ file: "{store}", header_name: X-Api-Key }}
"""
    )
    assert post(router, ME, {"X-Api-Key": key}).status == 200
    unauthenticated(post(router, ME), "missing")
    unauthenticated(post(router, ME, {"X-Api-Key": "rk_nope"}), "unknown")
    unauthenticated(post(router, ME, {"X-Api-Key": "other_x"}), "malformed")
    _keys_cli("--file", str(store), "revoke", key_id)
    time.sleep(1.1)  # the store is re-read at most once a second
    unauthenticated(post(router, ME, {"X-Api-Key": key}), "revoked")
    assert "revoked" in _keys_cli("--file", str(store), "list")
    # An expired key, written as the store holds it.
    data = json.loads(store.read_text())
    expired = "rk_expired-key"
    data["keys"].append(
        {
            "id": "old",
            "hash": hashlib.sha256(expired.encode()).hexdigest(),
            "consumer": "gone",
            "expires_at": (datetime.now(UTC) - timedelta(days=1)).isoformat(),
        }
    )
    store.write_text(json.dumps(data))
    time.sleep(1.1)
    unauthenticated(post(router, ME, {"X-Api-Key": expired}), "expired")


def test_api_key_consumer_and_plan_drive_rate_limit_tiers(
    router_with: Callable[..., Router], tmp_path: Path
) -> None:
    store = tmp_path / "keys.json"
    free = _keys_cli(
        "--file", str(store), "create", "--consumer", "a", "--plan", "free"
    )
    pro = _keys_cli("--file", str(store), "create", "--consumer", "b", "--plan", "pro")
    free_key, pro_key = (out.split("key: ")[1].split()[0] for out in (free, pro))
    router = router_with(
        f"""
authentication:
  router:
    api_keys: {{ file: "{store}" }}
ratelimit:
  clients:
    - name: per-consumer
      key: {{ by: api_key }}
      tier: {{ by: api_key_plan, default: free }}
      tiers:
        free: [ {{ capacity: 1, interval: 1m }} ]
        pro: [ {{ capacity: 3, interval: 1m }} ]
"""
    )
    assert [post(router, ME, {"x-api-key": free_key}).status for _ in range(2)] == [
        200,
        429,
    ]
    assert [post(router, ME, {"x-api-key": pro_key}).status for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]


def test_api_keys_in_redis_managed_by_the_cli(
    router_with: Callable[..., Router], tmp_path: Path, redis_prefix: str
) -> None:
    store = f'redis: {{ url: "redis://127.0.0.1:6379", key_prefix: "{redis_prefix}" }}'
    config = f"authentication:\n  router:\n    api_keys: {{ {store} }}\n"
    (tmp_path / "router.yaml").write_text(config)
    cli = ("--config", str(tmp_path / "router.yaml"))
    created = _keys_cli(*cli, "create", "--consumer", "acme", "--plan", "pro")
    key = created.split("key: ")[1].split()[0]
    key_id = created.split("id: ")[1].split()[0]
    router = router_with(config)
    assert post(router, ME, {"x-api-key": key}).status == 200
    _keys_cli(*cli, "revoke", key_id)
    unauthenticated(post(router, ME, {"x-api-key": key}), "revoked")
    listing = _keys_cli(*cli, "list")
    assert "acme\tpro\trevoked" in listing and key not in listing


def test_api_key_lookups_made_while_the_key_file_is_first_read_find_the_key(
    tmp_path: Path,
) -> None:
    """A burst of clients on a router that has not read its key file yet (1,000
    WebSocket clients connecting at once) must not be refused as unknown."""
    import asyncio

    from router.plugins.authentication.api_keys import (
        ApiKeyRecord,
        FileKeyStore,
        hash_key,
    )

    path = tmp_path / "keys.json"
    raw = "rk_burst"
    FileKeyStore(path).save([ApiKeyRecord("k1", hash_key(raw), "burst")])

    async def burst() -> list[ApiKeyRecord | None]:
        store = FileKeyStore(path)
        return await asyncio.gather(*(store.find(hash_key(raw)) for _ in range(50)))

    found = asyncio.run(burst())
    assert all(record is not None and record.consumer == "burst" for record in found)
