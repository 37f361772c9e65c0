"""Inbound deduplication (`traffic_shaping.router.deduplicate_requests`, ours, off by
default): identical client queries in flight at once share one execution.

The supergraph stage's innermost hook (last in `PLUGIN_ORDER`), so every request still
passes CORS, CSRF, authentication, rate limits, operation limits and custom plugins on
its own; what is shared is introspection, authorization's filtering, planning and
execution. Hive Gateway's `deduplicateInflightRequests` does the same.

Two client requests are identical when they have the same query text, operation name
and (coerced) variables, and the same values of every header that could change the
answer. Headers that cannot are left out of the comparison (`IGNORED_HEADERS`):
connection and body framing, content negotiation (the HTTP layer encodes each answer
for its own client), the client software and the addresses proxies add (`user-agent`,
`origin`, `referer`, `x-forwarded-*`...), and telemetry's correlation id and trace
context. A name a `headers` request rule sends to subgraphs (by `named`, or a
`matching` pattern) counts again, since a subgraph may read it; telemetry's stay out
(telemetry owns them: the subgraphs see the first request's). Every other header
counts: `authorization`, cookies, API keys, `apollo-expose-query-plan`, header routes'.

Only queries are shared, never mutations. Each client gets its own copy of the answer
and its own `x-request-id`; response headers propagated from subgraphs are the first
request's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson
from graphql import OperationType

from router.config import RouterConfig
from router.plugins.context import RequestContext, SubgraphHeaders
from router.plugins.plugin import (
    Plugin,
    SupergraphNext,
    SupergraphRequest,
    SupergraphResponse,
)
from router.telemetry.active import observe_deduplicated_request
from router.traffic.sharing import NOT_VARYING_HEADERS, InFlight

__all__ = ["IGNORED_HEADERS", "DeduplicationPlugin", "build"]

IGNORED_HEADERS = NOT_VARYING_HEADERS | frozenset(
    {
        "accept",
        "accept-encoding",
        "accept-language",
        "cache-control",
        "connection",
        "content-length",
        "content-type",
        "expect",
        "forwarded",
        "host",
        "keep-alive",
        "origin",
        "pragma",
        "referer",
        "te",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "via",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-port",
        "x-forwarded-proto",
        "x-real-ip",
    }
)


@dataclass(frozen=True, slots=True)
class _Answer:
    """One execution's answer: `body` for the request that ran it, or `encoded` (a
    frozen copy made before anyone could change the body) for those that waited."""

    body: dict[str, Any] | None
    encoded: bytes
    headers: tuple[tuple[str, str], ...]
    subgraph_responses: tuple[SubgraphHeaders, ...]
    context: RequestContext  # the leader's (a client batch shares one)

    def frozen(self) -> _Answer:
        assert self.body is not None
        return _Answer(
            None,
            orjson.dumps(self.body),
            self.headers,
            self.subgraph_responses,
            self.context,
        )

    def thawed(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        body: dict[str, Any] = orjson.loads(self.encoded)
        return body


class DeduplicationPlugin(Plugin):
    name = "deduplication"

    def __init__(self, ignored: frozenset[str]) -> None:
        self._ignored = ignored
        self._in_flight: InFlight[_Answer] = InFlight()

    async def supergraph(
        self,
        context: RequestContext,
        request: SupergraphRequest,
        call_next: SupergraphNext,
    ) -> SupergraphResponse:
        if (
            request.operation.operation is not OperationType.QUERY
            # A streamed @defer answer cannot be shared: each client reads its own.
            or context.multipart_defer
        ):
            return await call_next(context, request)
        try:
            variables = orjson.dumps(request.variables, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # a custom scalar coerced to something JSON cannot say
            return await call_next(context, request)
        ignored = self._ignored
        key = (
            request.query,
            request.operation_name,
            variables,
            tuple(sorted(p for p in context.header_values if p[0] not in ignored)),
        )

        async def execute() -> _Answer:
            response = await call_next(context, request)
            return _Answer(
                response.body,
                b"",
                tuple(response.headers),
                tuple(context.subgraph_responses),
                context,
            )

        answer, shared = await self._in_flight.run(
            key, execute, _Answer.frozen, observe_deduplicated_request
        )
        if shared and answer.context is not context:
            context.subgraph_responses.extend(answer.subgraph_responses)
        return SupergraphResponse(answer.thawed(), list(answer.headers))


def ignored_headers(config: RouterConfig) -> frozenset[str]:
    """`IGNORED_HEADERS` less the names `config`'s request header rules forward."""
    ignored = set(IGNORED_HEADERS)
    rules = [config.headers.all, *config.headers.subgraphs.values()]
    for rule in (r.propagate for rules_of in rules for r in rules_of.request):
        if rule is None:
            continue
        if rule.named is not None:
            ignored.discard(rule.named.lower())
        elif rule.matching is not None:
            pattern = re.compile(rule.matching, re.IGNORECASE)
            ignored -= {name for name in ignored if pattern.search(name)}
    return frozenset(ignored | NOT_VARYING_HEADERS)


def build(config: RouterConfig) -> DeduplicationPlugin | None:
    shaping = config.traffic_shaping.router
    if shaping is None or not shaping.deduplicate_requests:
        return None
    return DeduplicationPlugin(ignored_headers(config))
