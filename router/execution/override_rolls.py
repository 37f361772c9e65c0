"""Per request, which progressive-override labels are active.

Each ``percent(x)`` label of the supergraph is rolled on its own, active with
probability x/100, as Apollo Router's progressive override does; the active set is part
of the plan-cache key, so each combination is planned once.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

__all__ = ["OverrideRolls"]

_NONE: frozenset[str] = frozenset()


class OverrideRolls:
    """Rolls the active labels of one supergraph's percent labels."""

    def __init__(
        self, percentages: Mapping[str, float], rng: random.Random | None = None
    ) -> None:
        self._always = frozenset(
            label for label, p in percentages.items() if p >= 100.0
        )
        self._rolled = tuple(
            (label, p / 100.0) for label, p in percentages.items() if 0.0 < p < 100.0
        )
        self._random = (rng or random.Random()).random

    def active(self) -> frozenset[str]:
        """The labels active for one request (the empty set when there are none)."""
        if not self._rolled:
            return self._always or _NONE
        rolled = [label for label, share in self._rolled if self._random() < share]
        return self._always.union(rolled) if rolled else self._always or _NONE
