"""Telemetry overhead: router throughput with tracing (sampler 1.0) and metrics on,
against both off, in the same run. See README.md here."""
