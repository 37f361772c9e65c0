"""Helpers for the policy tests: routers with a given router.yaml, a recording proxy
in front of a subgraph, a JWKS server, and signed tokens made with keys the test makes.

Everything runs on loopback, in real processes (router, subgraphs) or threads (proxy,
JWKS server). A module of its own (not conftest.py) so tests import it by name.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.server.server_harness import REPO, Reply, Router, http, write_config

__all__ = [
    "REPO",
    "JwksServer",
    "KeyPair",
    "RecordingProxy",
    "Reply",
    "Router",
    "free_port",
    "http",
    "post",
    "start_router",
    "write_config",
]

TOP_PRODUCTS = "{ topProducts(first: 1) { upc name } }"
ME = "{ me { id username } }"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_router(folder: Path, urls: Mapping[str, str], extra: str) -> Router:
    """`router serve` over the committed supergraph with `extra` router.yaml."""
    config = write_config(folder, urls, extra)
    return Router(
        ["--config", str(config), "--listen", "127.0.0.1:0"], folder
    ).wait_ready()


def post(
    router: Router,
    query: str = TOP_PRODUCTS,
    headers: Mapping[str, str] | None = None,
    **fields: Any,
) -> Reply:
    return router.post({"query": query, **fields}, headers=headers)


@dataclass
class _Recorded:
    headers: list[list[tuple[str, str]]] = field(default_factory=list)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return None  # a client that hung up (a router past its timeout) is expected


class RecordingProxy:
    """Forwards POSTs to `target`, records the request headers it got, and adds
    `reply_headers` to every answer: a subgraph whose traffic a test can see."""

    def __init__(
        self,
        target: str,
        reply_headers: list[tuple[str, str]],
        delay: float = 0.0,
        hold: bool = False,
    ) -> None:
        self.target = target
        self.delay = delay
        self.reply_headers = reply_headers
        self.recorded = _Recorded()
        # With `hold`, every request waits until `release()` (or close): a subgraph
        # that is slow for exactly as long as the test wants, with no clock involved.
        self.hold = hold
        self.arrived = threading.Event()
        self._released = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                proxy.recorded.headers.append(
                    [(k.lower(), v) for k, v in self.headers.items()]
                )
                proxy.arrived.set()
                if proxy.hold:
                    proxy._released.wait(60)
                time.sleep(proxy.delay)
                request = urllib.request.Request(
                    proxy.target,
                    data=body,
                    headers={"content-type": "application/json"},
                )
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                with opener.open(request, timeout=10) as answer:
                    data = answer.read()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                for name, value in proxy.reply_headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/graphql"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def last(self) -> dict[str, str]:
        return dict(self.recorded.headers[-1])

    def release(self) -> None:
        """Let held requests (and every later one) through."""
        self._released.set()

    @property
    def released(self) -> bool:
        return self._released.is_set()

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


class JwksServer:
    """Serves `keys` as a JWKS document at `url`; counts the fetches."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.fetches = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.fetches += 1
                data = json.dumps({"keys": server.keys}).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class KeyPair:
    """A signing key the test made (RSA or EC P-256) and its public JWK."""

    def __init__(self, kind: str, kid: str) -> None:
        self.kid = kid
        self.algorithm = "RS256" if kind == "rsa" else "ES256"
        self.private: Any = (
            rsa.generate_private_key(public_exponent=65537, key_size=2048)
            if kind == "rsa"
            else ec.generate_private_key(ec.SECP256R1())
        )
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        self.jwk: dict[str, Any] = json.loads(
            algorithm.to_jwk(self.private.public_key())
        )
        self.jwk.update(kid=kid, alg=self.algorithm, use="sig")

    def token(self, claims: Mapping[str, Any] | None = None, **headers: Any) -> str:
        now = int(time.time())
        body = {"sub": "user-1", "iat": now, "exp": now + 600, **(claims or {})}
        return jwt.encode(
            body,
            self.private,
            algorithm=self.algorithm,
            headers={"kid": self.kid, **headers},
        )


@contextmanager
def proxy_for(
    target: str, reply: list[tuple[str, str]], delay: float = 0.0, hold: bool = False
) -> Iterator[RecordingProxy]:
    proxy = RecordingProxy(target, reply, delay, hold)
    try:
        yield proxy
    finally:
        proxy.close()
