"""The batch exporter against a real OTLP/HTTP receiver."""

from __future__ import annotations

import asyncio
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.context import Context
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from telemetry_harness import OtlpReceiver

from router.config.telemetry import OtlpConfig
from router.telemetry.otlp_encoding import encode_resource_and_scope
from router.telemetry.otlp_export import OtlpBatchExporter
from router.telemetry.spans import Tracer, encode_spans


def test_a_span_otlp_cannot_hold_is_dropped_and_its_batch_still_exported() -> None:
    receiver = OtlpReceiver("http")

    async def export() -> None:
        config = OtlpConfig(enabled=True, protocol="http", endpoint=receiver.endpoint)
        exporter = OtlpBatchExporter(
            config,
            *encode_resource_and_scope({"service.name": "router"}, "test", ""),
            encode_spans,
        )
        tracer = Tracer(1.0, False, exporter.add)
        tracer.start_span("kept", Context(), attributes={"n": 1}).end()
        # A custom plugin's attribute value that is no OTLP AnyValue.
        tracer.start_span("odd", Context(), attributes={"v": object()}).end()  # type: ignore[dict-item]
        tracer.start_span("also kept", Context()).end()
        await exporter.shutdown()

    try:
        asyncio.run(export())
        assert sorted(s.name for s in receiver.spans) == ["also kept", "kept"]
    finally:
        receiver.stop()


class _KeepAliveCollector:
    """An OTLP/HTTP receiver speaking HTTP/1.1 that closes each connection after its
    answer without saying so (as a collector dropping idle connections does), answers
    the first export with `first_status`, and records each export's headers."""

    def __init__(self, first_status: int) -> None:
        self.exports: list[tuple[dict[str, str], int]] = []  # (headers, spans)
        collector = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                request = ExportTraceServiceRequest.FromString(body)
                spans = sum(
                    len(scope.spans)
                    for resource in request.resource_spans
                    for scope in resource.scope_spans
                )
                collector.exports.append(
                    ({k.lower(): v for k, v in self.headers.items()}, spans)
                )
                status = first_status if len(collector.exports) == 1 else 200
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()
                self.close_connection = True  # unannounced: no `connection: close`

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}/otlp/v1"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def test_plain_http_exports_carry_the_headers_and_survive_a_failure_and_closed_connections(
    caplog: pytest.LogCaptureFixture,
) -> None:
    collector = _KeepAliveCollector(first_status=503)

    async def export() -> None:
        config = OtlpConfig(
            enabled=True,
            protocol="http",
            endpoint=collector.endpoint,
            http={"headers": {"x-api-key": "secret-1"}},  # type: ignore[arg-type]
        )
        exporter = OtlpBatchExporter(
            config,
            *encode_resource_and_scope({"service.name": "router"}, "test", ""),
            encode_spans,
        )
        tracer = Tracer(1.0, False, exporter.add)
        for batch in range(3):
            for n in range(batch + 1):
                tracer.start_span(f"span {batch}.{n}", Context()).end()
            await exporter.flush()
        await exporter.shutdown()

    try:
        with caplog.at_level(logging.WARNING):
            asyncio.run(export())
        assert [spans for _, spans in collector.exports] == [1, 2, 3]
        for headers, _ in collector.exports:
            assert headers["x-api-key"] == "secret-1"
            assert headers["content-type"] == "application/x-protobuf"
        # The refused export is logged with its dropped spans; the others are not.
        failures = [
            r.getMessage() for r in caplog.records if "exporting" in r.getMessage()
        ]
        assert len(failures) == 1
        assert "(1 spans dropped): RuntimeError: HTTP 503" in failures[0]
    finally:
        collector.stop()
