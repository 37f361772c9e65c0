"""Serving one subgraph: the ASGI app and the command line every ``__main__`` shares.

The app answers GraphQL at ``/graphql`` (strawberry's ASGI view, so
``{ _service { sdl } }`` and ``_entities`` work as a router expects) and ``GET /health``
with 200. ``--port 0`` binds a free port; the line printed once the socket is bound
names the real one, so tests can start subgraphs without racing for ports.
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
from typing import TYPE_CHECKING, Any

import uvicorn
from strawberry.asgi import GraphQL

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from strawberry.federation import Schema

    Receive = Callable[[], Awaitable[dict[str, Any]]]
    Send = Callable[[dict[str, Any]], Awaitable[None]]
    ASGIApp = Callable[[dict[str, Any], Receive, Send], Awaitable[None]]
    Stats = Callable[[], dict[str, Any]]

__all__ = ["GRAPHQL_PATH", "HEALTH_PATH", "build_app", "main"]

GRAPHQL_PATH = "/graphql"
HEALTH_PATH = "/health"


async def _respond(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def build_app(schema: Schema, stats: Stats | None = None) -> ASGIApp:
    """The subgraph's ASGI app: GraphQL at GRAPHQL_PATH (over HTTP, and over WebSocket
    with graphql-transport-ws for subscriptions), liveness at HEALTH_PATH, whose body
    carries `stats()` as `"stats"` when given."""
    graphql = GraphQL(schema, graphql_ide=None)

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        path = scope.get("path")
        if path == GRAPHQL_PATH:
            await graphql(scope, receive, send)  # type: ignore[arg-type]
        elif scope["type"] == "http" and path == HEALTH_PATH:
            body = (
                {"status": "ok"}
                if stats is None
                else {"status": "ok", "stats": stats()}
            )
            await _respond(send, 200, json.dumps(body, separators=(",", ":")).encode())
        elif scope["type"] == "http":
            await _respond(send, 404, b'{"error":"not found"}')

    return app


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def main(
    name: str,
    schema: Schema,
    default_port: int,
    argv: Sequence[str] | None = None,
    stats: Stats | None = None,
) -> int:
    """Runs subgraph `name` under uvicorn until interrupted."""
    parser = argparse.ArgumentParser(
        prog=f"python -m subgraphs.{name}", description=f"The {name} example subgraph."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--port", type=int, default=default_port, help="0 picks a free port"
    )
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

    try:
        sock = _bind(args.host, args.port)
    except OSError as error:
        print(
            f"{name}: cannot listen on {args.host}:{args.port}: {error}",
            file=sys.stderr,
        )
        return 1
    port = sock.getsockname()[1]
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"{name} subgraph on http://{host}:{port}{GRAPHQL_PATH}", flush=True)
    config = uvicorn.Config(
        build_app(schema, stats),
        lifespan="off",
        access_log=False,
        log_level=args.log_level,
    )
    uvicorn.Server(config).run(sockets=[sock])
    return 0
