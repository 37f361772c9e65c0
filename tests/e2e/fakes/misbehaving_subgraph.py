"""A subgraph that misbehaves on demand: a proxy in front of a real subgraph.

    python tests/e2e/fakes/misbehaving_subgraph.py --port 0 --upstream URL

The first stdout line names its GraphQL URL. `POST /graphql` forwards to the upstream
subgraph, or misbehaves as `POST /mode {"mode": ...}` last said:

- `pass`: forwards (the default);
- `status500`: answers 500 with a plain-text body;
- `hang`: never answers (until the client gives up);
- `malformed`: answers 200 `application/json` with a truncated JSON body;
- `short_entities`: forwards, then drops the last item of `data._entities`;
- `wrong_types`: forwards, then turns every number in `data` into a string;
- `deep_json`: answers 200 with JSON nested 100,000 levels deep;
- `not_an_object`: answers 200 with a JSON array.

`GET /health` answers 200. A real process, so the router meets it over real sockets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from typing import Any

import aiohttp
from aiohttp import web

MODES = (
    "pass",
    "status500",
    "hang",
    "malformed",
    "short_entities",
    "wrong_types",
    "deep_json",
    "not_an_object",
)
CANNED = {
    "malformed": b'{"data": {"_entities": [{"__typename": "Us',
    "deep_json": b'{"data": {"_entities": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
    "not_an_object": b"[1, 2, 3]",
}


def _numbers_as_strings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _numbers_as_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_strings(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def build_app(upstream: str) -> web.Application:
    state = {"mode": "pass"}
    app = web.Application()

    async def on_startup(app: web.Application) -> None:
        app["session"] = aiohttp.ClientSession(trust_env=False)

    async def on_cleanup(app: web.Application) -> None:
        await app["session"].close()

    async def forward(request: web.Request) -> tuple[int, bytes]:
        body = await request.read()
        async with app["session"].post(
            upstream, data=body, headers={"content-type": "application/json"}
        ) as answer:
            return answer.status, await answer.read()

    async def graphql(request: web.Request) -> web.Response:
        mode = state["mode"]
        if mode == "status500":
            await request.read()
            return web.Response(status=500, text="Internal Server Error")
        if mode == "hang":
            await asyncio.sleep(3600)
        if mode in CANNED:
            await request.read()
            return web.Response(body=CANNED[mode], content_type="application/json")
        status, body = await forward(request)
        if mode == "short_entities":
            answer = json.loads(body)
            entities = (answer.get("data") or {}).get("_entities")
            if isinstance(entities, list) and entities:
                entities.pop()
            body = json.dumps(answer).encode()
        elif mode == "wrong_types":
            answer = json.loads(body)
            answer["data"] = _numbers_as_strings(answer.get("data"))
            body = json.dumps(answer).encode()
        return web.Response(status=status, body=body, content_type="application/json")

    async def set_mode(request: web.Request) -> web.Response:
        mode = (await request.json())["mode"]
        if mode not in MODES:
            return web.Response(status=400, text=f"unknown mode {mode!r}")
        state["mode"] = mode
        return web.json_response({"mode": mode})

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app.router.add_post("/graphql", graphql)
    app.router.add_post("/mode", set_mode)
    app.router.add_get("/health", health)
    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    return app


async def serve(port: int, upstream: str) -> None:
    runner = web.AppRunner(build_app(upstream), shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"misbehaving subgraph at http://127.0.0.1:{bound}/graphql", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--upstream", required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.upstream))


if __name__ == "__main__":
    main()
