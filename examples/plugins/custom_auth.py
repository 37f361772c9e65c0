"""Custom auth: the client's API key checked by an external auth service, and the
consumer it belongs to forwarded to the subgraphs.

```yaml
plugins:
  examples.plugins.custom_auth:
    auth_url: http://auth.internal:8080/verify
    header: x-api-key             # the client header carrying the key (default)
    timeout: 2s                   # for the auth service to answer (default)
    forward:                      # the subgraph request headers (defaults)
      consumer_id: x-consumer-id
      plan: x-consumer-plan
```

The auth service gets `POST <auth_url>` with `{"api_key": "<key>"}`. It accepts with
200 and `{"consumer_id": "...", "plan": "..."}`, refuses with 401 or 403. The client
gets:

- no key: 401 `UNAUTHENTICATED`, and the auth service is not asked;
- a key the service refuses: 403 `FORBIDDEN`;
- the service unreachable, past `timeout`, or answering anything else: 503
  `AUTH_SERVICE_UNAVAILABLE` (fail closed: no request reaches a subgraph unchecked);
- otherwise its answer, each subgraph having received the consumer's id and plan.

The router hook decides before the request body is read; the consumer travels in the
request context to the subgraph hook: in `api_key_consumer` and `api_key_plan`, the
fields the router's own API-key authentication fills (so the request counts as
authenticated for the supergraph's `@authenticated` fields), and in `context.values` as
`custom_auth.consumer_id` and `custom_auth.plan` (so header rules can `insert` them
`from_context` under other names). One HTTP session per loaded config: opened in
`startup`, closed in `shutdown`, so a hot reload with a new `auth_url` gets a session of
its own.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import aiohttp
from pydantic import field_validator

from router.config import Duration
from router.plugins import (
    HttpResponse,
    Plugin,
    PluginConfig,
    RequestContext,
    RouterNext,
    SubgraphNext,
    SubgraphRequest,
)
from router.plugins.codes import UNAUTHENTICATED

if TYPE_CHECKING:
    from router.execution import SubgraphResponse

__all__ = ["AUTH_SERVICE_UNAVAILABLE", "FORBIDDEN", "CustomAuth", "plugin"]

logger = logging.getLogger(__name__)

# This plugin's error codes (Apollo's strings where Apollo has one).
FORBIDDEN = "FORBIDDEN"
AUTH_SERVICE_UNAVAILABLE = "AUTH_SERVICE_UNAVAILABLE"


class Forward(PluginConfig):
    """`forward`: the subgraph request headers the consumer is sent in."""

    consumer_id: str = "x-consumer-id"
    plan: str = "x-consumer-plan"


class CustomAuth(Plugin):
    """API keys checked by an external service (see the module docstring)."""

    class Config(PluginConfig):
        auth_url: str
        header: str = "x-api-key"
        timeout: Duration = 2.0
        forward: Forward = Forward()

        @field_validator("auth_url")
        @classmethod
        def _http(cls, value: str) -> str:
            if not value.startswith(("http://", "https://")):
                raise ValueError("must be an http:// or https:// URL")
            return value

    def __init__(self, config: CustomAuth.Config) -> None:
        self.config = config
        self._header = config.header.lower()  # RequestContext.headers are lower-case
        self._timeout = aiohttp.ClientTimeout(total=config.timeout)
        self._session: aiohttp.ClientSession | None = None

    async def startup(self) -> None:
        self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def shutdown(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def router(
        self, context: RequestContext, call_next: RouterNext
    ) -> HttpResponse:
        key = context.headers.get(self._header, "").strip()
        if not key:
            return HttpResponse.error(
                UNAUTHENTICATED,
                f"Missing API key: send it in {self.config.header}",
                401,
            )
        verdict = await self._verify(key)
        if isinstance(verdict, HttpResponse):
            return verdict
        consumer, plan = verdict
        context.api_key_consumer, context.api_key_plan = consumer, plan
        context.values["custom_auth.consumer_id"] = consumer
        if plan is not None:
            context.values["custom_auth.plan"] = plan
        return await call_next(context)

    async def subgraph(
        self,
        context: RequestContext,
        request: SubgraphRequest,
        call_next: SubgraphNext,
    ) -> SubgraphResponse:
        if context.api_key_consumer is not None:
            request.headers[self.config.forward.consumer_id] = context.api_key_consumer
        if context.api_key_plan is not None:
            request.headers[self.config.forward.plan] = context.api_key_plan
        return await call_next(context, request)

    async def _verify(self, key: str) -> tuple[str, str | None] | HttpResponse:
        """(consumer id, plan) of an accepted key, or the response refusing it."""
        assert self._session is not None, "startup() opens the session"
        try:
            async with self._session.post(
                self.config.auth_url, json={"api_key": key}
            ) as answer:
                if answer.status in (401, 403):
                    return HttpResponse.error(FORBIDDEN, "The API key was refused", 403)
                body: Any = await answer.json(content_type=None)
                status = answer.status
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            logger.warning("auth service %s: %r", self.config.auth_url, exc)
            return _unavailable()
        consumer = body.get("consumer_id") if isinstance(body, dict) else None
        if status != 200 or not isinstance(consumer, str) or not consumer:
            logger.warning(
                "auth service %s answered %d without a consumer_id",
                self.config.auth_url,
                status,
            )
            return _unavailable()
        plan = body.get("plan")
        return consumer, plan if isinstance(plan, str) else None


def _unavailable() -> HttpResponse:
    return HttpResponse.error(
        AUTH_SERVICE_UNAVAILABLE, "The auth service is unavailable", 503
    )


plugin = CustomAuth
