"""The plugin chain of one loaded config: which plugins run, in which order, and how
their hooks wrap the router's own handlers.

`PLUGIN_ORDER` fixes the order once (Apollo Router does the same in one function):
the first entry is outermost, so it sees a request first and its response last. Each
entry names a module with `build(config) -> Plugin | None` (None: the section is off);
modules are imported when a chain is built, so `router.plugins` stays importable from
anywhere without import cycles. The `CUSTOM` entry is where router.yaml's custom
plugins (`router.plugins.custom`) go, in the file's order, their hooks called through
`router.plugins.guard`. `build_chain` runs once per generation
(`router.server.state`), so a hot reload swaps the plugins with the config.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from router.plugins import guard
from router.plugins.context import RequestContext, SubgraphHeaders
from router.plugins.plugin import (
    ExecutionNext,
    ExecutionRequest,
    ExecutionResponse,
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
    from router.execution.subgraph_client import SubgraphResponse
    from router.plugins.custom import CustomPlugin
    from router.traffic import SubgraphTraffic

__all__ = [
    "CUSTOM",
    "EMPTY_CHAIN",
    "PLUGIN_ORDER",
    "ChainEntry",
    "PluginChain",
    "SubgraphPost",
    "build_chain",
]

logger = logging.getLogger(__name__)

# The `PLUGIN_ORDER` entry standing for router.yaml's custom plugins.
CUSTOM = "plugins"

# (name, module): outermost first. CORS answers preflights before anything else and
# decorates every answer (401 and 429 too); the router timeout and concurrency limit
# bound everything after them, body reading and JWKS fetches included; CSRF refuses
# before credentials are looked at; authentication runs before rate limits so
# per-client keys can use claims and API-key consumers, and before
# `authorization.require_authentication` reads them; header rules act on subgraph
# requests and client responses; custom plugins see only what every policy let
# through, and subgraph requests as the header rules left them (what they add is
# theirs), with telemetry still counting their failures; fetch timings (the
# explorer's) time each subgraph round trip alone; inbound deduplication is innermost,
# so that every client request passes every policy before it may share an execution.
PLUGIN_ORDER: tuple[tuple[str, str | None], ...] = (
    ("telemetry", "router.plugins.telemetry"),
    ("cors", "router.plugins.cors"),
    ("traffic_shaping", "router.plugins.traffic_shaping"),
    ("csrf", "router.plugins.csrf"),
    ("authentication", "router.plugins.authentication"),
    ("authorization", "router.plugins.authorization"),
    ("ratelimit", "router.plugins.ratelimit"),
    ("limits", "router.plugins.limits"),
    ("headers", "router.plugins.headers"),
    (CUSTOM, None),
    ("fetch_timings", "router.plugins.fetch_timings"),
    ("deduplication", "router.plugins.deduplication"),
)

SubgraphPost = Callable[
    [str, dict[str, Any], Mapping[str, str] | None], Awaitable["SubgraphResponse"]
]


# Built-in subgraph hooks that send every client's request the same way, whatever
# the client: the request id and fetch spans (telemetry), subgraph rate limits, the
# explorer's fetch timings. `PluginChain.sent_headers` sees through them.
_SAME_FOR_EVERY_CLIENT = frozenset({"telemetry", "ratelimit", "fetch_timings"})


def _overrides(plugin: Plugin, hook: str) -> bool:
    return getattr(type(plugin), hook) is not getattr(Plugin, hook)


@dataclass(frozen=True, slots=True)
class ChainEntry:
    """A plugin and the name it goes by: a built-in's `name`, or a custom plugin's
    router.yaml key (`custom`: its hooks are called through `router.plugins.guard`)."""

    name: str
    plugin: Plugin
    custom: bool = False

    def hook(self, stage: str) -> Any:
        """The callable of `stage` taking the stage's arguments and `call_next`, or
        None when the plugin leaves that hook alone."""
        if not _overrides(self.plugin, stage):
            return None
        if not self.custom:
            return getattr(self.plugin, stage)
        return partial(getattr(guard, f"guarded_{stage}"), self.name, self.plugin)


class PluginChain:
    """The plugins of one generation, with each stage's hooks pre-selected."""

    def __init__(self, plugins: Sequence[Plugin | ChainEntry]) -> None:
        self.entries = tuple(
            p if isinstance(p, ChainEntry) else ChainEntry(p.name, p) for p in plugins
        )
        self.plugins = tuple(entry.plugin for entry in self.entries)
        self._router = self._hooks("router")
        self._supergraph = self._hooks("supergraph")
        self._execution = self._hooks("execution")
        self._subgraph = self._hooks("subgraph")
        self._subgraph_built: tuple[SubgraphTraffic, SubgraphNext] | None = None

    def _hooks(self, stage: str) -> tuple[Any, ...]:
        hooks = (entry.hook(stage) for entry in self.entries)
        return tuple(hook for hook in hooks if hook is not None)

    def get(self, name: str) -> Plugin | None:
        return next((e.plugin for e in self.entries if e.name == name), None)

    async def startup(self) -> None:
        """Starts every plugin, outermost first; when one fails, the ones started
        are shut down and its exception propagates (naming it in the log)."""
        started: list[ChainEntry] = []
        try:
            for entry in self.entries:
                try:
                    await entry.plugin.startup()
                except Exception:
                    logger.error("plugin %s failed to start", entry.name)
                    raise
                started.append(entry)
        except BaseException:
            await _shut_down(reversed(started))
            raise

    async def shutdown(self) -> None:
        """Shuts every plugin down, innermost first; a failure is logged and the
        others still shut down."""
        await _shut_down(reversed(self.entries))

    def inherit(self, previous: PluginChain) -> None:
        """Hands each plugin its predecessor of the same name and class, if any (a
        hot reload, before the swap: no request has run on this chain yet)."""
        for entry in self.entries:
            old = previous.get(entry.name)
            if old is not None and type(old) is type(entry.plugin):
                entry.plugin.inherit(old)

    async def run_router(
        self, context: RequestContext, core: RouterNext
    ) -> HttpResponse:
        handler = core
        for hook in reversed(self._router):
            handler = partial(hook, call_next=handler)
        return await handler(context)

    async def run_supergraph(
        self,
        context: RequestContext,
        request: SupergraphRequest,
        core: SupergraphNext,
    ) -> SupergraphResponse:
        handler = core
        for hook in reversed(self._supergraph):
            handler = partial(hook, call_next=handler)
        return await handler(context, request)

    async def run_execution(
        self,
        context: RequestContext,
        request: ExecutionRequest,
        core: ExecutionNext,
    ) -> ExecutionResponse:
        handler = core
        for hook in reversed(self._execution):
            handler = partial(hook, call_next=handler)
        return await handler(context, request)

    def subgraph_post(
        self, context: RequestContext | None, traffic: SubgraphTraffic
    ) -> SubgraphPost:
        """What the executor calls for each fetch: the subgraph hooks around
        `traffic.post` (which picks the instance by the client's headers),
        recording each answer's headers in `context`."""
        final = self._subgraph_handler(traffic)
        ctx = context if context is not None else RequestContext("POST", "", {})

        async def post(
            subgraph: str,
            payload: dict[str, Any],
            headers: Mapping[str, str] | None,
        ) -> SubgraphResponse:
            request = SubgraphRequest(subgraph, payload, dict(headers or {}))
            return await final(ctx, request)

        return post

    def _subgraph_handler(self, traffic: SubgraphTraffic) -> SubgraphNext:
        """The subgraph hooks around `traffic.post`, built once per traffic (a
        generation has one) rather than per request."""
        built = self._subgraph_built
        if built is not None and built[0] is traffic:
            return built[1]

        async def core(ctx: RequestContext, request: SubgraphRequest) -> Any:
            response = await traffic.post(
                request.subgraph, request.payload, request.headers, ctx.headers
            )
            ctx.subgraph_responses.append(
                SubgraphHeaders(request.subgraph, response.status, response.headers)
            )
            return response

        handler: SubgraphNext = core
        for hook in reversed(self._subgraph):
            handler = partial(hook, call_next=handler)
        self._subgraph_built = (traffic, handler)
        return handler

    async def subgraph_headers(
        self, context: RequestContext, subgraph: str, payload: dict[str, Any]
    ) -> dict[str, str]:
        """The headers the subgraph hooks give a request of `payload` to `subgraph`,
        without sending it: what a subscription's WebSocket to the subgraph opens with
        (router.subscriptions). The hooks see an empty 200 answer; one that refuses the
        request raises as it would for a fetch."""
        from router.execution.subgraph_client import SubgraphResponse as Answer

        sent: dict[str, str] = {}

        async def core(ctx: RequestContext, request: SubgraphRequest) -> Any:
            sent.update(request.headers)
            return Answer(200, {}, {"data": None})

        handler: SubgraphNext = core
        for hook in reversed(self._subgraph):
            handler = partial(hook, call_next=handler)
        await handler(context, SubgraphRequest(subgraph, payload, {}))
        return sent

    async def sent_headers(
        self, context: RequestContext, subgraph: str
    ) -> dict[str, str] | None:
        """The headers the header rules give `context`'s requests to `subgraph`,
        without sending or counting anything; None when a custom plugin's subgraph
        hook might treat this client's requests otherwise (it sees the whole
        request). Subscriptions share one completion of an event between clients
        whose answers from every subgraph would be the same
        (router.subscriptions.completion)."""
        from router.execution.subgraph_client import SubgraphResponse as Answer

        hooks = []
        for entry in self.entries:
            hook = entry.hook("subgraph")
            if hook is None or entry.name in _SAME_FOR_EVERY_CLIENT:
                continue
            if entry.custom or entry.name != "headers":
                return None
            hooks.append(hook)
        sent: dict[str, str] = {}

        async def core(ctx: RequestContext, request: SubgraphRequest) -> Any:
            sent.update(request.headers)
            return Answer(200, {}, {"data": None})

        handler: SubgraphNext = core
        for hook in reversed(hooks):
            handler = partial(hook, call_next=handler)
        await handler(context, SubgraphRequest(subgraph, {}, {}))
        return sent


async def _shut_down(entries: Iterable[ChainEntry]) -> None:
    for entry in entries:
        try:
            await entry.plugin.shutdown()
        except Exception:
            logger.exception("plugin %s failed to shut down", entry.name)


EMPTY_CHAIN = PluginChain(())


def build_chain(
    config: RouterConfig, custom: Sequence[CustomPlugin] = ()
) -> PluginChain:
    """The plugins `config` turns on, in `PLUGIN_ORDER`, with new instances of the
    resolved `custom` plugins (blocking: may read files; a custom plugin whose
    `__init__` raises is a `router.plugins.custom.PluginLoadError`)."""
    plugins: list[Plugin | ChainEntry] = []
    for _, module_name in PLUGIN_ORDER:
        if module_name is None:
            plugins += [ChainEntry(c.key, c.build(), custom=True) for c in custom]
            continue
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
