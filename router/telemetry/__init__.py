"""Observability: tracing (OpenTelemetry, OTLP export), Prometheus metrics, access logs.

The telemetry plugin (`router.plugins.telemetry`) wires these into the request path:

- `tracing`: the tracer of one config (sampler, resource, batch OTLP export,
  propagators); `spans`: our spans, which encode themselves when they end;
  `otlp_encoding`: OTLP's protobuf written as bytes; `otlp_export`: batches sent to
  the collector from the event loop;
- `active`: the request's tracer and metrics for the pipeline's own stages (`parse`,
  `validate`, `query_planning`, `execution` spans; cache and planning metrics);
- `metrics`, `labels`, `metrics_server`: the golden signals, bounded labels, `/metrics`;
- `access_log`: one line per request on stdout;
- `plan_exposure`: `Apollo-Expose-Query-Plan`.

Nothing is re-exported here: `router.server` imports `active` on its hot path, and
`metrics` imports `router.server`'s error catalogue, so importing the package must not
import them all.
"""
