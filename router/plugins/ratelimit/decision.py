"""What a rate-limit check decides, and the limits it checks, shared by the backends."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

__all__ = ["Decision", "Limit", "LimitState", "combine"]

Algorithm = Literal["token_bucket", "sliding_window"]


@dataclass(frozen=True, slots=True)
class Limit:
    """`capacity` per `interval` seconds, counted under `key` by `algorithm`."""

    key: str
    capacity: int
    interval: float
    algorithm: Algorithm


@dataclass(frozen=True, slots=True)
class LimitState:
    """One limit after a check: what is left, and the seconds until it is full again
    (`reset`) or until one more request fits (`retry`, 0 when one fits now)."""

    limit: Limit
    remaining: int
    reset: float
    retry: float


@dataclass(frozen=True, slots=True)
class Decision:
    """A whole check: admitted only if every limit had room (then each was counted)."""

    allowed: bool
    states: tuple[LimitState, ...]

    def headers(self) -> list[tuple[str, str]]:
        """RateLimit-* headers for the tightest limit; Retry-After when refused."""
        if not self.states:
            return []
        tightest = min(self.states, key=lambda s: (s.remaining, -s.reset))
        headers = [
            ("RateLimit-Limit", str(tightest.limit.capacity)),
            ("RateLimit-Remaining", str(max(0, tightest.remaining))),
            ("RateLimit-Reset", str(max(0, math.ceil(tightest.reset)))),
        ]
        if not self.allowed:
            wait = max(s.retry for s in self.states)
            headers.append(("Retry-After", str(max(1, math.ceil(wait)))))
        return headers


def combine(decisions: list[Decision]) -> Decision:
    return Decision(
        all(d.allowed for d in decisions),
        tuple(s for d in decisions for s in d.states),
    )
