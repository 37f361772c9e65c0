"""router.yaml: loading, `${env.NAME}` expansion and validation with dotted-path errors."""

from __future__ import annotations

from router.config.load import ConfigError, load_config, parse_config
from router.config.model import (
    RouterConfig,
    SubgraphConfig,
    SubgraphSchemaSource,
    SupergraphConfig,
)

__all__ = [
    "ConfigError",
    "RouterConfig",
    "SubgraphConfig",
    "SubgraphSchemaSource",
    "SupergraphConfig",
    "load_config",
    "parse_config",
]
