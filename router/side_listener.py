"""A small aiohttp application on a listener of its own, beside the GraphQL one (the
Prometheus scrape endpoint, the entity cache's invalidation endpoint)."""

from __future__ import annotations

import os
import socket

from aiohttp import web

from router.telemetry.multiprocess import MULTIPROCESS_VARIABLE

__all__ = ["serve_aside"]


async def serve_aside(app: web.Application, listen: str) -> tuple[web.AppRunner, str]:
    """Serves `app` on `listen` (`HOST:PORT`, `[V6]:PORT`; port 0 picks one); returns
    its runner (`cleanup()` stops it) and `http://HOST:PORT` as bound. Raises `OSError`
    or `ValueError` when the address cannot be bound."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if os.environ.get(MULTIPROCESS_VARIABLE):
        # `--workers N`: every worker listens on the address; the kernel hands each
        # connection to one of them.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, int(port)))
    except (OSError, ValueError):
        sock.close()
        await runner.cleanup()
        raise
    await web.SockSite(runner, sock).start()
    bound_host, bound_port = sock.getsockname()[:2]
    shown = "127.0.0.1" if bound_host in ("0.0.0.0", "::") else bound_host
    return runner, f"http://{shown}:{bound_port}"
