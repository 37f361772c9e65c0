"""The Prometheus scrape endpoint: `GET <path>` on a listener of its own.

`telemetry.exporters.metrics.prometheus.{listen, path}`, as in Apollo Router (default
127.0.0.1:9090/metrics). One server per process, kept across config reloads while its
address stays the same, so a scrape never finds the port closed during a reload. A port
that cannot be bound is logged; the router goes on serving GraphQL without it.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from router.side_listener import serve_aside
from router.telemetry.metrics import CONTENT_TYPE_LATEST, RouterMetrics

__all__ = ["MetricsServer", "configure_metrics_server"]

logger = logging.getLogger(__name__)


class MetricsServer:
    """An aiohttp server answering `path` with `metrics`' exposition."""

    def __init__(self, listen: str, path: str, metrics: RouterMetrics) -> None:
        self.listen = listen
        self.path = path
        self._metrics = metrics
        self._runner: web.AppRunner | None = None
        self.address: str | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(self.path, self._scrape)
        self._runner, origin = await serve_aside(app, self.listen)
        self.address = origin + self.path
        logger.info("Prometheus metrics served at %s", self.address)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _scrape(self, request: web.Request) -> web.Response:
        body = self._metrics.exposition()
        return web.Response(body=body, headers={"content-type": CONTENT_TYPE_LATEST})


_current: MetricsServer | None = None
_lock = asyncio.Lock()


async def configure_metrics_server(
    listen: str | None, path: str, metrics: RouterMetrics | None
) -> None:
    """Makes the process's scrape endpoint match the config (None: no endpoint)."""
    global _current
    async with _lock:
        if (
            _current is not None
            and listen == _current.listen
            and path == _current.path
            and metrics is not None
        ):
            return
        if _current is not None:
            await _current.stop()
            _current = None
        if listen is None or metrics is None:
            return
        server = MetricsServer(listen, path, metrics)
        try:
            await server.start()
        except (OSError, ValueError) as exc:
            logger.error(
                "telemetry.exporters.metrics.prometheus.listen: cannot listen on %s: %s;"
                " serving without the metrics endpoint",
                listen,
                exc,
            )
            return
        _current = server
