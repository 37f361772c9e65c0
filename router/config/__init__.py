"""router.yaml: loading, `${env.NAME}` expansion and validation with dotted-path errors."""

from __future__ import annotations

from router.config.authentication import (
    ApiKeysConfig,
    AuthenticationConfig,
    JwksEntry,
    JwtConfig,
)
from router.config.cache import CacheConfig, InMemoryCacheConfig, RedisCacheConfig
from router.config.cors import CorsConfig, CsrfConfig
from router.config.duration import Duration, parse_duration
from router.config.entity_cache import EntityCacheConfig
from router.config.headers import HeadersConfig
from router.config.load import (
    ConfigError,
    describe_errors,
    load_config,
    parse_config,
)
from router.config.model import (
    BUILT_IN_PLUGIN_KEYS,
    BatchingConfig,
    HealthCheckConfig,
    IncludeSubgraphErrorsConfig,
    LimitsConfig,
    QueryPlanningConfig,
    RouterConfig,
    SubgraphConfig,
    SubgraphSchemaSource,
    SubgraphTrafficShaping,
    SupergraphConfig,
    TrafficShapingConfig,
)
from router.config.modes import explorer_enabled, with_mode_defaults
from router.config.persisted_queries import (
    ApqConfig,
    PersistedQueriesConfig,
    SafelistConfig,
)
from router.config.ratelimit import ClientRule, RateLimitConfig, RateLimitSpec
from router.config.subscription import SubscriptionConfig
from router.config.usage import UsageConfig

__all__ = [
    "BUILT_IN_PLUGIN_KEYS",
    "ApiKeysConfig",
    "ApqConfig",
    "AuthenticationConfig",
    "BatchingConfig",
    "CacheConfig",
    "ClientRule",
    "ConfigError",
    "CorsConfig",
    "CsrfConfig",
    "Duration",
    "EntityCacheConfig",
    "HeadersConfig",
    "HealthCheckConfig",
    "InMemoryCacheConfig",
    "IncludeSubgraphErrorsConfig",
    "JwksEntry",
    "JwtConfig",
    "LimitsConfig",
    "PersistedQueriesConfig",
    "QueryPlanningConfig",
    "RateLimitConfig",
    "RateLimitSpec",
    "RedisCacheConfig",
    "RouterConfig",
    "SafelistConfig",
    "SubgraphConfig",
    "SubgraphSchemaSource",
    "SubgraphTrafficShaping",
    "SubscriptionConfig",
    "SupergraphConfig",
    "TrafficShapingConfig",
    "UsageConfig",
    "describe_errors",
    "explorer_enabled",
    "load_config",
    "parse_config",
    "parse_duration",
    "with_mode_defaults",
]
