"""The router.yaml keys that spread a subgraph's traffic over its instances.

```yaml
subgraphs:
  products:
    routing_url: http://products:4001/graphql     # composition and introspection
    instances:                                     # where fetches go (ours)
      - { url: http://products-1:4001/graphql, weight: 9 }
      - { url: http://products-canary:4001/graphql, weight: 1, labels: { track: canary } }
traffic_shaping:
  subgraphs:
    products:
      load_balancing: { policy: weighted }         # round_robin | least_request | weighted
      routes: [ { header: x-canary, value: "1", labels: { track: canary } } ]
      experimental_retry: { min_per_sec: 10, ttl: 10s, retry_percent: 0.2 }  # Apollo's
      deduplicate_query: true                      # Apollo's key; our default
      circuit_breaker: { failure_rate: 0.5, minimum_requests: 20, window: 10s,
                         open_for: 10s, half_open_requests: 3 }      # ours
      health_check: { path: /health, interval: 5s, timeout: 1s,
                      unhealthy_after: 2, healthy_after: 2 }         # ours
      outlier_detection: { consecutive_failures: 5, ejection_time: 30s,
                           max_ejection_percent: 10 }                # ours
```

`instances`, `load_balancing` and `routes` are ours (Envoy's vocabulary: weighted
clusters, least request by power of two choices, subsets picked by header);
`experimental_retry` is Apollo Router 1.x's retry budget
(https://www.apollographql.com/docs/router/configuration/traffic-shaping), the token
bucket of tower's `TpsBudget`. `circuit_breaker` is ours (resilience4j's count of
failures over a rolling window, with Envoy's and Kong's vocabulary); `health_check`
and `outlier_detection` are Envoy's active health checking and consecutive-failure
outlier ejection, with Kong's friendlier names for the thresholds. Each of these three
sections is merged as a whole, and `enabled: false` in a subgraph's own section turns
off the one set under `all`. `router.traffic` applies them.

`traffic_problems` holds the checks that need two sections at once (an instance's
`weight` needs the subgraph's policy); `RouterConfig` runs it, so a bad file is refused
naming the dotted key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from router.config.duration import Duration

if TYPE_CHECKING:
    from router.config.model import SubgraphConfig, TrafficShapingConfig

__all__ = [
    "CircuitBreakerConfig",
    "HeaderRoute",
    "InstanceHealthCheckConfig",
    "LoadBalancingConfig",
    "LoadBalancingPolicy",
    "OutlierDetectionConfig",
    "RetryConfig",
    "SubgraphInstance",
    "labels_match",
    "traffic_problems",
]

LoadBalancingPolicy = Literal["round_robin", "least_request", "weighted"]
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubgraphInstance(_Strict):
    """`subgraphs.<name>.instances[]`: one copy of the subgraph.

    `weight` (only with `load_balancing.policy: weighted`, default 1) is its share of
    the traffic; `labels` name it for header `routes` (`{track: canary}`).
    """

    url: str
    weight: int | None = Field(default=None, ge=1)
    labels: dict[str, str] = {}

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


class LoadBalancingConfig(_Strict):
    """`traffic_shaping.*.load_balancing`: how a fetch picks one of the instances."""

    policy: LoadBalancingPolicy = "round_robin"


class HeaderRoute(_Strict):
    """`traffic_shaping.*.routes[]`: client requests whose `header` has `value` (or is
    present at all, without `value`) go only to the instances carrying all `labels`."""

    header: str
    value: str | None = None
    labels: dict[str, str]

    @field_validator("header")
    @classmethod
    def _token(cls, value: str) -> str:
        if _TOKEN.fullmatch(value) is None:
            raise ValueError("must be an HTTP header name")
        return value.lower()

    @field_validator("labels")
    @classmethod
    def _some(cls, value: dict[str, str]) -> dict[str, str]:
        if not value:
            raise ValueError("must name at least one label")
        return value


class RetryConfig(_Strict):
    """`traffic_shaping.*.experimental_retry`: Apollo Router's retry budget.

    Every fetch answered without a retryable failure deposits a token that lives `ttl`;
    a retry withdraws `1 / retry_percent` tokens (`retry_percent: 0.2`: one retry per
    five successes), on top of `min_per_sec` retries a second that need no deposit.
    Mutations are retried after they reached the subgraph only with `retry_mutations`.
    """

    min_per_sec: int = Field(default=10, ge=0)
    ttl: Duration = 10.0
    retry_percent: float = Field(default=0.2, ge=0.0, le=1000.0)
    retry_mutations: bool = False

    @field_validator("ttl")
    @classmethod
    def _ttl_range(cls, value: float) -> float:
        # tower's TpsBudget, which Apollo's retries are built on, takes 1 s to 60 s.
        if not 1.0 <= value <= 60.0:
            raise ValueError("must be between 1s and 60s")
        return value


class CircuitBreakerConfig(_Strict):
    """`traffic_shaping.*.circuit_breaker`: stop sending to a subgraph that fails.

    Closed, it counts the fetches to the subgraph over a rolling `window`; once at
    least `minimum_requests` were answered in it and the failing fraction (no
    connection, timeout, broken connection, 5xx) reaches `failure_rate`, it opens.
    Open, fetches fail at once with `SUBREQUEST_CIRCUIT_OPEN`. After `open_for` it is
    half-open: `half_open_requests` probes go through; all succeed, it closes; one
    fails, it opens again. The section is merged as a whole: a subgraph's own
    `circuit_breaker` replaces `all`'s (`enabled: false` there turns `all`'s off).
    """

    enabled: bool = True
    failure_rate: float = Field(default=0.5, gt=0.0, le=1.0)
    minimum_requests: int = Field(default=20, ge=1)
    window: Duration = 10.0
    open_for: Duration = 10.0
    half_open_requests: int = Field(default=3, ge=1)

    @field_validator("window", "open_for")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be longer than 0s")
        return value


class InstanceHealthCheckConfig(_Strict):
    """`traffic_shaping.*.health_check`: ask each instance whether it is up.

    Every `interval`, `GET <path>` on each instance's origin (scheme, host and port of
    its URL); an answer in 2xx within `timeout` passes, anything else fails. After
    `unhealthy_after` failures in a row the instance gets no fetches; after
    `healthy_after` passes in a row it gets them again. Instances start healthy.
    """

    enabled: bool = True
    path: str = "/health"
    interval: Duration = 5.0
    timeout: Duration = 1.0
    unhealthy_after: int = Field(default=2, ge=1)
    healthy_after: int = Field(default=2, ge=1)

    @field_validator("path")
    @classmethod
    def _absolute(cls, value: str) -> str:
        if not value.startswith("/") or any(c.isspace() for c in value):
            raise ValueError("must be a path starting with '/', without spaces")
        return value

    @field_validator("interval", "timeout")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be longer than 0s")
        return value


class OutlierDetectionConfig(_Strict):
    """`traffic_shaping.*.outlier_detection`: Envoy's consecutive-failure ejection.

    An instance whose fetches fail `consecutive_failures` times in a row (no
    connection, timeout, broken connection, 5xx) is ejected: it gets no fetches for
    `ejection_time` times the number of times it has been ejected (at most
    `max_ejection_time`). Ejections stop once `max_ejection_percent` of the subgraph's
    instances are out, except that one instance may always be ejected when none is.
    """

    enabled: bool = True
    consecutive_failures: int = Field(default=5, ge=1)
    ejection_time: Duration = 30.0
    max_ejection_time: Duration = 300.0
    max_ejection_percent: int = Field(default=10, ge=0, le=100)

    @field_validator("ejection_time", "max_ejection_time")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be longer than 0s")
        return value


def labels_match(wanted: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    """Whether an instance's `labels` carry every one of `wanted`."""
    return all(labels.get(key) == value for key, value in wanted.items())


