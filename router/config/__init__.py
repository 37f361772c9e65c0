"""router.yaml: loading, `${env.NAME}` expansion and validation with dotted-path errors."""

from __future__ import annotations

from router.config.authentication import (
    ApiKeysConfig,
    AuthenticationConfig,
    JwksEntry,
    JwtConfig,
)
from router.config.cors import CorsConfig, CsrfConfig
from router.config.duration import Duration, parse_duration
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
from router.config.ratelimit import ClientRule, RateLimitConfig, RateLimitSpec

__all__ = [
    "BUILT_IN_PLUGIN_KEYS",
    "ApiKeysConfig",
    "AuthenticationConfig",
    "BatchingConfig",
    "ClientRule",
    "ConfigError",
    "CorsConfig",
    "CsrfConfig",
    "Duration",
    "HeadersConfig",
    "HealthCheckConfig",
    "IncludeSubgraphErrorsConfig",
    "JwksEntry",
    "JwtConfig",
    "LimitsConfig",
    "QueryPlanningConfig",
    "RateLimitConfig",
    "RateLimitSpec",
    "RouterConfig",
    "SubgraphConfig",
    "SubgraphSchemaSource",
    "SubgraphTrafficShaping",
    "SupergraphConfig",
    "TrafficShapingConfig",
    "describe_errors",
    "explorer_enabled",
    "load_config",
    "parse_config",
    "parse_duration",
    "with_mode_defaults",
]
