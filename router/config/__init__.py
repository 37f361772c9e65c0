"""router.yaml: loading, `${env.NAME}` expansion and validation with dotted-path errors."""

from __future__ import annotations

from router.config.duration import Duration, parse_duration
from router.config.load import ConfigError, load_config, parse_config
from router.config.model import (
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

__all__ = [
    "BatchingConfig",
    "ConfigError",
    "Duration",
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
    "load_config",
    "parse_config",
    "parse_duration",
]