def traffic_problems(
    subgraphs: Mapping[str, SubgraphConfig],
    shaping: TrafficShapingConfig,
    overridden: frozenset[str],
) -> list[str]:
    """`path: message` for each rule that contradicts the instances it is about:

    - an instance `weight` under a policy other than `weighted`;
    - a route set for one subgraph whose labels no instance of it carries (a route in
      `traffic_shaping.all` applies where some instance carries its labels).

    Subgraphs named in `override_subgraph_url` (`overridden`) have one URL and no
    instances to check.
    """
    problems: list[str] = []
    for name, entry in subgraphs.items():
        instances = entry.instances or []
        if name in overridden or not instances:
            continue
        policy = shaping.for_subgraph(name).load_balancing
        if policy is None or policy.policy != "weighted":
            chosen = "round_robin" if policy is None else policy.policy
            problems += [
                f"subgraphs.{name}.instances.{index}.weight: a weight needs "
                f"`load_balancing: {{policy: weighted}}` in traffic_shaping "
                f"(subgraph {name!r} uses {chosen})"
                for index, instance in enumerate(instances)
                if instance.weight is not None
            ]
    for name, own in shaping.subgraphs.items():
        if own.routes is None or name in overridden:
            continue
        registered = subgraphs.get(name)
        instances = (registered.instances if registered is not None else None) or []
        for index, route in enumerate(own.routes):
            if not any(labels_match(route.labels, i.labels) for i in instances):
                where = (
                    "no instance of it has them"
                    if instances
                    else f"subgraphs.{name}.instances lists none"
                )
                problems.append(
                    f"traffic_shaping.subgraphs.{name}.routes.{index}.labels: "
                    f"{route.labels} match no instance of subgraph {name!r} ({where})"
                )
    return problems
