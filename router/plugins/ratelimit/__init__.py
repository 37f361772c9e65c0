"""Rate limits: global, per client and per tier, per subgraph; in memory or in Redis.

`plugin` holds the policy (which limits a request counts against, what a refusal looks
like), `memory` and `redis_backend` the two stores with the same arithmetic, and
`decision` what a check returns.
"""

from __future__ import annotations

from router.plugins.ratelimit.decision import Decision, Limit, LimitState
from router.plugins.ratelimit.plugin import RateLimitPlugin, build, client_ip

__all__ = ["Decision", "Limit", "LimitState", "RateLimitPlugin", "build", "client_ip"]
