"""The plugin chain of one loaded config: which plugins run, in which order, and how
their hooks wrap the router's own handlers.

`PLUGIN_ORDER` fixes the order once (Apollo Router does the same in one function):
the first entry is outermost, so it sees a request first and its response last. Each
entry names a module with `build(config) -> Plugin | None` (None: the section is off);
modules are imported when a chain is built, so `router.plugins` stays importable from
anywhere without import cycles. `build_chain` runs once per generation
(`router.server.state`), so a hot reload swaps the plugins with the config.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from router.plugins.context import RequestContext, SubgraphHeaders
from router.plugins.plugin import (
    HttpResponse,
    Plugin,
    RouterNext,
    SubgraphNext,
    SubgraphRequest,
    SupergraphNext,
    SupergraphRequest,
    SupergraphResponse,
)

if TYPE_CHECKING:
    from router.config import RouterConfig
    from router.execution.subgraph_client import SubgraphClient, SubgraphResponse

__all__ = ["EMPTY_CHAIN", "PLUGIN_ORDER", "PluginChain", "SubgraphPost", "build_chain"]

# (name, module): outermost first. CORS answers preflights before anything else and
# decorates every answer (401 and 429 too); the router timeout and concurrency limit
# bound everything after them, body reading and JWKS fetches included; CSRF refuses
# before credentials are looked at; authentication runs before rate limits so
# per-client keys can use claims and API-key consumers, and before
# `authorization.require_authentication` reads them; header rules act on subgraph
# requests and client responses; fetch timings (the explorer's) time each subgraph
# round trip alone.
PLUGIN_ORDER: tuple[tuple[str, str], ...] = (
    ("telemetry", "router.plugins.telemetry"),
    ("cors", "router.plugins.cors"),
    ("traffic_shaping", "router.plugins.traffic_shaping"),
    ("csrf", "router.plugins.csrf"),
    ("authentication", "router.plugins.authentication"),
    ("authorization", "router.plugins.authorization"),
    ("ratelimit", "router.plugins.ratelimit"),
    ("limits", "router.plugins.limits"),
    ("headers", "router.plugins.headers"),
    ("fetch_timings", "router.plugins.fetch_timings"),
)

SubgraphPost = Callable[
    [str, dict[str, Any], Mapping[str, str] | None], Awaitable["SubgraphResponse"]
]


def _overrides(plugin: Plugin, hook: str) -> bool:
    return getattr(type(plugin), hook) is not getattr(Plugin, hook)


class PluginChain:
    """The plugins of one generation, with each stage's hooks pre-selected."""

    def __init__(self, plugins: Sequence[Plugin]) -> None:
        self.plugins = tuple(plugins)
        self._router = tuple(p for p in self.plugins if _overrides(p, "router"))
        self._supergraph = tuple(p for p in self.plugins if _overrides(p, "supergraph"))
        self._subgraph = tuple(p for p in self.plugins if _overrides(p, "subgraph"))

    def get(self, name: str) -> Plugin | None:
        return next((p for p in self.plugins if p.name == name), None)

    async def startup(self) -> None:
        started: list[Plugin] = []
        try:
            for plugin in self.plugins:
                await plugin.startup()
                started.append(plugin)
        except BaseException:
            for plugin in reversed(started):
                await plugin.shutdown()
            raise

    async def shutdown(self) -> None:
        for plugin in reversed(self.plugins):
            await plugin.shutdown()

    def inherit(self, previous: PluginChain) -> None:
        """Hands each plugin its predecessor of the same name and class, if any (a
        hot reload, before the swap: no request has run on this chain yet)."""
        for plugin in self.plugins:
            old = previous.get(plugin.name)
            if old is not None and type(old) is type(plugin):
                plugin.inherit(old)

    async def run_router(
        self, context: RequestContext, core: RouterNext
    ) -> HttpResponse:
        handler = core
        for plugin in reversed(self._router):
            handler = partial(plugin.router, call_next=handler)
        return await handler(context)

    async def run_supergraph(
        self,
        context: RequestContext,
        request: SupergraphRequest,
        core: SupergraphNext,
    ) -> SupergraphResponse:
        handler = core
        for plugin in reversed(self._supergraph):
            handler = partial(plugin.supergraph, call_next=handler)
        return await handler(context, request)

    def subgraph_post(
        self, context: RequestContext | None, client: SubgraphClient
    ) -> SubgraphPost:
        """What the executor calls for each fetch: the subgraph hooks around
        `client.post`, recording each answer's headers in `context`."""

        async def core(ctx: RequestContext, request: SubgraphRequest) -> Any:
            response = await client.post(
                request.subgraph, request.payload, request.headers
            )
            ctx.subgraph_responses.append(
                SubgraphHeaders(request.subgraph, response.status, response.headers)
            )
            return response

        handler: SubgraphNext = core
        for plugin in reversed(self._subgraph):
            handler = partial(plugin.subgraph, call_next=handler)
        ctx = context if context is not None else RequestContext("POST", "", {})
        final = handler

        async def post(
            subgraph: str,
            payload: dict[str, Any],
            headers: Mapping[str, str] | None,
        ) -> SubgraphResponse:
            request = SubgraphRequest(subgraph, payload, dict(headers or {}))
            return await final(ctx, request)

        return post


EMPTY_CHAIN = PluginChain(())


def build_chain(config: RouterConfig) -> PluginChain:
    """The plugins `config` turns on, in `PLUGIN_ORDER` (blocking: may read files)."""
    plugins: list[Plugin] = []
    for _, module_name in PLUGIN_ORDER:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue  # a policy not written yet
        plugin = module.build(config)
        if plugin is not None:
            plugins.append(plugin)
    return PluginChain(plugins)
