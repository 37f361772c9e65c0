"""The access log: one line per GraphQL request on stdout, JSON or key=value text.

`telemetry.exporters.logging.stdout` (Apollo Router's key). A logger of its own
(`router.access`) with its own stdout handler, so the lines are exactly the record and
never mix with the router's diagnostics on stderr.
"""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import Any

import orjson

__all__ = ["AccessLog"]


class AccessLog:
    """Writes access-log records in `format` ("json" or "text")."""

    def __init__(self, format: str) -> None:
        self._json = format == "json"
        self._logger = logging.getLogger("router.access")
        if not any(getattr(h, "_router_access", False) for h in self._logger.handlers):
            handler = logging.StreamHandler(sys.stdout)
            handler.setFormatter(logging.Formatter("%(message)s"))
            handler._router_access = True  # type: ignore[attr-defined]
            self._logger.addHandler(handler)
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False

    def write(self, record: dict[str, Any]) -> None:
        line = {
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds"),
            **record,
        }
        if self._json:
            self._logger.info(orjson.dumps(line).decode())
        else:
            self._logger.info(" ".join(f"{k}={_text(v)}" for k, v in line.items()))


def _text(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return "-" if value is None else str(value)
