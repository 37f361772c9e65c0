"""Helpers for the entity-cache tests: a proxy in front of each example subgraph that
counts what reaches the subgraph and can set the `Cache-Control` it answers with (or
change its answer), and the router.yaml of an entity-cached router.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cache_harness import Router, eventually
from cryptography.hazmat.primitives.asymmetric import ec

from tests.server.server_harness import Reply, http

__all__ = [
    "SECRET",
    "Respond",
    "Signer",
    "SubgraphProxy",
    "claim",
    "entity_cache_config",
    "invalidate",
    "invalidation_url",
    "metric",
]

SECRET = "s3cret"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# (request headers, request body, response body) -> (response body, cache-control)
Respond = Callable[
    [Mapping[str, str], dict[str, Any], dict[str, Any]],
    tuple[dict[str, Any], str | None],
]


class SubgraphProxy:
    """Forwards POSTs to `target`; `requests` holds each request body that reached it
    (decoded), `cache_control` the header its answers carry (None: none), and
    `respond`, when set, may rewrite each answer and choose its header."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.requests: list[dict[str, Any]] = []
        self.cache_control: str | None = None
        self.respond: Respond | None = None
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                payload = json.loads(raw)
                proxy.requests.append(payload)
                forwarded = urllib.request.Request(
                    proxy.target,
                    data=raw,
                    method="POST",
                    headers={"content-type": "application/json"},
                )
                try:
                    with _OPENER.open(forwarded, timeout=10) as response:
                        status, reply = response.status, response.read()
                except urllib.error.HTTPError as error:
                    status, reply = error.code, error.read()
                control = proxy.cache_control
                if proxy.respond is not None:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    body, control = proxy.respond(headers, payload, json.loads(reply))
                    reply = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                if control is not None:
                    self.send_header("cache-control", control)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/graphql"

    def reset(self) -> None:
        self.requests.clear()
        self.cache_control = None
        self.respond = None

    def representations(self) -> list[int]:
        """How many representations each `_entities` request so far carried."""
        counts = []
        for payload in self.requests:
            variables = payload.get("variables") or {}
            counts.append(
                sum(len(v) for k, v in variables.items() if k.startswith("r"))
                if "representations" not in variables
                else len(variables["representations"])
            )
        return counts

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def entity_cache_config(
    extra: str = "", redis: str = "", listen: str = "127.0.0.1:0"
) -> str:
    """router.yaml for an entity-cached router: 60 s TTL, the `x-user` header as
    private id (it and `authorization` propagated to subgraphs), invalidation on
    `listen` (a free port by
    default; `supergraph.listen`'s default, 127.0.0.1:4000, shares the router's own
    listener), Prometheus."""
    return (
        "preview_entity_cache:\n"
        "  enabled: true\n"
        f"  invalidation: {{ listen: {listen}, path: /invalidation }}\n"
        "  subgraph:\n"
        "    all:\n"
        "      ttl: 60s\n"
        "      private_id_header: x-user\n"
        f"      invalidation: {{ enabled: true, shared_key: {SECRET} }}\n"
        + redis
        + extra
        + "headers:\n  all:\n    request:\n      - propagate: { named: x-user }\n"
        "      - propagate: { named: authorization }\n"
        "telemetry:\n  exporters:\n    metrics:\n      prometheus:\n"
        "        enabled: true\n        listen: 127.0.0.1:0\n        path: /metrics\n"
    )


class Signer:
    """An EC P-256 key: its JWKS, and tokens it signs for a `sub`."""

    def __init__(self) -> None:
        self._private = ec.generate_private_key(ec.SECP256R1())
        algorithm = jwt.get_algorithm_by_name("ES256")
        self.jwk: dict[str, Any] = json.loads(
            algorithm.to_jwk(self._private.public_key())
        )
        self.jwk.update(kid="entity", alg="ES256", use="sig")

    def jwks(self) -> str:
        return json.dumps({"keys": [self.jwk]})

    def token(self, sub: str) -> str:
        now = int(time.time())
        claims = {"sub": sub, "iat": now, "exp": now + 600}
        return jwt.encode(
            claims, self._private, algorithm="ES256", headers={"kid": "entity"}
        )


def claim(headers: Mapping[str, str], name: str) -> Any:
    """A claim of the bearer token in `headers` (read, not verified: the router did)."""
    authorization = headers.get("authorization", "")
    if not authorization.startswith("Bearer "):
        return None
    payload = authorization.removeprefix("Bearer ").split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    return json.loads(base64.urlsafe_b64decode(padded)).get(name)


def invalidation_url(router: Router) -> str:
    """The endpoint of a router whose invalidation listens on a port of its own."""
    found = eventually(
        lambda: re.search(
            r"Entity cache invalidation served at (\S+)", router.stderr()
        ),
        "invalidation endpoint announced",
    )
    return str(found.group(1))


def invalidate(
    url: str, items: Any, secret: str | None = SECRET, raw: bytes | None = None
) -> Reply:
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["authorization"] = secret
    body = raw if raw is not None else json.dumps(items).encode()
    return http(url, body, method="POST", headers=headers)


def metric(router: Router, name: str, **labels: str) -> float:
    """A sample's value at the router's Prometheus endpoint (0 when absent); empty
    labels count as absent."""
    from prometheus_client.parser import text_string_to_metric_families

    found = eventually(
        lambda: re.search(r"Prometheus metrics served at (\S+)", router.stderr()),
        "metrics endpoint announced",
    )
    body = http(found.group(1)).body.decode()
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            present = {k: v for k, v in sample.labels.items() if v}
            if sample.name == name and present == labels:
                return float(sample.value)
    return 0.0
