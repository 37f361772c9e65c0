"""`telemetry.usage` (ours): which operations clients send, for `router check --usage`.

Apollo GraphOS and Hive record operation usage as a hosted service; this is the local
version (router.usage). Counts are kept per hour, for `window`, in the router's memory
(written to `path` for `router usage export`) or in Redis shared by every router.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from router.config.cache import RedisCacheConfig
from router.config.duration import Duration

__all__ = ["UsageConfig"]


class UsageConfig(BaseModel):
    """`telemetry.usage`: off by default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    store: Literal["memory", "redis"] = "memory"
    redis: RedisCacheConfig | None = None
    # With `store: memory`, the JSON file the router rewrites at every flush.
    path: str | None = None
    window: Duration = 7 * 24 * 3600.0
    flush_interval: Duration = 5.0
    max_operations: int = Field(default=10_000, ge=1)

    @field_validator("window", "flush_interval")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be longer than 0s")
        return value

    @model_validator(mode="after")
    def _store_has_its_settings(self) -> UsageConfig:
        if self.store == "redis" and self.redis is None:
            raise ValueError("redis: required with store: redis")
        if self.store == "memory" and self.redis is not None:
            raise ValueError("store: must be redis when redis is set")
        return self
