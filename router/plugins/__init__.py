"""Plugins: the router's policies (CORS, CSRF, auth, rate limits, operation limits,
header rules, telemetry) as hooks around the request pipeline of DESIGN.md, and the
custom plugins router.yaml's `plugins` loads by import path (`router.plugins.custom`;
README "Writing a plugin").

How to write one
----------------
1. A module `router/plugins/<name>.py` (a package once it has two concerns) with a
   `Plugin` subclass and `build(config: RouterConfig) -> Plugin | None` that returns
   None when its router.yaml section turns it off. Do the heavy work in `build` or
   `startup` (compile regexes, precompute headers, open pools, fetch keys): plugins are
   built once per loaded config and shared by every request; they keep no per-request
   state.
2. Add `(name, "router.plugins.<name>")` to `PLUGIN_ORDER` in `router.plugins.chain`
   (first entry = outermost).
3. Override the hooks you need (all optional, each wraps the next handler):

   `async def router(self, context, call_next) -> HttpResponse`
       Client HTTP request at the GraphQL endpoint, before the body is read (method,
       path, headers, client address in `context`). Short-circuit by returning
       `HttpResponse.error(code, message, status, headers)` without calling
       `call_next`; add headers on the way out by editing the returned response's
       `headers` or appending to `context.response_headers` (added to every
       response, short-circuit ones too). Health checks and 404s do not pass here.
   `async def supergraph(self, context, request, call_next) -> SupergraphResponse`
       After parse/validate, operation selection and variable coercion, before
       introspection and planning (`request.operation`, `request.document`,
       `request.variables`; `context.operation_name/_type` are set). Refuse with
       `raise Rejection.of(code, message, status)`. Each item of a client batch passes
       here on its own, with the batch's shared context.
   `async def execution(self, context, request, call_next) -> ExecutionResponse`
       After planning, around the plan's execution (`request.plan`, the planner's
       `QueryPlan`, read only; `request.variables`); the response's `body` is the
       shaped GraphQL response. Refuse with `Rejection` as in the supergraph stage.
   `async def subgraph(self, context, request, call_next) -> SubgraphResponse`
       Each subgraph fetch: edit `request.headers` (a plain dict) before `call_next`;
       the returned `SubgraphResponse` has `status` and `headers`. Raise
       `router.execution.SubgraphRequestError(code, message)` to fail that fetch only.
       `context.subgraph_responses` lists every answer's headers so far.
   `async def startup(self)` / `async def shutdown(self)`
       Once per loaded config: startup before it takes requests (a raise keeps the
       previous config serving and is logged), shutdown after its last request.

`RequestContext` (`router.plugins.context`) is the per-request state: request id,
client address, HTTP method/path/query/headers, `jwt_claims`, `api_key_consumer`,
`api_key_plan`, `operation_name`, `operation_type`, `values` (a bag keyed
`"<plugin>.<name>"`), `response_headers`, `subgraph_responses`.

Error codes a plugin puts on a response come from `router.plugins.codes`.
"""

from __future__ import annotations

from router.plugins.chain import EMPTY_CHAIN, PLUGIN_ORDER, PluginChain, build_chain
from router.plugins.context import RequestContext, SubgraphHeaders
from router.plugins.plugin import (
    ExecutionNext,
    ExecutionRequest,
    ExecutionResponse,
    HttpResponse,
    Plugin,
    PluginConfig,
    Rejection,
    RouterNext,
    SubgraphNext,
    SubgraphRequest,
    SupergraphNext,
    SupergraphRequest,
    SupergraphResponse,
)

__all__ = [
    "EMPTY_CHAIN",
    "PLUGIN_ORDER",
    "ExecutionNext",
    "ExecutionRequest",
    "ExecutionResponse",
    "HttpResponse",
    "Plugin",
    "PluginChain",
    "PluginConfig",
    "Rejection",
    "RequestContext",
    "RouterNext",
    "SubgraphHeaders",
    "SubgraphNext",
    "SubgraphRequest",
    "SupergraphNext",
    "SupergraphRequest",
    "SupergraphResponse",
    "build_chain",
]
