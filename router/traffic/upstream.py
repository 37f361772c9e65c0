"""A subgraph's instances and the rules that pick among them, built once per config.

Where a subgraph's fetches go, first rule that applies:

1. `override_subgraph_url.<name>` (Apollo's key): that one URL.
2. `subgraphs.<name>.instances`: those instances.
3. The URL the supergraph gives the subgraph (`@join__graph(url:)`, which composition
   at start-up takes from `routing_url`).

Header routes split the instances into pools. A client request whose headers match a
route (the first that matches) goes to the pool of instances carrying the route's
labels; any other request goes to the instances that no route selects, or to all of
them when the routes select every instance (Envoy's subset fallback, "default
subset"). A route from `traffic_shaping.all` applies to the subgraphs where some
instance carries its labels, and is left out elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from router.config import RouterConfig
from router.config.traffic import LoadBalancingPolicy, labels_match
from router.execution.subgraph_client import SubgraphEndpoint
from router.traffic.balancer import Balancer, Instance, balancer_for
from router.traffic.breaker import CircuitBreaker
from router.traffic.health import Guard
from router.traffic.retries import RetryPolicy

__all__ = ["Pool", "Upstream", "build_upstreams"]


@dataclass(frozen=True, slots=True, eq=False)
class Pool:
    """Instances that a request may go to, and the policy picking among them.
    `number` tells pools apart in deduplication keys."""

    number: int
    instances: tuple[Instance, ...]
    balancer: Balancer

    @classmethod
    def of(
        cls, number: int, policy: LoadBalancingPolicy, instances: list[Instance]
    ) -> Pool:
        return cls(number, tuple(instances), balancer_for(policy, instances))


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    header: str  # lower-case, as `RequestContext.headers` holds names
    value: str | None  # None: the header's presence is enough
    pool: Pool


@dataclass(frozen=True, slots=True, eq=False)
class Upstream:
    """One subgraph: its pools, routes, retry policy, deduplication switch, circuit
    breaker and the guard of its instances' health."""

    name: str
    default_pool: Pool
    routes: tuple[Route, ...]
    retry: RetryPolicy | None
    deduplicate: bool
    breaker: CircuitBreaker | None = None
    guard: Guard | None = None
    instances: tuple[Instance, ...] = ()  # every one, in the config's order

    def pool_for(self, client_headers: Mapping[str, str] | None) -> Pool:
        """The pool of a request with these client headers (names lower-case)."""
        if self.routes and client_headers:
            for route in self.routes:
                got = client_headers.get(route.header)
                if got is not None and (route.value is None or got == route.value):
                    return route.pool
        return self.default_pool


def build_upstreams(
    config: RouterConfig, supergraph_urls: Mapping[str, str]
) -> dict[str, Upstream]:
    """Every subgraph of the supergraph (name -> its `@join__graph` URL)."""
    return {name: _upstream(config, name, url) for name, url in supergraph_urls.items()}


def _upstream(config: RouterConfig, name: str, supergraph_url: str) -> Upstream:
    shaping = config.traffic_shaping.for_subgraph(name)
    timeout = float(shaping.timeout or 30.0)
    compression = shaping.compression
    if compression == "identity":
        compression = None

    def instance(
        url: str, weight: int = 1, labels: Mapping[str, str] | None = None
    ) -> Instance:
        endpoint = SubgraphEndpoint(name, url, timeout=timeout, compression=compression)
        return Instance(endpoint, weight, dict(labels or {}))

    override = config.override_subgraph_url.get(name)
    registered = config.subgraphs.get(name)
    if override is not None:
        instances = [instance(override)]
    elif registered is not None and registered.instances:
        instances = [
            instance(i.url, i.weight or 1, i.labels) for i in registered.instances
        ]
    else:
        instances = [instance(supergraph_url)]
    policy: LoadBalancingPolicy = (
        "round_robin"
        if shaping.load_balancing is None
        else shaping.load_balancing.policy
    )
    routes: list[Route] = []
    routed: set[int] = set()
    if override is None:
        for rule in shaping.routes or ():
            chosen = [i for i in instances if labels_match(rule.labels, i.labels)]
            if not chosen:
                continue  # a route from `all` that this subgraph has no instance for
            routed.update(id(i) for i in chosen)
            pool = Pool.of(len(routes) + 1, policy, chosen)
            routes.append(Route(rule.header, rule.value, pool))
    rest = [i for i in instances if id(i) not in routed] or instances
    breaker = shaping.circuit_breaker
    check = shaping.health_check
    outlier = shaping.outlier_detection
    if check is not None and not check.enabled:
        check = None
    if outlier is not None and not outlier.enabled:
        outlier = None
    guard = None
    if check is not None or outlier is not None:
        guard = Guard(name, [i.url for i in instances], check, outlier)
        for member, state in zip(instances, guard.states, strict=True):
            member.health = state
    return Upstream(
        name,
        Pool.of(0, policy, rest),
        tuple(routes),
        None
        if shaping.experimental_retry is None
        else RetryPolicy(shaping.experimental_retry),
        shaping.deduplicate_query is not False,
        None if breaker is None or not breaker.enabled else CircuitBreaker(breaker),
        guard,
        tuple(instances),
    )
