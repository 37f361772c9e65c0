"""The Redis rate-limit backend: one atomic Lua script, one round trip per check.

Every limit of one check (a client's per-minute and per-day windows, say) is read,
decided and counted in one `EVALSHA`, so two router processes cannot both take the
last slot, and a refused request counts against none of them. Keys carry a hash tag
(`{...}`) that is the same for every limit of a check, so the script's keys live in
one hash slot and it runs on a Redis Cluster too. Time is the Redis server's
(`TIME`), so routers with skewed clocks share one window.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.commands.core import AsyncScript

from router.plugins.ratelimit.decision import Decision, Limit, LimitState

__all__ = ["RedisBackend"]

# KEYS[i]: the limit's key. ARGV: per limit, algorithm (1 bucket, 2 window), capacity,
# interval in ms. Returns {allowed, remaining_1, reset_ms_1, retry_ms_1, ...}.
_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local allowed = 1
local out = {}
local new = {}
for i = 1, n do
  local algo = tonumber(ARGV[3 * i - 2])
  local cap = tonumber(ARGV[3 * i - 1])
  local interval = tonumber(ARGV[3 * i])
  local h = redis.call('HMGET', KEYS[i], 'a', 'b', 'c')
  if algo == 1 then
    local rate = cap / interval
    local tokens = cap
    if h[1] then
      tokens = math.min(cap, tonumber(h[1]) + (now - tonumber(h[2])) * rate)
    end
    if tokens >= 1 then
      out[3 * i - 2] = math.floor(tokens - 1)
      out[3 * i - 1] = math.ceil((cap - tokens + 1) / rate)
      out[3 * i] = 0
      new[i] = {tostring(tokens - 1), tostring(now), '0'}
    else
      allowed = 0
      out[3 * i - 2] = 0
      out[3 * i - 1] = math.ceil((cap - tokens) / rate)
      out[3 * i] = math.ceil((1 - tokens) / rate)
    end
  else
    local window = math.floor(now / interval)
    local current, previous = 0, 0
    if h[1] then
      local w = tonumber(h[1])
      if w == window then
        current, previous = tonumber(h[2]), tonumber(h[3])
      elseif w == window - 1 then
        previous = tonumber(h[2])
      end
    end
    local elapsed = now - window * interval
    local estimate = previous * (1 - elapsed / interval) + current
    out[3 * i - 1] = interval - elapsed
    if estimate + 1 <= cap then
      out[3 * i - 2] = math.floor(cap - estimate - 1)
      out[3 * i] = 0
      new[i] = {tostring(window), tostring(current + 1), tostring(previous)}
    else
      allowed = 0
      out[3 * i - 2] = 0
      local wait
      if current + 1 > cap then
        local after = 0
        if current > 0 then after = interval * (1 - (cap - 1) / current) end
        if after < 0 then after = 0 end
        wait = (interval - elapsed) + after
      else
        wait = interval * (1 - (cap - current - 1) / previous) - elapsed
        if wait < 1 then wait = 1 end
      end
      out[3 * i] = math.ceil(wait)
    end
  end
end
if allowed == 1 then
  for i = 1, n do
    local interval = tonumber(ARGV[3 * i])
    redis.call('HSET', KEYS[i], 'a', new[i][1], 'b', new[i][2], 'c', new[i][3])
    redis.call('PEXPIRE', KEYS[i], 2 * interval)
  end
end
table.insert(out, 1, allowed)
return out
"""


class RedisBackend:
    """Checks through Redis at `url` (with `cluster`, one node of a Redis Cluster whose
    other nodes are discovered); Redis errors propagate (the plugin applies
    `on_backend_error`)."""

    def __init__(self, url: str, timeout: float, *, cluster: bool = False) -> None:
        self._client: aioredis.Redis | RedisCluster
        if cluster:
            # One attempt per check: a retry loop would hold the request past `timeout`
            # while the cluster is down; the plugin's on_backend_error decides instead.
            self._client = RedisCluster.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                cluster_error_retry_attempts=0,
            )
        else:
            self._client = aioredis.Redis.from_url(
                url,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry_on_timeout=False,
            )
        self._script: AsyncScript = self._client.register_script(_SCRIPT)

    async def check(self, limits: Sequence[Limit]) -> Decision:
        args: list[int] = []
        for limit in limits:
            args += [
                1 if limit.algorithm == "token_bucket" else 2,
                limit.capacity,
                max(1, round(limit.interval * 1000)),
            ]
        reply = await self._script(keys=[limit.key for limit in limits], args=args)
        allowed = int(reply[0]) == 1
        states = tuple(
            LimitState(
                limit,
                int(reply[3 * i + 1]),
                int(reply[3 * i + 2]) / 1000,
                int(reply[3 * i + 3]) / 1000,
            )
            for i, limit in enumerate(limits)
        )
        return Decision(allowed, states)

    async def close(self) -> None:
        await self._client.aclose()
