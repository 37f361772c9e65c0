"""The typed shape of router.yaml (pydantic models; unknown keys are rejected).

Where Apollo Router has a key we use its name, meaning and default
(https://www.apollographql.com/docs/graphos/routing/configuration). The policy sections
(`headers`, `cors`, `csrf`, `ratelimit`, `authentication`, `authorization`) live in
modules of their own. `plugins` maps an import path to a custom plugin's config
(`router.plugins.custom` imports the plugin and validates that config with the plugin's
own model); `experimental.expose_query_plan`, Apollo Router's, is ours to apply. Any
other key is an error naming it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from router.config.authentication import AuthenticationConfig
from router.config.authorization import AuthorizationConfig
from router.config.cache import InMemoryCacheConfig, RedisCacheConfig
from router.config.cors import CorsConfig, CsrfConfig
from router.config.duration import Duration
from router.config.entity_cache import EntityCacheConfig
from router.config.headers import HeadersConfig
from router.config.persisted_queries import (
    ApqConfig,
    PersistedQueriesConfig,
    check_persisted_queries,
)
from router.config.ratelimit import RateLimitConfig
from router.config.subscription import SubscriptionConfig
from router.config.telemetry import TelemetryConfig
from router.config.traffic import (
    CircuitBreakerConfig,
    HeaderRoute,
    InstanceHealthCheckConfig,
    LoadBalancingConfig,
    OutlierDetectionConfig,
    RetryConfig,
    SubgraphInstance,
    traffic_problems,
)
from router.execution.content_coding import BROTLI

if TYPE_CHECKING:
    from planner.planning import PlannerConfig

__all__ = [
    "BUILT_IN_PLUGIN_KEYS",
    "BatchingConfig",
    "HealthCheckConfig",
    "IncludeSubgraphErrorsConfig",
    "LimitsConfig",
    "QueryPlanningConfig",
    "RouterConfig",
    "SubgraphConfig",
    "SubgraphSchemaSource",
    "SubgraphTrafficShaping",
    "SupergraphConfig",
    "TrafficShapingConfig",
]

# Keys of `plugins` the router applies itself (Apollo Router's); every other key is a
# custom plugin's import path.
BUILT_IN_PLUGIN_KEYS = frozenset({"experimental.expose_query_plan"})

DEFAULT_SUBGRAPH_TIMEOUT = (
    30.0  # seconds; Apollo Router's default for `traffic_shaping`
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _PlanCache(_Strict):
    """`supergraph.query_planning.cache`: the in-memory LRU of plans, and Redis behind
    it when `redis` is set (Apollo Router's distributed query-plan cache), shared by
    every router process (router.cache.plan_store)."""

    in_memory: InMemoryCacheConfig = InMemoryCacheConfig()
    redis: RedisCacheConfig | None = None


class _PlanningConcurrency(_Strict):
    """`supergraph.query_planning.concurrency` (ours): cold plans at once, in total and
    per client (router.server.planning_slots)."""

    max_running: int = Field(default=2, ge=1)
    per_client: int = Field(default=8, ge=1)


class QueryPlanningConfig(_Strict):
    """`supergraph.query_planning`: the plan cache, the operations re-planned before a
    new schema serves (`warmed_up_queries`; unset: 30% of the in-memory cache's
    `limit`, Apollo's default), the plans evaluated per operation, how many cold
    plans run at once and whether same-level fetches share a stage (the other keys
    are accepted, inactive)."""

    cache: _PlanCache = _PlanCache()
    concurrency: _PlanningConcurrency = _PlanningConcurrency()
    warmed_up_queries: int | None = Field(default=None, ge=0)
    experimental_plans_limit: int | None = Field(default=None, ge=1)
    experimental_paths_limit: int | None = None
    experimental_reuse_query_plans: bool = False
    # Ours: entity fetches to one subgraph at the same level in one stage of the plan
    # (planner.planning.fetch_levels); off, plans keep Apollo's shape.
    merge_same_level_fetches: bool = True


class SupergraphConfig(_Strict):
    """`supergraph`: where the router listens, and which supergraph it serves."""

    listen: str = "127.0.0.1:4000"
    # PORT_NOTE: Apollo Router's default path is `/`; ours has always been `/graphql`.
    path: str = "/graphql"
    # Apollo Router's default: introspection is off unless asked for (`router dev`
    # turns it on when the file does not say; router.config.modes).
    introspection: bool = False
    # Ours: the browser explorer at `path` (router.explorer). Unset: on under `router
    # dev` when introspection is on, off under `router serve` (router.config.modes).
    explorer: bool | None = None
    # A composed supergraph; without it, compose from `subgraphs` at start-up.
    file: str | None = None
    query_planning: QueryPlanningConfig = QueryPlanningConfig()
    defer_support: bool = True

    @model_validator(mode="after")
    def _path_is_absolute(self) -> SupergraphConfig:
        if not self.path.startswith("/"):
            raise ValueError("path: must start with '/'")
        return self


class SubgraphSchemaSource(_Strict):
    """`subgraphs.<name>.schema`: exactly one of a file path or `introspect: true`."""

    file: str | None = None
    introspect: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> SubgraphSchemaSource:
        if (self.file is None) == (not self.introspect):
            raise ValueError("give exactly one of 'file' or 'introspect: true'")
        return self


class SubgraphConfig(_Strict):
    """`subgraphs.<name>`: the registry entry of one subgraph.

    `routing_url` is the URL composition writes into the supergraph and introspection
    asks; `instances` (ours) are where fetches go instead (router.config.traffic). Either
    may stand alone: without `routing_url`, the first instance's URL serves for both.
    """

    routing_url: str | None = None
    instances: list[SubgraphInstance] | None = None
    schema_: SubgraphSchemaSource | None = Field(default=None, alias="schema")

    @field_validator("instances")
    @classmethod
    def _some_instances(
        cls, value: list[SubgraphInstance] | None
    ) -> list[SubgraphInstance] | None:
        if value is not None and not value:
            raise ValueError("must list at least one instance")
        return value

    @model_validator(mode="after")
    def _somewhere(self) -> SubgraphConfig:
        if self.routing_url is None and self.instances is None:
            raise ValueError("give 'routing_url' or 'instances'")
        return self

    @property
    def url(self) -> str:
        """The subgraph's one URL: `routing_url`, else the first instance's."""
        if self.routing_url is not None:
            return self.routing_url
        assert self.instances  # checked by `_somewhere`
        return self.instances[0].url


class _RateLimit(_Strict):
    capacity: int = Field(ge=1)
    interval: Duration


class SubgraphTrafficShaping(_Strict):
    """`traffic_shaping.all` and `traffic_shaping.subgraphs.<name>` (Apollo's keys).

    Every field is optional so that `subgraphs.<name>` overrides `all` field by field;
    `TrafficShapingConfig.for_subgraph` does the merge. The HTTP/2 keys and
    `dns_resolution_strategy` are accepted and logged as inactive; the others take
    effect (`router.traffic` applies the instance and retry keys; `compression` is the
    coding of request bodies, router.execution.content_coding).
    """

    timeout: Duration | None = None
    # PORT_NOTE: Apollo's default is false; ours is true (queries only, never mutations).
    deduplicate_query: bool | None = None
    compression: Literal["gzip", "br", "deflate", "identity"] | None = None

    @field_validator("compression")
    @classmethod
    def _coding_available(cls, value: str | None) -> str | None:
        if value == "br" and not BROTLI:
            raise ValueError(
                "br needs the brotli package installed (pip install brotli); "
                "gzip works without it"
            )
        return value

    global_rate_limit: _RateLimit | None = None
    experimental_http2: Literal["enable", "disable", "http2only"] | None = None
    experimental_http2_keep_alive_interval: Duration | None = None
    experimental_http2_keep_alive_timeout: Duration | None = None
    dns_resolution_strategy: str | None = None
    experimental_retry: RetryConfig | None = None
    # Ours (router.config.traffic): how fetches pick an instance, and which client
    # requests go to which instances.
    load_balancing: LoadBalancingConfig | None = None
    routes: list[HeaderRoute] | None = None
    # Ours: fetches to a failing subgraph refused at once for a while (default off).
    circuit_breaker: CircuitBreakerConfig | None = None
    # Ours: instances asked whether they are up, and instances that keep failing
    # left out for a while (default off).
    health_check: InstanceHealthCheckConfig | None = None
    outlier_detection: OutlierDetectionConfig | None = None
    # Ours: entity fetches to this subgraph that become ready together go out as one
    # request with aliased `_entities` fields (default true).
    batch_entity_fetches: bool | None = None


class _RouterTrafficShaping(_Strict):
    """`traffic_shaping.router`: the request deadline (default 30 s), the global rate
    limit and the concurrency limit (router.plugins.traffic_shaping, .ratelimit), and
    (ours, default off) sharing one execution among identical client operations in
    flight (router.plugins.deduplication)."""

    timeout: Duration | None = None
    global_rate_limit: _RateLimit | None = None
    concurrency_limit: int | None = Field(default=None, ge=1)
    deduplicate_requests: bool = False

    @field_validator("timeout")
    @classmethod
    def _positive(cls, value: float | None) -> float | None:
        if value is not None and value <= 0:
            raise ValueError("must be longer than 0s")
        return value


class TrafficShapingConfig(_Strict):
    """`traffic_shaping`: `all` merged with `subgraphs.<name>` field by field."""

    router: _RouterTrafficShaping | None = None
    all: SubgraphTrafficShaping = SubgraphTrafficShaping()
    subgraphs: dict[str, SubgraphTrafficShaping] = {}

    def for_subgraph(self, name: str) -> SubgraphTrafficShaping:
        """The settings for `name`: its own fields, else `all`'s, else the defaults."""
        own = self.subgraphs.get(name)
        # Attributes, not `model_dump`: nested sections stay models.
        merged = {
            key: value
            for key in SubgraphTrafficShaping.model_fields
            if (value := getattr(self.all, key)) is not None
        }
        if own is not None:
            for key in SubgraphTrafficShaping.model_fields:
                value = getattr(own, key)
                if value is not None:
                    merged[key] = value
        merged.setdefault("timeout", DEFAULT_SUBGRAPH_TIMEOUT)
        return SubgraphTrafficShaping.model_construct(**merged)


class IncludeSubgraphErrorsConfig(_Strict):
    """`include_subgraph_errors`: whether subgraph error messages reach clients.

    Apollo's default is false: messages are replaced by "Subgraph errors redacted".
    `subgraphs.<name>` takes precedence over `all`.
    """

    all: bool = False
    subgraphs: dict[str, bool] = {}

    def includes(self, subgraph: str) -> bool:
        return self.subgraphs.get(subgraph, self.all)


class HealthCheckConfig(_Strict):
    """`health_check`: `GET <path>` (liveness) and `GET <path>?ready` (a schema is loaded).

    PORT_NOTE: Apollo Router listens for health checks on 127.0.0.1:8088 by default; we
    answer them on the GraphQL listener unless `listen` names another address, so that a
    router started with `--listen` alone needs one port.
    """

    enabled: bool = True
    listen: str | None = None
    path: str = "/health"


class _SubgraphBatchingSwitch(_Strict):
    enabled: bool = False


class _SubgraphBatching(_Strict):
    all: _SubgraphBatchingSwitch = _SubgraphBatchingSwitch()
    subgraphs: dict[str, _SubgraphBatchingSwitch] = {}


class BatchingConfig(_Strict):
    """`batching`: client batches (a JSON array of requests), Apollo Router's keys.

    Subgraph batching (`subgraph`) is accepted but not active yet: each operation of a
    batch is fetched from the subgraphs on its own.
    """

    enabled: bool = False
    mode: Literal["batch_http_link"] = "batch_http_link"
    subgraph: _SubgraphBatching | None = None
    maximum_size: int | None = Field(default=None, ge=1)


class LimitsConfig(_Strict):
    """`limits`: Apollo Router's request limits
    (https://www.apollographql.com/docs/graphos/routing/security/request-limits).

    The operation limits are off unless set; `warn_only` logs what would have been
    refused instead of refusing it. Apollo's other keys are accepted, not applied.
    """

    http_max_request_bytes: int = Field(default=2_000_000, ge=1)  # Apollo's default
    # Apollo's default: a document of more lexical tokens is refused before parsing ends.
    parser_max_tokens: int = Field(default=15_000, ge=1)
    # Apollo's default: deeper nesting of braces, parentheses or brackets is refused.
    parser_max_recursion: int = Field(default=500, ge=1)
    max_depth: int | None = Field(default=None, ge=1)
    max_height: int | None = Field(default=None, ge=1)
    max_aliases: int | None = Field(default=None, ge=0)
    max_root_fields: int | None = Field(default=None, ge=1)
    warn_only: bool = False
    http1_max_request_headers: int | None = None
    http1_max_request_buf_size: str | int | None = None
    introspection_max_depth: bool | None = None
    max_evaluated_plans: int | None = Field(default=None, ge=1)

    def operation_limits_set(self) -> bool:
        return any(
            v is not None
            for v in (
                self.max_depth,
                self.max_height,
                self.max_aliases,
                self.max_root_fields,
            )
        )


_SECTION = dict[str, Any]


class RouterConfig(_Strict):
    supergraph: SupergraphConfig = SupergraphConfig()
    subgraphs: dict[str, SubgraphConfig] = {}
    override_subgraph_url: dict[str, str] = {}
    traffic_shaping: TrafficShapingConfig = TrafficShapingConfig()
    include_subgraph_errors: IncludeSubgraphErrorsConfig = IncludeSubgraphErrorsConfig()
    health_check: HealthCheckConfig = HealthCheckConfig()
    batching: BatchingConfig = BatchingConfig()
    limits: LimitsConfig = LimitsConfig()
    headers: HeadersConfig = HeadersConfig()
    telemetry: TelemetryConfig = TelemetryConfig()
    cors: CorsConfig = CorsConfig()
    csrf: CsrfConfig = CsrfConfig()
    ratelimit: RateLimitConfig = RateLimitConfig()
    authentication: AuthenticationConfig = AuthenticationConfig()
    authorization: AuthorizationConfig = AuthorizationConfig()
    apq: ApqConfig = ApqConfig()
    persisted_queries: PersistedQueriesConfig = PersistedQueriesConfig()
    subscription: SubscriptionConfig = SubscriptionConfig()
    preview_entity_cache: EntityCacheConfig = EntityCacheConfig()
    plugins: _SECTION = {}

    @model_validator(mode="after")
    def _persisted_queries_consistent(self) -> RouterConfig:
        check_persisted_queries(self.apq, self.persisted_queries)
        return self

    @model_validator(mode="after")
    def _entity_cache_consistent(self) -> RouterConfig:
        problems = self.preview_entity_cache.problems()
        endpoint = self.preview_entity_cache.invalidation
        if (
            endpoint is not None
            and endpoint.listen == self.supergraph.listen
            and endpoint.path == self.supergraph.path
        ):
            problems.append(
                "preview_entity_cache.invalidation.path: must differ from "
                "supergraph.path on the router's own listener"
            )
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _instances_fit_their_rules(self) -> RouterConfig:
        problems = traffic_problems(
            self.subgraphs,
            self.traffic_shaping,
            frozenset(self.override_subgraph_url),
        )
        if problems:
            # `router.config.load` prints a message of a check across sections as it
            # is: each line starts with the dotted key.
            raise ValueError("\n".join(problems))
        return self

    @field_validator("plugins")
    @classmethod
    def _expose_query_plan_is_a_switch(cls, value: _SECTION) -> _SECTION:
        flag = value.get("experimental.expose_query_plan")
        if flag is not None and not isinstance(flag, bool):
            raise ValueError(
                f"experimental.expose_query_plan: must be true or false (got {flag!r})"
            )
        return value

    def plans_limit(self) -> int | None:
        """Plans the planner evaluates per operation: Apollo Router's
        `supergraph.query_planning.experimental_plans_limit`, else
        `limits.max_evaluated_plans`."""
        planning = self.supergraph.query_planning.experimental_plans_limit
        return planning if planning is not None else self.limits.max_evaluated_plans

    def planner_config(self) -> PlannerConfig:
        """The planner's settings as router.yaml gives them: the server and `router plan`
        plan alike."""
        from planner.planning import PlannerConfig

        planning = self.supergraph.query_planning
        options: dict[str, Any] = {
            "defer_support": self.supergraph.defer_support,
            "merge_same_level_fetches": planning.merge_same_level_fetches,
        }
        limit = self.plans_limit()
        if limit is not None:
            options["max_evaluated_plans"] = limit
        return PlannerConfig(**options)

    def warmed_up_queries(self) -> int:
        """Operations re-planned before a reloaded schema serves: Apollo Router's
        `supergraph.query_planning.warmed_up_queries`, by default 30% of the in-memory
        plan cache's `limit` (Apollo's default)."""
        planning = self.supergraph.query_planning
        if planning.warmed_up_queries is not None:
            return planning.warmed_up_queries
        return planning.cache.in_memory.limit * 3 // 10

    def inactive_keys(self) -> list[str]:
        """Keys present in the file that no code applies yet (logged once at start-up)."""
        # `plugins`: `experimental.expose_query_plan` is applied by
        # router.plugins.telemetry, every other key is a custom plugin.
        names: list[str] = []
        names += [
            f"limits.{key}"
            for key in (
                "http1_max_request_headers",
                "http1_max_request_buf_size",
                "introspection_max_depth",
            )
            if getattr(self.limits, key) is not None
        ]
        if self.authentication.subgraph is not None:
            names.append("authentication.subgraph")
        names += self.telemetry.inactive_keys()
        shaping = self.traffic_shaping
        for where, entry in [("all", shaping.all)] + [
            (f"subgraphs.{n}", e) for n, e in shaping.subgraphs.items()
        ]:
            names += [
                f"traffic_shaping.{where}.{key}"
                for key in entry.model_dump(exclude_none=True)
                if key
                in (
                    "experimental_http2",
                    "experimental_http2_keep_alive_interval",
                    "experimental_http2_keep_alive_timeout",
                    "dns_resolution_strategy",
                )
            ]
        if self.batching.subgraph is not None:
            names.append("batching.subgraph")
        names += self._inactive_cache_keys()
        return names

    def _inactive_cache_keys(self) -> list[str]:
        names: list[str] = []
        apq_subgraph = self.apq.subgraph
        if apq_subgraph.all.enabled or any(
            s.enabled for s in apq_subgraph.subgraphs.values()
        ):
            names.append("apq.subgraph")
        redis = self.apq.router.cache.redis
        if redis is not None:
            names += [
                f"apq.router.cache.redis.{key}"
                for key in ("pool_size", "tls")
                if getattr(redis, key) is not None
            ]
        plan_redis = self.supergraph.query_planning.cache.redis
        if plan_redis is not None:
            names += [
                f"supergraph.query_planning.cache.redis.{key}"
                for key in ("pool_size", "tls")
                if getattr(plan_redis, key) is not None
            ]
        if self.persisted_queries.experimental_prewarm_query_plan_cache is not None:
            names.append("persisted_queries.experimental_prewarm_query_plan_cache")
        entity = self.preview_entity_cache
        if entity.expose_keys_in_context:
            names.append("preview_entity_cache.expose_keys_in_context")
        if entity.metrics is not None:
            names.append("preview_entity_cache.metrics")
        if entity.redis is not None:
            names += [
                f"preview_entity_cache.subgraph.all.redis.{key}"
                for key in ("pool_size", "tls")
                if getattr(entity.redis, key) is not None
            ]
        return names
