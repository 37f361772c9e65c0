"""The batch exporter against a real OTLP/HTTP receiver."""

from __future__ import annotations

import asyncio

from opentelemetry.context import Context
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
