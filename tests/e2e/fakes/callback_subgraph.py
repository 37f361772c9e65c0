"""The reviews subgraph speaking Apollo's HTTP callback protocol for its subscriptions.

    python tests/e2e/fakes/callback_subgraph.py --port 0

The first stdout line names its GraphQL URL. It runs the example reviews schema
(`subgraphs.reviews`) in process: queries, mutations and `_entities` are answered as
the strawberry subgraph answers them; a subscription that carries
`extensions.subscription` (https://www.apollographql.com/docs/graphos/routing/
operations/subscriptions/callback-protocol) is checked with the router (`check`, before
answering), answered `{"data": null}`, then each event is POSTed as `next`, a `check`
every `heartbeatIntervalMs`, and `complete` when the stream ends. A 404 (or any other
failure) to a callback stops the subscription, as the protocol says.

Knobs for tests, `POST /control` with any of:
- `{"heartbeats": false}`: subscriptions stop sending `check` heartbeats;
- `{"verifier": "forged"}`: `next` messages carry a wrong verifier (`"own"` restores);
- `{"complete": true}`: every open subscription sends `complete` and ends.

`GET /health` answers `{"status": "ok", "stats": {...}}`: `active` subscriptions,
`started`, and `answers`, the router's statuses by action (`"next 404": 1`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import socket
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from subgraphs.reviews.schema import schema

PROTOCOL = {"subscription-protocol": "callback/1.0"}


class Callbacks:
    """The open callback subscriptions and what the router answered them."""

    def __init__(self) -> None:
        self.heartbeats = True
        self.forged = False
        self.active: dict[str, asyncio.Task[None]] = {}
        self.completing: set[str] = set()
        self.started = 0
        self.answers: Counter[str] = Counter()
        self.session: aiohttp.ClientSession | None = None

    async def post(self, spec: dict[str, Any], action: str, **extra: Any) -> int:
        assert self.session is not None
        verifier = spec["verifier"]
        if self.forged and action == "next":
            verifier = "0" * len(verifier)
        message = {
            "kind": "subscription",
            "action": action,
            "id": spec["subscriptionId"],
            "verifier": verifier,
            **extra,
        }
        try:
            async with self.session.post(
                spec["callbackUrl"], json=message, headers=PROTOCOL
            ) as response:
                status = response.status
        except aiohttp.ClientError:
            status = 0
        self.answers[f"{action} {status}"] += 1
        return status

    async def run(self, spec: dict[str, Any], events: Any) -> None:
        """Sends each event as `next`, heartbeats meanwhile; stops at a refusal."""
        beating = asyncio.get_running_loop().create_task(self._beat(spec))
        try:
            async for result in events:
                payload: dict[str, Any] = {"data": result.data}
                if result.errors:
                    payload["errors"] = [e.formatted for e in result.errors]
                if await self.post(spec, "next", payload=payload) != 200:
                    return
            await self.post(spec, "complete")
        finally:
            beating.cancel()
            with contextlib.suppress(Exception):
                await events.aclose()
            self.active.pop(spec["subscriptionId"], None)

    async def _beat(self, spec: dict[str, Any]) -> None:
        interval = spec.get("heartbeatIntervalMs") or 0
        if interval <= 0:
            return
        while True:
            await asyncio.sleep(interval / 1000)
            if not self.heartbeats:
                continue
            if await self.post(spec, "check") != 204:
                task = self.active.get(spec["subscriptionId"])
                if task is not None:
                    task.cancel()
                return


def build_app() -> web.Application:
    callbacks = Callbacks()
    specs: dict[str, dict[str, Any]] = {}
    app = web.Application()

    async def on_startup(_: web.Application) -> None:
        callbacks.session = aiohttp.ClientSession(trust_env=False)

    async def on_cleanup(_: web.Application) -> None:
        if callbacks.session is not None:
            await callbacks.session.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)

    async def graphql(request: web.Request) -> web.Response:
        body = await request.json()
        spec = (body.get("extensions") or {}).get("subscription")
        if spec is None:
            result = await schema.execute(
                body["query"],
                variable_values=body.get("variables"),
                operation_name=body.get("operationName"),
            )
            answer: dict[str, Any] = {"data": result.data}
            if result.errors:
                answer["errors"] = [e.formatted for e in result.errors]
            return web.json_response(answer)
        if "callbackSpec=1.0" not in request.headers.get("accept", ""):
            return _refuse("expected Accept: application/json;callbackSpec=1.0")
        if await callbacks.post(spec, "check") != 204:
            return _refuse("the router refused the check")
        events = await schema.subscribe(
            body["query"],
            variable_values=body.get("variables"),
            operation_name=body.get("operationName"),
        )
        if not hasattr(events, "__aiter__"):  # refused before execution
            return web.json_response(
                {"data": None, "errors": [e.formatted for e in events.errors or []]}
            )
        identifier = spec["subscriptionId"]
        specs[identifier] = spec
        callbacks.started += 1
        task = asyncio.get_running_loop().create_task(callbacks.run(spec, events))
        callbacks.active[identifier] = task
        return web.json_response({"data": None})

    async def control(request: web.Request) -> web.Response:
        body = await request.json()
        if "heartbeats" in body:
            callbacks.heartbeats = bool(body["heartbeats"])
        if "verifier" in body:
            callbacks.forged = body["verifier"] == "forged"
        if body.get("complete"):
            for identifier, task in list(callbacks.active.items()):
                task.cancel()
                callbacks.active.pop(identifier, None)
                await callbacks.post(specs[identifier], "complete")
        return web.json_response({"ok": True})

    async def health(_: web.Request) -> web.Response:
        stats = {
            "active": len(callbacks.active),
            "started": callbacks.started,
            "answers": dict(callbacks.answers),
        }
        return web.json_response({"status": "ok", "stats": stats})

    app.router.add_post("/graphql", graphql)
    app.router.add_post("/control", control)
    app.router.add_get("/health", health)
    return app


def _refuse(message: str) -> web.Response:
    return web.json_response({"errors": [{"message": message}]}, status=400)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", args.port))
    print(f"callback subgraph on http://127.0.0.1:{sock.getsockname()[1]}/graphql")
    sys.stdout.flush()
    web.run_app(build_app(), sock=sock, print=None, handle_signals=True)


if __name__ == "__main__":
    main()
