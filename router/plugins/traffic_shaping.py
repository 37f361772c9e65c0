"""Client-side traffic shaping (`traffic_shaping.router`): Apollo Router's request
timeout and concurrency limit, around everything the router does for one request.

- `timeout` (default 30 s, as Apollo's): reading the body, authentication, planning,
  every fetch and shaping must finish within it, else HTTP 504 `GATEWAY_TIMEOUT`. The
  work still running is cancelled, so a slow client or subgraph cannot hold the
  router's resources past it.
- `concurrency_limit` (default none): requests over it are refused at once with HTTP
  503 `REQUEST_CONCURRENCY_LIMITED`, rather than queued (Apollo's load shedding).

`traffic_shaping.router.global_rate_limit` is applied by the rate-limit plugin.
"""

from __future__ import annotations

from router.config import RouterConfig
from router.plugins.codes import GATEWAY_TIMEOUT, REQUEST_CONCURRENCY_LIMITED
from router.plugins.context import RequestContext
from router.plugins.plugin import HttpResponse, Plugin, RouterNext
from router.traffic.deadlines import Deadlines

__all__ = ["DEFAULT_ROUTER_TIMEOUT", "TrafficShapingPlugin", "build"]

DEFAULT_ROUTER_TIMEOUT = 30.0  # seconds; Apollo Router's default


class TrafficShapingPlugin(Plugin):
    name = "traffic_shaping"

    def __init__(self, timeout: float, concurrency_limit: int | None) -> None:
        # One timer for every request's deadline (router.traffic.deadlines).
        self._deadlines = Deadlines(timeout)
        self._limit = concurrency_limit
        self._in_flight = 0

    async def router(
        self, context: RequestContext, call_next: RouterNext
    ) -> HttpResponse:
        if self._limit is not None and self._in_flight >= self._limit:
            return HttpResponse.error(
                REQUEST_CONCURRENCY_LIMITED,
                "Your request has been concurrency limited",
                503,
            )
        self._in_flight += 1
        deadline = self._deadlines.start()
        streamed = False
        try:
            with deadline:
                response = await call_next(context)
            # A streamed `@defer` answer is in flight until its last part is sent.
            # PORT_NOTE: as in Apollo Router, the timeout bounds the first part only;
            # each deferred fetch keeps its subgraph timeout.
            streamed = response.when_finished(self._done)
            return response
        except TimeoutError:
            if not deadline.expired():
                raise  # not this deadline's: whoever raised it answers for it
            return HttpResponse.error(
                GATEWAY_TIMEOUT, "Your request has been timed out", 504
            )
        finally:
            if not streamed:
                self._done()

    def _done(self) -> None:
        self._in_flight -= 1


def build(config: RouterConfig) -> Plugin | None:
    shaping = config.traffic_shaping.router
    timeout = DEFAULT_ROUTER_TIMEOUT
    limit = None
    if shaping is not None:
        if shaping.timeout is not None:
            timeout = shaping.timeout
        limit = shaping.concurrency_limit
    return TrafficShapingPlugin(timeout, limit)
