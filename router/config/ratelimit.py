"""`ratelimit`: request rate limits, global and per client, in memory or in Redis.

Not an Apollo Router section (Apollo has only `traffic_shaping.*.global_rate_limit`,
which `router.plugins.ratelimit` applies too); the vocabulary is Kong's and Envoy's:

```yaml
ratelimit:
  backend: memory                    # or redis (shared by every router process)
  redis: { url: redis://127.0.0.1:6379, key_prefix: "router:ratelimit:", timeout: 500ms,
           cluster: false }              # true: url is one node of a Redis Cluster
  on_backend_error: allow            # or deny, when Redis does not answer
  error_log_interval: 60s            # a backend failure is logged once per interval
  trusted_proxies: [10.0.0.0/8]      # whose X-Forwarded-For is believed
  global: { capacity: 1000, interval: 1m }
  clients:
    - name: per-client
      key: { by: ip }                # ip | header (name) | jwt_claim (claim) | api_key
      algorithm: sliding_window      # or token_bucket (bursts up to capacity)
      tier: { by: api_key_plan, default: free }   # or jwt_claim/header (name)
      tiers:
        free: [ { capacity: 60, interval: 1m }, { capacity: 1000, interval: 1d } ]
        pro:  [ { capacity: 1000, interval: 1m } ]
      limits: [ { capacity: 100, interval: 1m } ]  # without tiers
```
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from router.config.duration import Duration

__all__ = [
    "ClientRule",
    "RateLimitConfig",
    "RateLimitSpec",
    "RedisBackendConfig",
]

Algorithm = Literal["token_bucket", "sliding_window"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RateLimitSpec(_Strict):
    """`capacity` requests per `interval` (token bucket: refilled at that rate)."""

    capacity: int = Field(ge=1)
    interval: Duration
    algorithm: Algorithm | None = None

    @field_validator("interval")
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be longer than 0s")
        return value


class RedisBackendConfig(_Strict):
    url: str = "redis://127.0.0.1:6379"
    key_prefix: str = "router:ratelimit:"
    timeout: Duration = 0.5
    # `url` names one node of a Redis Cluster: the client discovers the others and
    # follows MOVED/ASK redirections.
    cluster: bool = False


class _ClientKey(_Strict):
    by: Literal["ip", "header", "jwt_claim", "api_key"]
    name: str | None = None

    @model_validator(mode="after")
    def _named(self) -> _ClientKey:
        if self.by in ("header", "jwt_claim") and not self.name:
            raise ValueError(f"'by: {self.by}' needs 'name'")
        return self


class _TierKey(_Strict):
    by: Literal["api_key_plan", "jwt_claim", "header"]
    name: str | None = None
    default: str

    @model_validator(mode="after")
    def _named(self) -> _TierKey:
        if self.by in ("header", "jwt_claim") and not self.name:
            raise ValueError(f"'by: {self.by}' needs 'name'")
        return self


class ClientRule(_Strict):
    """`ratelimit.clients[i]`: limits counted per client key (and per tier)."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    key: _ClientKey
    algorithm: Algorithm = "sliding_window"
    limits: list[RateLimitSpec] = []
    tier: _TierKey | None = None
    tiers: dict[str, list[RateLimitSpec]] = {}

    @model_validator(mode="after")
    def _limits_or_tiers(self) -> ClientRule:
        if self.tiers and self.tier is None:
            raise ValueError("'tiers' needs 'tier' (how a client's tier is found)")
        if self.tier is not None and self.tier.default not in self.tiers:
            raise ValueError(f"tier.default {self.tier.default!r} is not in 'tiers'")
        if not self.limits and not self.tiers:
            raise ValueError("give 'limits', or 'tier' and 'tiers'")
        return self


class RateLimitConfig(_Strict):
    backend: Literal["memory", "redis"] = "memory"
    redis: RedisBackendConfig = RedisBackendConfig()
    on_backend_error: Literal["allow", "deny"] = "allow"
    error_log_interval: Duration = 60.0
    trusted_proxies: list[str] = []
    global_: RateLimitSpec | None = Field(default=None, alias="global")
    clients: list[ClientRule] = []

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for item in value:
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(f"{item!r} is not an IP address or network") from None
        return value

    @model_validator(mode="after")
    def _unique_names(self) -> RateLimitConfig:
        names = [rule.name for rule in self.clients]
        if len(names) != len(set(names)):
            raise ValueError("clients: rule names must be unique")
        return self

    def is_empty(self) -> bool:
        return self.global_ is None and not self.clients
