"""Traffic to subgraphs: instances, load balancing, header routes, retries,
deduplication, circuit breakers and instance health (active checks, outlier ejection),
between the executor and the HTTP client (DESIGN.md "Where the next parts go").

`build_traffic(config, supergraph_urls, client)` makes the `SubgraphTraffic` of one
loaded config; the subgraph stage's core calls its `post`. Config keys:
`router.config.traffic`.
"""

from __future__ import annotations

from collections.abc import Mapping

from router.config import RouterConfig
from router.execution.subgraph_client import SubgraphClient
from router.traffic.balancer import (
    Balancer,
    Instance,
    LeastRequest,
    RoundRobin,
    Weighted,
    balancer_for,
)
from router.traffic.breaker import CircuitBreaker
from router.traffic.health import Guard, InstanceHealth
from router.traffic.retries import RetryBudget, RetryPolicy, retry_reason
from router.traffic.sharing import NOT_VARYING_HEADERS, InFlight
from router.traffic.subgraph_traffic import SubgraphTraffic, is_mutation
from router.traffic.upstream import Pool, Upstream, build_upstreams

__all__ = [
    "NOT_VARYING_HEADERS",
    "Balancer",
    "CircuitBreaker",
    "Guard",
    "InFlight",
    "Instance",
    "InstanceHealth",
    "LeastRequest",
    "Pool",
    "RetryBudget",
    "RetryPolicy",
    "RoundRobin",
    "SubgraphTraffic",
    "Upstream",
    "Weighted",
    "balancer_for",
    "build_traffic",
    "build_upstreams",
    "is_mutation",
    "retry_reason",
]


def build_traffic(
    config: RouterConfig, supergraph_urls: Mapping[str, str], client: SubgraphClient
) -> SubgraphTraffic:
    """The traffic of `config` for the supergraph's subgraphs (name -> URL)."""
    return SubgraphTraffic(client, build_upstreams(config, supergraph_urls))
