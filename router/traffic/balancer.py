"""Load balancing: which instance of a subgraph a fetch goes to.

Three policies, Envoy's (https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/load_balancers):

- `round_robin`: each instance in turn.
- `least_request`: power of two choices: two instances drawn at random, the one with
  fewer requests in flight wins. Cheaper than scanning every instance, and it avoids
  the herd a strict "least" sends to one instance that just freed up.
- `weighted`: smooth weighted round robin (nginx's): every pick adds each instance's
  weight to its running score, takes the highest and subtracts the total from it.
  Deterministic and evenly spread: weights 9 and 1 give exactly 9 of every 10 picks
  to the first, never 9 in a row followed by a burst of 1.

`pick(avoid)` skips the instances a retry has already tried; it returns None when
nothing else is left.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from router.config.traffic import LoadBalancingPolicy
from router.execution.subgraph_client import SubgraphEndpoint
from router.traffic.health import InstanceHealth

__all__ = [
    "Balancer",
    "Instance",
    "LeastRequest",
    "RoundRobin",
    "Weighted",
    "balancer_for",
]


@dataclass(slots=True, eq=False)
class Instance:
    """One instance of a subgraph: where to send, the requests in flight there (for
    `least_request`) and, when its subgraph has health rules, its health (shared with
    the subgraph's `Guard`). Compared by identity."""

    endpoint: SubgraphEndpoint
    weight: int = 1
    labels: Mapping[str, str] = field(default_factory=dict)
    in_flight: int = 0
    health: InstanceHealth | None = None

    @property
    def url(self) -> str:
        return self.endpoint.url


class Balancer(Protocol):
    instances: tuple[Instance, ...]

    def pick(self, avoid: Sequence[Instance] = ()) -> Instance | None: ...


class RoundRobin:
    __slots__ = ("_next", "instances")

    def __init__(self, instances: Sequence[Instance]) -> None:
        self.instances = tuple(instances)
        self._next = 0

    def pick(self, avoid: Sequence[Instance] = ()) -> Instance | None:
        instances = self.instances
        count = len(instances)
        for _ in range(count):
            chosen = instances[self._next % count]
            self._next += 1
            if chosen not in avoid:
                return chosen
        return None


class LeastRequest:
    __slots__ = ("_random", "instances")

    def __init__(self, instances: Sequence[Instance], seed: int | None = None) -> None:
        self.instances = tuple(instances)
        self._random = random.Random(seed)

    def pick(self, avoid: Sequence[Instance] = ()) -> Instance | None:
        candidates: Sequence[Instance] = self.instances
        if avoid:
            candidates = [i for i in candidates if i not in avoid]
        if len(candidates) <= 1:
            return candidates[0] if candidates else None
        first, second = self._random.sample(candidates, 2)
        return first if first.in_flight <= second.in_flight else second


class Weighted:
    __slots__ = ("_scores", "instances")

    def __init__(self, instances: Sequence[Instance]) -> None:
        self.instances = tuple(instances)
        self._scores = [0] * len(self.instances)

    def pick(self, avoid: Sequence[Instance] = ()) -> Instance | None:
        scores = self._scores
        best = -1
        total = 0
        for index, instance in enumerate(self.instances):
            if avoid and instance in avoid:
                continue
            scores[index] += instance.weight
            total += instance.weight
            if best < 0 or scores[index] > scores[best]:
                best = index
        if best < 0:
            return None
        scores[best] -= total
        return self.instances[best]


def balancer_for(
    policy: LoadBalancingPolicy, instances: Sequence[Instance]
) -> Balancer:
    if policy == "least_request":
        return LeastRequest(instances)
    if policy == "weighted":
        return Weighted(instances)
    return RoundRobin(instances)
