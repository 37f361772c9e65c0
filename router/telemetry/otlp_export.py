"""Batches ended spans and sends them to the collector from the event loop.

https://www.apollographql.com/docs/graphos/routing/observability/telemetry/trace-exporters/otlp
(`batch_processor`). An export encodes its batch's spans (the encoder it was given,
`spans.encode_spans`), joins them, and sends one request: over OTLP/HTTP a POST on
the subgraph client's keep-alive pool (`router.execution.http1`; aiohttp for https),
over gRPC a `grpc.aio` call with the bytes as the message. Both wait on the loop
without a thread, so nothing competes with request handling for the GIL. A span that finds
`max_queue_size` spans waiting is dropped (and counted in the log); a failed export is
logged and its spans dropped, never retried into a growing backlog, and never seen by
a request.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, urlsplit

from router.execution.http1 import Disconnected, Origin, Pools, StaleConnection
from router.telemetry.otlp_encoding import encode_export_request

if TYPE_CHECKING:
    from router.config.telemetry import OtlpConfig

__all__ = ["OtlpBatchExporter", "SpanEncoder"]

logger = logging.getLogger(__name__)

_GRPC_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
_LOG_EVERY = 60.0  # seconds between two logged failures or drops
_MAX_ANSWER = 1 << 20  # bytes of a collector's answer read at most


# Ended spans to `ScopeSpans.spans` fields, one each, in order.
SpanEncoder = Callable[[list[Any]], list[bytes]]


class OtlpBatchExporter:
    """The span sink of one `Tracing`: `add` from the hot path, `run` as a task."""

    def __init__(
        self,
        otlp: OtlpConfig,
        resource_field: bytes,
        scope_field: bytes,
        encode: SpanEncoder,
    ) -> None:
        batch = otlp.batch_processor
        self._protocol = otlp.protocol
        self._endpoint = otlp.traces_endpoint
        self._headers = otlp.headers
        self._delay = batch.scheduled_delay
        self._timeout = batch.max_export_timeout
        self._max_queue = batch.max_queue_size
        self._batch_size = min(batch.max_export_batch_size, batch.max_queue_size)
        self._resource_field = resource_field
        self._scope_field = scope_field
        self._encode = encode
        self._pending: list[Any] = []
        self._dropped = 0
        self._wake = asyncio.Event()
        self._woken = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._send: Any = None
        self._close: Any = None
        self._last_logged = -_LOG_EVERY

    def add(self, span: Any) -> None:
        """Queues one ended span (any thread; `list.append` is atomic)."""
        pending = self._pending
        if len(pending) >= self._max_queue:
            self._dropped += 1
            return
        pending.append(span)
        if len(pending) >= self._batch_size and not self._woken:
            self._woken = True
            if self._loop is not None:
                self._loop.call_soon_threadsafe(self._wake.set)

    def start(self) -> None:
        """Starts the export task on the running loop."""
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._run(), name="otlp-export")

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._wake.wait(), self._delay)
            except TimeoutError:
                # `scheduled_delay` without a full batch: what is queued goes now.
                await self.flush()
                continue
            self._wake.clear()
            self._woken = False
            await self.flush(full_only=True)

    async def flush(self, full_only: bool = False) -> None:
        """Exports everything queued now, a batch at a time; with `full_only`, only
        full batches (`max_export_batch_size`), leaving the rest to wait for more.

        Under load the spans that end while one batch is being posted are fewer than a
        batch: sending them at once, as a second smaller export, made the exporter post
        back to back in batches of a fifth of the size, each POST costing the event
        loop as much as a full one.
        """
        size = self._batch_size
        while len(self._pending) >= (size if full_only else 1):
            batch = self._pending[:size]
            del self._pending[:size]
            await self._export(batch)
        if self._dropped:
            self._log(
                "telemetry: %d spans dropped: more than %d were waiting for export "
                "(batch_processor.max_queue_size)",
                self._dropped,
                self._max_queue,
            )
            self._dropped = 0

    async def _export(self, batch: list[Any]) -> None:
        try:
            encoded = self._encode(batch)
        except Exception:  # an attribute value OTLP cannot hold: find its span
            encoded = []
            for span in batch:
                try:
                    encoded += self._encode([span])
                except Exception as error:
                    self._log(
                        "telemetry: dropped a span that could not be encoded: %s: %s",
                        type(error).__name__,
                        error,
                    )
        body = encode_export_request(self._resource_field, self._scope_field, encoded)
        try:
            if self._send is None:
                self._send, self._close = self._connect()
            await asyncio.wait_for(self._send(body), self._timeout)
        except Exception as error:
            self._log(
                "telemetry: failed exporting spans to %s (%d spans dropped): %s",
                self._endpoint,
                len(batch),
                f"{type(error).__name__}: {error}".rstrip(": "),
            )

    def _connect(self) -> tuple[Any, Any]:
        if self._protocol == "grpc":
            return self._connect_grpc()
        return self._connect_http()

    def _connect_http(self) -> tuple[Any, Any]:
        url = urlsplit(self._endpoint)
        if url.scheme == "http" and url.hostname:
            return self._connect_plain_http(url)
        import aiohttp

        session = aiohttp.ClientSession()
        headers = {**self._headers, "Content-Type": "application/x-protobuf"}

        async def send(body: bytes) -> None:
            async with session.post(
                self._endpoint, data=body, headers=headers
            ) as response:
                await response.read()
                if not 200 <= response.status < 300:
                    raise RuntimeError(f"HTTP {response.status}")

        return send, session.close

    def _connect_plain_http(self, url: SplitResult) -> tuple[Any, Any]:
        """A plain-HTTP collector through the subgraph client's keep-alive pool
        (`router.execution.http1`): an aiohttp POST cost about a twentieth of a small
        traced request's time, spread over the requests of a batch."""
        loop = asyncio.get_running_loop()
        pools = Pools(loop)
        target = url.path + (f"?{url.query}" if url.query else "")
        origin = Origin.of(
            url.hostname or "",
            url.port or 80,
            target,
            {**self._headers, "content-type": "application/x-protobuf"},
        )

        async def send(body: bytes) -> None:
            deadline = loop.time() + self._timeout
            try:
                response = await pools.post(origin, b"", body, _MAX_ANSWER, deadline)
            except (StaleConnection, Disconnected):
                # Mostly a kept-alive connection the collector had just closed. Sent
                # once more on a new one, as OTLP exporters retry connection failures
                # (a collector that had read the batch sees it twice).
                response = await pools.post(origin, b"", body, _MAX_ANSWER, deadline)
            if not 200 <= response.status < 300:
                raise RuntimeError(f"HTTP {response.status}")

        async def close() -> None:
            pools.close()

        return send, close

    def _connect_grpc(self) -> tuple[Any, Any]:
        import grpc  # type: ignore[import-untyped]

        scheme, _, target = self._endpoint.partition("://")
        target = target.rstrip("/")
        channel = (
            grpc.aio.insecure_channel(target)
            if scheme == "http"
            else grpc.aio.secure_channel(target, grpc.ssl_channel_credentials())
        )
        call = channel.unary_unary(_GRPC_METHOD)
        metadata = tuple((k.lower(), v) for k, v in self._headers.items()) or None

        async def send(body: bytes) -> None:
            await call(body, timeout=self._timeout, metadata=metadata)

        return send, channel.close

    async def shutdown(self) -> None:
        """Stops the task, exports what is queued, closes the connection."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            await self.flush()
        finally:
            if self._close is not None:
                await self._close()
                self._send = self._close = None

    def _log(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if now - self._last_logged >= _LOG_EVERY:
            self._last_logged = now
            logger.warning(message, *args)
