"""Running the app under uvicorn (uvloop, httptools with a capped request head), in one
process or several.

The sockets are bound here, before uvicorn starts, so that `--listen 127.0.0.1:0` can
announce the port it got, and so that `--workers N` processes share them (uvicorn's
multiprocess supervisor hands the same listening sockets to every worker).
"""

from __future__ import annotations

import socket
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess

from router.config import RouterConfig
from router.server.app import RouterApp
from router.server.http_protocol import CappedHttpToolsProtocol
from router.server.settings import ServeSettings
from router.telemetry.multiprocess import shared_metrics_folder

__all__ = ["bind", "serve", "split_listen"]


def split_listen(listen: str) -> tuple[str, int]:
    """`host:port` (`[::1]:4000` for IPv6) -> (host, port); ValueError when malformed."""
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isdigit() or not host:
        raise ValueError(f"expected HOST:PORT (got {listen!r})")
    return host.strip("[]"), int(port)


def bind(listen: str) -> socket.socket:
    host, port = split_listen(listen)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # Listening at once: a client that connects while the app starts waits in the
        # backlog instead of being refused.
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def shown_address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def serve(
    settings: ServeSettings,
    config: RouterConfig,
    sockets: list[socket.socket],
    workers: int,
) -> None:
    """Serves until SIGINT/SIGTERM; uvicorn handles the signals and graceful shutdown."""
    options: dict[str, object] = {
        "loop": "uvloop",
        "http": CappedHttpToolsProtocol,
        "lifespan": "on",
        "access_log": False,
        "log_config": None,
        "timeout_graceful_shutdown": 10,
        # The client address is the peer's; X-Forwarded-For is believed only from
        # `ratelimit.trusted_proxies` (router.plugins.ratelimit), never by uvicorn.
        "proxy_headers": False,
    }
    if workers > 1:
        settings.to_environment()
        uvicorn_config = uvicorn.Config(
            "router.server.app:app_from_environment",
            factory=True,
            workers=workers,
            # uvicorn kills a worker whose health thread has not answered in this
            # long; its 5 s default killed busy workers (a large reload, a CPU-starved
            # machine) with their requests in flight, adding to the load that slowed them.
            timeout_worker_healthcheck=30,
            **options,  # type: ignore[arg-type]
        )
        # Workers share their metrics through files (router.telemetry.multiprocess).
        with shared_metrics_folder():
            Multiprocess(uvicorn_config, sockets=sockets).run()
    else:
        app = RouterApp(settings, config)
        uvicorn_config = uvicorn.Config(app, **options)  # type: ignore[arg-type]
        server = uvicorn.Server(uvicorn_config)
        server.run(sockets=sockets)
        if not server.started:
            sys.exit(1)
