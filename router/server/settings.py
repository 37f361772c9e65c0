"""What `router serve` was asked to serve, in a form worker processes can be handed."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["ENVIRONMENT_VARIABLE", "ServeSettings"]

# How `--workers N` hands the settings to the worker processes uvicorn spawns.
ENVIRONMENT_VARIABLE = "PYFED_ROUTER_SERVE_SETTINGS"


@dataclass(frozen=True, slots=True)
class ServeSettings:
    """Command-line choices; each overrides router.yaml's value when given.

    `health_port` is the port of a separate health-check listener (None: health checks
    are answered on the GraphQL listener). `dev` applies `router dev`'s defaults to
    what router.yaml leaves unset (`router.config.modes`).
    """

    config_path: str | None = None
    supergraph_path: str | None = None
    health_port: int | None = None
    poll_interval: float = 0.5
    dev: bool = False

    @property
    def base_dir(self) -> Path:
        """Relative paths in router.yaml are relative to its folder."""
        return Path(self.config_path).parent if self.config_path else Path.cwd()

    def to_environment(self) -> None:
        os.environ[ENVIRONMENT_VARIABLE] = json.dumps(asdict(self))

    @classmethod
    def from_environment(cls) -> ServeSettings:
        return cls(**json.loads(os.environ[ENVIRONMENT_VARIABLE]))
