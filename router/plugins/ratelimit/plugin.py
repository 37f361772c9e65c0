"""The rate-limit plugin: `ratelimit` and `traffic_shaping.*.global_rate_limit`.

Router stage: the global limits (`ratelimit.global`, Apollo's
`traffic_shaping.router.global_rate_limit`) and each `ratelimit.clients` rule, checked
together in one backend call; over a limit is HTTP 429 with `Retry-After` and
`REQUEST_RATE_LIMITED`; every answer carries `RateLimit-Limit/-Remaining/-Reset`
(draft-ietf-httpapi-ratelimit-headers) for the tightest limit. Subgraph stage:
`traffic_shaping.subgraphs.<name>.global_rate_limit` (or `all`) fails the fetch alone,
as Apollo Router does.

A hot reload keeps the in-memory counters (`inherit`): only limits whose capacity,
interval or algorithm changed start fresh, whatever else in router.yaml or the
supergraph changed.

When the backend fails (Redis down), `on_backend_error` decides (allow by default),
the failure is logged at most once per `error_log_interval`, and the backend is not
asked again for a second, so a dead Redis costs no time per request.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import time
from collections.abc import Sequence
from typing import Protocol

from router.config import RouterConfig
from router.config.model import _RateLimit as _Rate
from router.config.ratelimit import ClientRule, RateLimitConfig, RateLimitSpec
from router.execution.subgraph_client import SubgraphRequestError, SubgraphResponse
from router.plugins.codes import REQUEST_RATE_LIMITED
from router.plugins.context import RequestContext
from router.plugins.plugin import (
    HttpResponse,
    Plugin,
    RouterNext,
    SubgraphNext,
    SubgraphRequest,
)
from router.plugins.ratelimit.decision import Decision, Limit
from router.plugins.ratelimit.memory import MemoryBackend

__all__ = ["Backend", "RateLimitPlugin", "build", "client_ip"]

logger = logging.getLogger(__name__)

BACKOFF = 1.0  # seconds the backend is left alone after a failure
_SAFE_KEY = re.compile(r"^[A-Za-z0-9._:@-]{1,64}$")
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class Backend(Protocol):
    async def check(self, limits: Sequence[Limit]) -> Decision: ...

    async def close(self) -> None: ...


def client_ip(context: RequestContext, trusted: Sequence[Network]) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the
    right-most X-Forwarded-For entry that is not a trusted proxy."""
    peer = context.client_address or "unknown"
    if not trusted or not _is_trusted(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for value in context.all_values("x-forwarded-for")
        for hop in value.split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)


def _key_part(value: str) -> str:
    """A client identifier usable inside a key: kept when short and plain, else hashed
    (so braces cannot break the hash tag and long values cannot bloat keys)."""
    if _SAFE_KEY.match(value):
        return value
    return "h" + hashlib.sha256(value.encode()).hexdigest()[:32]


