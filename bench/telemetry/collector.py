"""A minimal OTLP/HTTP sink: `POST /v1/traces` answered 200 and counted, not decoded.

The benchmark's stand-in for a collector: it runs on the load core, so it must cost as
little as possible; `GET /stats` returns how many exports and bytes it received.
`python -m bench.telemetry.collector --port 0` prints its URL on the first stdout line.
"""

from __future__ import annotations

import argparse
import asyncio

from aiohttp import web

__all__ = ["main"]


def _app() -> web.Application:
    stats = {"exports": 0, "bytes": 0}

    async def traces(request: web.Request) -> web.Response:
        body = await request.read()
        stats["exports"] += 1
        stats["bytes"] += len(body)
        return web.Response(body=b"", content_type="application/x-protobuf")

    async def read_stats(request: web.Request) -> web.Response:
        return web.json_response(stats)

    app = web.Application(client_max_size=64 * 1024 * 1024)
    app.router.add_post("/v1/traces", traces)
    app.router.add_get("/stats", read_stats)
    return app


async def _serve(port: int) -> None:
    runner = web.AppRunner(_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    server = site._server
    assert server is not None
    bound = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"otlp sink http://127.0.0.1:{bound}", flush=True)
    await asyncio.Event().wait()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.telemetry.collector")
    parser.add_argument("--port", type=int, default=4318)
    args = parser.parse_args()
    asyncio.run(_serve(args.port))


if __name__ == "__main__":
    main()
