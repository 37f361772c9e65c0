"""The subgraphs of any number of worlds, served for real over HTTP from one process.

    python -m oracle.server [--host 127.0.0.1] [--port 0]      (run from tests/)

The first stdout line is ``oracle subgraphs serving http://HOST:PORT``. Routes:

- ``PUT /worlds/<world>``: a world's JSON (``oracle.world.World``); builds its subgraphs.
- ``DELETE /worlds/<world>``: forgets it.
- ``POST /worlds/<world>/<subgraph>``: GraphQL over HTTP for that subgraph. Every
  request is validated against the subgraph's own schema; an invalid one, or one that
  makes a resolver meet a ``Violation``, is logged.
- ``GET /worlds/<world>/log``: ``{"violations": [...], "requests": [...]}`` since the
  last read (every request with its response, for reports), then cleared.

One process holds hundreds of worlds cheaply: a world is a few schemas and records.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    execute,
    parse,
)

from oracle.semantics import Data, Violation
from oracle.subgraph_schema import SubgraphRuntime, build_subgraph
from oracle.world import World
from router.validation import validate_document

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


def world_interfaces(world: World) -> dict[str, set[str]]:
    """Every object type's interfaces, over all of the world's subgraphs."""
    from graphql import ObjectTypeDefinitionNode, ObjectTypeExtensionNode

    implements: dict[str, set[str]] = {}
    for sdl in world.subgraphs.values():
        for definition in parse(sdl).definitions:
            if isinstance(
                definition, ObjectTypeDefinitionNode | ObjectTypeExtensionNode
            ):
                names = implements.setdefault(definition.name.value, set())
                names.update(i.name.value for i in definition.interfaces or ())
    return implements


class HostedWorld:
    def __init__(self, world: World) -> None:
        self.world = world
        data = Data(world)
        interfaces = world_interfaces(world)
        self.subgraphs: dict[str, SubgraphRuntime] = {}
        for name, sdl in world.subgraphs.items():
            runtime = build_subgraph(name, sdl, data)
            runtime.set_world_interfaces(interfaces)
            self.subgraphs[name] = runtime
        self.violations: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []
        self._documents: dict[
            tuple[str, str], tuple[DocumentNode | None, list[str]]
        ] = {}

    def _document(
        self, subgraph: str, schema: GraphQLSchema, query: str
    ) -> tuple[DocumentNode | None, list[str]]:
        cached = self._documents.get((subgraph, query))
        if cached is None:
            try:
                document: DocumentNode | None = parse(query)
                assert document is not None
                errors = [e.message for e in validate_document(schema, document)]
            except GraphQLError as error:
                document, errors = None, [f"parse: {error.message}"]
            cached = (document, errors)
            self._documents[(subgraph, query)] = cached
        return cached

    def execute(self, subgraph: str, body: Any) -> dict[str, Any]:
        response = self._execute(subgraph, body)
        self.requests.append(
            {"subgraph": subgraph, "request": body, "response": response}
        )
        return response

    def _execute(self, subgraph: str, body: Any) -> dict[str, Any]:
        runtime = self.subgraphs.get(subgraph)
        if runtime is None:
            return {"errors": [{"message": f"no subgraph {subgraph!r}"}]}
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            self._log(subgraph, body, ["not a GraphQL request"])
            return {"errors": [{"message": "not a GraphQL request"}]}
        query = body["query"]
        document, errors = self._document(subgraph, runtime.schema, query)
        if errors or document is None:
            self._log(subgraph, body, errors)
            code = (
                "GRAPHQL_PARSE_FAILED"
                if document is None
                else "GRAPHQL_VALIDATION_FAILED"
            )
            return {
                "errors": [
                    {"message": message, "extensions": {"code": code}}
                    for message in errors
                ]
            }
        result = execute(
            runtime.schema,
            document,
            root_value=runtime.data.root(),
            variable_values=body.get("variables") or {},
            operation_name=body.get("operationName"),
            field_resolver=runtime.field_resolver,
            type_resolver=runtime.type_resolver,  # type: ignore[arg-type]
        )
        assert not isinstance(result, Awaitable)
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            # A world's own failures (``FieldFailure``) are plain located errors; a
            # Violation, a variable the subgraph refuses (no path) or any other
            # exception is something a correct router would not have caused.
            violations = [
                e.message
                if isinstance(e.original_error, Violation | type(None))
                else f"{type(e.original_error).__name__}: {e.message}"
                for e in result.errors
                if not e.path
                or (
                    e.original_error is not None
                    and not isinstance(e.original_error, GraphQLError)
                )
            ]
            if violations:
                self._log(subgraph, body, violations)
            out["errors"] = [e.formatted for e in result.errors]
        return out

    def _log(self, subgraph: str, body: Any, problems: list[str]) -> None:
        self.violations.append(
            {
                "subgraph": subgraph,
                "query": body.get("query") if isinstance(body, dict) else None,
                "variables": body.get("variables") if isinstance(body, dict) else None,
                "problems": problems,
            }
        )


class OracleServer:
    """The ASGI app."""

    def __init__(self) -> None:
        self.worlds: dict[str, HostedWorld] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        method = scope["method"]
        parts = [p for p in scope["path"].split("/") if p]
        body = await _read_body(receive)
        status, payload = self.route(method, parts, body)
        await _send_json(send, status, payload)

    def route(self, method: str, parts: list[str], body: bytes) -> tuple[int, Any]:
        if parts == ["health"]:
            return 200, {"status": "UP"}
        if len(parts) < 2 or parts[0] != "worlds":
            return 404, {"error": "not found"}
        world_name = parts[1]
        if len(parts) == 2:
            if method == "PUT":
                try:
                    world = World.from_json(json.loads(body))
                    self.worlds[world_name] = HostedWorld(world)
                except Exception as error:  # a broken world is the caller's to see
                    return 400, {"error": f"{type(error).__name__}: {error}"}
                return 200, {"ok": True}
            if method == "DELETE":
                self.worlds.pop(world_name, None)
                return 200, {"ok": True}
            return 405, {"error": "PUT or DELETE"}
        hosted = self.worlds.get(world_name)
        if hosted is None:
            return 404, {"error": f"no world {world_name!r}"}
        if parts[2] == "log" and method == "GET":
            log = {"violations": hosted.violations, "requests": hosted.requests}
            hosted.violations, hosted.requests = [], []
            return 200, log
        if method != "POST":
            return 405, {"error": "POST"}
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        return 200, hosted.execute(parts[2], request)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _send_json(send: Send, status: int, payload: Any) -> None:
    body = json.dumps(payload).encode()
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


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it every response waits on a delayed ACK (40 ms).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(1024)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(
        OracleServer(),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_keep_alive=30,
    )
    server = uvicorn.Server(config)
    print(f"oracle subgraphs serving http://{host}:{port}", flush=True)
    asyncio.run(server.serve(sockets=[sock]))


if __name__ == "__main__":
    sys.exit(main())
