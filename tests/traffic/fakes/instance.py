"""One instance of the `echo` subgraph (`../echo.graphql`), which counts what it gets
and misbehaves on demand.

    python tests/traffic/fakes/instance.py --port 0 --name blue

The first stdout line names its GraphQL URL. `POST /graphql` answers `whoami` with the
instance's name, `echo(text:)` with the text, and the mutation `bump` with how many
mutations this instance has run; it serves the `hello` subgraph (`../hello.graphql`)
too, answering `hello` with `hello from <name>`. `POST /mode {"mode": ..., "times": N}` changes what
the next N requests (every one, without `times`) get:

- `ok`: the answer (the default);
- `status500`: HTTP 500 with a plain-text body, after reading the request;
- `close`: the connection closed after reading the request, no answer;
- `hold`: the answer waits until `POST /release`.
- `gzip`, `deflate`, `br`: the answer compressed in that coding, with Content-Encoding;
- `bomb`: a small gzip body that inflates to 60 MiB of spaces.

A compressed request body (Content-Encoding gzip, deflate or br) is inflated; the
coding of the last one is `encoding` in `/stats`.

`GET /stats` -> `{"requests", "queries", "mutations", "held", "checks", "passes"}`
(requests counted when read, whatever the mode; `checks` health checks answered,
`passes` 2xx health checks answered in a row); `POST /reset` zeroes them and goes
back to `ok`. `GET /health` (and `GET /healthz`; `by_path` in `/stats` counts each)
answers the status `POST /health {"status": N}` set (200 at first).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gzip
import json
import zlib
from typing import Any

from aiohttp import web


class _State:
    def __init__(self, name: str) -> None:
        self.name = name
        self.reset()

    def reset(self) -> None:
        self.mode = "ok"
        self.times: int | None = None
        self.requests = 0
        self.queries = 0
        self.mutations = 0
        self.held = 0
        self.release = asyncio.Event()
        self.health = 200
        self.encoding = ""
        self.checks = 0
        self.by_path: dict[str, int] = {}
        self.passes = 0

    def next_mode(self) -> str:
        mode = self.mode
        if self.times is not None:
            self.times -= 1
            if self.times <= 0:
                self.mode, self.times = "ok", None
        return mode


def build_app(name: str) -> web.Application:
    state = _State(name)
    app = web.Application()

    async def graphql(request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        state.encoding = request.headers.get("content-encoding", "identity")
        payload = json.loads(_inflate(raw, state.encoding))
        query = str(payload.get("query", ""))
        mutation = query.lstrip().startswith("mutation")
        state.requests += 1
        if mutation:
            state.mutations += 1
        else:
            state.queries += 1
        mode = state.next_mode()
        if mode == "status500":
            return web.Response(status=500, text="Internal Server Error")
        if mode == "close":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if mode == "bomb":
            return web.Response(
                body=_bomb(),
                headers={
                    "content-type": "application/json",
                    "content-encoding": "gzip",
                },
            )
        if mode in ("gzip", "deflate", "br"):
            answer = json.dumps({"data": _answer(query, payload, state)}).encode()
            return web.Response(
                body=_compress(answer, mode),
                headers={"content-type": "application/json", "content-encoding": mode},
            )
        if mode == "hold":
            state.held += 1
            try:
                await state.release.wait()
            finally:
                state.held -= 1
        return web.json_response({"data": _answer(query, payload, state)})

    async def set_mode(request: web.Request) -> web.Response:
        body = await request.json()
        state.mode = body["mode"]
        state.times = body.get("times")
        if state.mode == "hold":
            state.release = asyncio.Event()
        return web.json_response({"mode": state.mode})

    async def release(request: web.Request) -> web.Response:
        state.release.set()
        if state.mode == "hold":
            state.mode, state.times = "ok", None
        return web.json_response({"released": True})

    async def stats(request: web.Request) -> web.Response:
        return web.json_response(
            {
                "requests": state.requests,
                "queries": state.queries,
                "mutations": state.mutations,
                "held": state.held,
                "checks": state.checks,
                "passes": state.passes,
                "encoding": state.encoding,
                "by_path": state.by_path,
            }
        )

    async def reset(request: web.Request) -> web.Response:
        state.release.set()
        state.reset()
        return web.json_response({"reset": True})

    async def health(request: web.Request) -> web.Response:
        state.checks += 1
        state.by_path[request.path] = state.by_path.get(request.path, 0) + 1
        state.passes = state.passes + 1 if state.health < 300 else 0
        return web.json_response({"status": state.health}, status=state.health)

    async def set_health(request: web.Request) -> web.Response:
        state.health = int((await request.json())["status"])
        state.passes = 0
        return web.json_response({"status": state.health})

    app.router.add_post("/graphql", graphql)
    app.router.add_post("/mode", set_mode)
    app.router.add_post("/release", release)
    app.router.add_post("/reset", reset)
    app.router.add_get("/stats", stats)
    app.router.add_get("/health", health)
    app.router.add_get("/healthz", health)
    app.router.add_post("/health", set_health)
    return app


def _inflate(raw: bytes, encoding: str) -> bytes:
    """A request body as sent, whether or not the server already inflated it."""
    if encoding == "gzip" and raw[:2] == b"\x1f\x8b":
        return gzip.decompress(raw)
    if encoding == "deflate" and raw[:1] == b"\x78":
        return zlib.decompress(raw)
    if encoding == "br" and raw[:1] != b"{":
        import brotli  # type: ignore[import-untyped, import-not-found, unused-ignore]

        return bytes(brotli.decompress(raw))
    return raw


def _compress(body: bytes, coding: str) -> bytes:
    if coding == "gzip":
        return gzip.compress(body)
    if coding == "deflate":
        return zlib.compress(body)
    import brotli  # type: ignore[import-untyped, import-not-found, unused-ignore]

    return bytes(brotli.compress(body))


@functools.cache
def _bomb() -> bytes:
    """60 MiB of spaces in about 60 KiB of gzip. After a full flush a compressor starts
    afresh, so one compressed MiB repeats as it is (the trailer's checksum covers
    only two: a reader must refuse the body long before it)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * (1 << 20)
    head = compressor.compress(b'{"data": {"whoami": "') + compressor.compress(block)
    head += compressor.flush(zlib.Z_FULL_FLUSH)
    again = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.compress(b'"}}') + compressor.flush()
    return head + again * 59 + tail


def _answer(query: str, payload: dict[str, Any], state: _State) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if "whoami" in query:
        data["whoami"] = state.name
    if "echo" in query:
        variables = payload.get("variables") or {}
        data["echo"] = next(iter(variables.values()), "") if variables else ""
    if "hello" in query:
        data["hello"] = f"hello from {state.name}"
    if "bump" in query:
        data["bump"] = state.mutations
    return data


async def serve(port: int, name: str) -> None:
    runner = web.AppRunner(build_app(name), shutdown_timeout=0.1, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"instance {name} at http://127.0.0.1:{bound}/graphql", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--name", required=True)
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.name))


if __name__ == "__main__":
    main()