class RateLimitPlugin(Plugin):
    name = "ratelimit"

    def __init__(
        self,
        settings: RateLimitConfig,
        backend: Backend,
        global_limits: Sequence[RateLimitSpec],
        subgraph_limits: dict[str, RateLimitSpec],
        all_subgraphs: RateLimitSpec | None,
    ) -> None:
        self._settings = settings
        self._backend = backend
        self._prefix = settings.redis.key_prefix
        self._trusted: tuple[Network, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in settings.trusted_proxies
        )
        self._global = tuple(
            Limit(
                f"{{{self._prefix}global}}:{i}",
                spec.capacity,
                spec.interval,
                spec.algorithm or "sliding_window",
            )
            for i, spec in enumerate(global_limits)
        )
        self._rules = tuple(settings.clients)
        self._subgraph_limits = subgraph_limits
        self._all_subgraphs = all_subgraphs
        self._down_until = 0.0
        self._logged_at: float | None = None

    async def shutdown(self) -> None:
        await self._backend.close()

    def inherit(self, previous: Plugin) -> None:
        """On a hot reload, memory counters carry over key by key: a key names its
        rule, client, tier and index, and an entry counted under another capacity,
        interval or algorithm is not read (`MemoryBackend`). Redis keeps its own."""
        old = previous._backend if isinstance(previous, RateLimitPlugin) else None
        if isinstance(self._backend, MemoryBackend) and isinstance(old, MemoryBackend):
            self._backend.adopt(old)

    async def router(
        self, context: RequestContext, call_next: RouterNext
    ) -> HttpResponse:
        limits = [*self._global]
        for rule in self._rules:
            limits += self._client_limits(context, rule)
        if not limits:
            return await call_next(context)
        decision = await self._check(limits)
        if decision is None:
            if self._settings.on_backend_error == "deny":
                return HttpResponse.error(
                    REQUEST_RATE_LIMITED,
                    "Your request has been rate limited: the rate-limit store is "
                    "unavailable",
                    429,
                    [("Retry-After", "1")],
                )
            return await call_next(context)
        if not decision.allowed:
            return HttpResponse.error(
                REQUEST_RATE_LIMITED,
                "Your request has been rate limited",
                429,
                decision.headers(),
            )
        response = await call_next(context)
        response.headers.extend(decision.headers())
        return response

    async def subgraph(
        self,
        context: RequestContext,
        request: SubgraphRequest,
        call_next: SubgraphNext,
    ) -> SubgraphResponse:
        spec = self._subgraph_limits.get(request.subgraph, self._all_subgraphs)
        if spec is not None:
            limit = Limit(
                f"{{{self._prefix}subgraph:{_key_part(request.subgraph)}}}",
                spec.capacity,
                spec.interval,
                spec.algorithm or "sliding_window",
            )
            decision = await self._check([limit])
            if decision is not None and not decision.allowed:
                raise SubgraphRequestError(
                    REQUEST_RATE_LIMITED,
                    f"Your request to subgraph '{request.subgraph}' has been rate "
                    "limited",
                )
        return await call_next(context, request)

    def _client_limits(self, context: RequestContext, rule: ClientRule) -> list[Limit]:
        client = self._client_key(context, rule)
        specs = rule.limits
        tier = ""
        if rule.tier is not None:
            tier = self._tier(context, rule) or rule.tier.default
            if tier not in rule.tiers:
                tier = rule.tier.default
            specs = rule.tiers[tier]
        tag = f"{self._prefix}{rule.name}:{_key_part(client)}"
        return [
            Limit(
                f"{{{tag}}}:{_key_part(tier)}:{i}" if tier else f"{{{tag}}}:{i}",
                spec.capacity,
                spec.interval,
                spec.algorithm or rule.algorithm,
            )
            for i, spec in enumerate(specs)
        ]

    def _client_key(self, context: RequestContext, rule: ClientRule) -> str:
        key = rule.key
        found: str | None = None
        if key.by == "header" and key.name:
            found = context.headers.get(key.name.lower())
        elif key.by == "jwt_claim" and key.name:
            claim = (context.jwt_claims or {}).get(key.name)
            found = None if claim is None else str(claim)
        elif key.by == "api_key":
            found = context.api_key_consumer
        if found:
            return f"{key.by}:{found}"
        # No such header, claim or key: the client is counted by its address.
        return "ip:" + client_ip(context, self._trusted)

    def _tier(self, context: RequestContext, rule: ClientRule) -> str | None:
        assert rule.tier is not None
        by, name = rule.tier.by, (rule.tier.name or "")
        if by == "api_key_plan":
            return context.api_key_plan
        if by == "jwt_claim":
            value = (context.jwt_claims or {}).get(name)
            return None if value is None else str(value)
        return context.headers.get(name.lower())

    async def _check(self, limits: Sequence[Limit]) -> Decision | None:
        now = time.monotonic()
        if now < self._down_until:
            return None
        try:
            return await self._backend.check(limits)
        except Exception as exc:  # any backend failure follows on_backend_error
            self._down_until = now + BACKOFF
            interval = self._settings.error_log_interval
            if self._logged_at is None or now - self._logged_at >= interval:
                self._logged_at = now
                logger.error(
                    "rate-limit backend failed (%s: %s); on_backend_error=%s applies "
                    "(logged at most every %gs)",
                    type(exc).__name__,
                    exc,
                    self._settings.on_backend_error,
                    interval,
                )
            return None


def _spec(rate: _Rate) -> RateLimitSpec:
    """Apollo's `global_rate_limit` as a spec (its interval already in seconds)."""
    return RateLimitSpec.model_construct(
        capacity=rate.capacity, interval=rate.interval, algorithm=None
    )


def build(config: RouterConfig) -> Plugin | None:
    settings = config.ratelimit
    shaping = config.traffic_shaping
    global_limits = [settings.global_] if settings.global_ is not None else []
    if shaping.router is not None and shaping.router.global_rate_limit is not None:
        spec = shaping.router.global_rate_limit
        global_limits.append(_spec(spec))
    subgraph_limits = {
        name: _spec(entry.global_rate_limit)
        for name, entry in shaping.subgraphs.items()
        if entry.global_rate_limit is not None
    }
    everywhere = shaping.all.global_rate_limit
    all_subgraphs = None if everywhere is None else _spec(everywhere)
    if not (global_limits or settings.clients or subgraph_limits or all_subgraphs):
        return None
    backend: Backend
    if settings.backend == "redis":
        from router.plugins.ratelimit.redis_backend import RedisBackend

        backend = RedisBackend(
            settings.redis.url, settings.redis.timeout, cluster=settings.redis.cluster
        )
    else:
        backend = MemoryBackend()
    return RateLimitPlugin(
        settings, backend, global_limits, subgraph_limits, all_subgraphs
    )
