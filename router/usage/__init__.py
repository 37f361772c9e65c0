"""Operation usage (`telemetry.usage`): which operations each client sends, and the
schema coordinates they use, for `router usage export` and `router check --usage`."""

from __future__ import annotations

from router.usage.coordinates import operation_coordinates
from router.usage.recorder import UsageRecorder, usage_backend
from router.usage.report import UsageReport, UsageReportError

__all__ = [
    "UsageRecorder",
    "UsageReport",
    "UsageReportError",
    "operation_coordinates",
    "usage_backend",
]
