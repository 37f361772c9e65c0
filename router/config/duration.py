"""Durations in router.yaml, written as Apollo Router writes them: `30s`, `500ms`, `1m 30s`.

Apollo Router reads durations with the `humantime` crate; we accept its common units
(ns, us, ms, s, m, h, d) and a sum of several parts. A bare number is refused, because
its unit would be a guess.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BeforeValidator

__all__ = ["Duration", "parse_duration"]

_PART = re.compile(
    r"\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s|sec|secs|m|min|mins|h|hr|hrs|d)\s*"
)
_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "secs": 1.0,
    "m": 60.0,
    "min": 60.0,
    "mins": 60.0,
    "h": 3600.0,
    "hr": 3600.0,
    "hrs": 3600.0,
    "d": 86400.0,
}


def parse_duration(text: str) -> float:
    """Seconds in `text` (`"30s"` -> 30.0); ValueError naming the accepted form."""
    position, total, parts = 0, 0.0, 0
    while position < len(text):
        match = _PART.match(text, position)
        if match is None or match.end() == position:
            break
        total += float(match.group(1)) * _SECONDS[match.group(2)]
        position, parts = match.end(), parts + 1
    if parts == 0 or position != len(text):
        raise ValueError("expected a duration such as '30s', '500ms' or '1m 30s'")
    return total


def _to_seconds(value: object) -> object:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("expected a duration such as '30s', '500ms' or '1m 30s'")
    raise ValueError(
        "a duration needs a unit: write '30s' or '500ms', not a bare number"
    )


Duration = Annotated[float, BeforeValidator(_to_seconds)]
"""A router.yaml duration, held in seconds."""
