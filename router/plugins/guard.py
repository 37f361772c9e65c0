"""Containing a custom plugin's failures: a hook that raises costs its request, never
the router.

The chain (`router.plugins.chain`) calls a custom plugin's hooks through these
functions. What the plugin raises itself, other than the refusals its stage allows
(`Rejection` in the router, supergraph and execution stages, `SubgraphRequestError` in
the subgraph stage), is logged with its traceback and becomes a `PLUGIN_ERROR` GraphQL
error carrying no detail: HTTP 500 from the router, supergraph and execution stages,
the failure of that fetch alone from the subgraph stage. What comes back through
`call_next` (a later plugin's refusal, a cancellation, the request timeout) is the
rest of the chain's and passes through untouched. The router's own plugins are not
guarded: a bug there is an `INTERNAL_SERVER_ERROR`, as anywhere else in the router.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import orjson

from router.execution.subgraph_client import SubgraphRequestError
from router.plugins.codes import PLUGIN_ERROR
from router.plugins.plugin import (
    ExecutionNext,
    ExecutionRequest,
    ExecutionResponse,
    HttpResponse,
    Plugin,
    Rejection,
    RouterNext,
    SubgraphNext,
    SubgraphRequest,
    SupergraphNext,
    SupergraphRequest,
    SupergraphResponse,
    error_codes_of,
)

if TYPE_CHECKING:
    from router.execution.subgraph_client import SubgraphResponse
    from router.plugins.context import RequestContext

__all__ = [
    "MESSAGE",
    "guarded_execution",
    "guarded_router",
    "guarded_subgraph",
    "guarded_supergraph",
]

logger = logging.getLogger(__name__)

# What the client reads: nothing of the plugin's name, code or exception.
MESSAGE = "A router plugin failed while handling this request"
_STATUS = 500


class _Passed:
    """Remembers what `call_next` raised, so the guard can tell it from the plugin's own."""

    __slots__ = ("error",)

    def __init__(self) -> None:
        self.error: BaseException | None = None

    def owns(self, exc: BaseException) -> bool:
        return exc is self.error


def _log(key: str, stage: str, context: RequestContext) -> None:
    logger.exception(
        "plugin %s failed in its %s hook (request %s); the client got %s",
        key,
        stage,
        context.request_id or "-",
        PLUGIN_ERROR,
    )


async def guarded_router(
    key: str, plugin: Plugin, context: RequestContext, call_next: RouterNext
) -> HttpResponse:
    passed = _Passed()

    async def downstream(ctx: RequestContext) -> HttpResponse:
        try:
            return await call_next(ctx)
        except BaseException as exc:
            passed.error = exc
            raise

    try:
        return await plugin.router(context, downstream)
    except Exception as exc:
        if passed.owns(exc):
            raise
        if isinstance(exc, Rejection):
            return _refusal(exc)
        _log(key, "router", context)
        return HttpResponse.error(PLUGIN_ERROR, MESSAGE, _STATUS)


async def guarded_supergraph(
    key: str,
    plugin: Plugin,
    context: RequestContext,
    request: SupergraphRequest,
    call_next: SupergraphNext,
) -> SupergraphResponse:
    return await _guarded_stage(
        key, "supergraph", plugin.supergraph, context, request, call_next
    )


async def guarded_execution(
    key: str,
    plugin: Plugin,
    context: RequestContext,
    request: ExecutionRequest,
    call_next: ExecutionNext,
) -> ExecutionResponse:
    return await _guarded_stage(
        key, "execution", plugin.execution, context, request, call_next
    )


_Request = TypeVar("_Request")
_Response = TypeVar("_Response")
_Next = Callable[["RequestContext", _Request], Awaitable[_Response]]


async def _guarded_stage(
    key: str,
    stage: str,
    hook: Callable[
        [RequestContext, _Request, _Next[_Request, _Response]], Awaitable[_Response]
    ],
    context: RequestContext,
    request: _Request,
    call_next: _Next[_Request, _Response],
) -> _Response:
    """The supergraph or execution hook: its own failure becomes `PLUGIN_ERROR`
    (HTTP 500); its refusals and what `call_next` raised pass through."""
    passed = _Passed()

    async def downstream(ctx: RequestContext, staged: _Request) -> _Response:
        try:
            return await call_next(ctx, staged)
        except BaseException as exc:
            passed.error = exc
            raise

    try:
        return await hook(context, request, downstream)
    except Exception as exc:
        if passed.owns(exc) or isinstance(exc, Rejection):
            raise
        _log(key, stage, context)
        raise Rejection.of(PLUGIN_ERROR, MESSAGE, _STATUS) from None


async def guarded_subgraph(
    key: str,
    plugin: Plugin,
    context: RequestContext,
    request: SubgraphRequest,
    call_next: SubgraphNext,
) -> SubgraphResponse:
    passed = _Passed()

    async def downstream(
        ctx: RequestContext, staged: SubgraphRequest
    ) -> SubgraphResponse:
        try:
            return await call_next(ctx, staged)
        except BaseException as exc:
            passed.error = exc
            raise

    try:
        return await plugin.subgraph(context, request, downstream)
    except Exception as exc:
        if passed.owns(exc) or isinstance(exc, SubgraphRequestError):
            raise
        _log(key, f"subgraph ({request.subgraph})", context)
        raise SubgraphRequestError(PLUGIN_ERROR, MESSAGE) from None


def _refusal(rejection: Rejection) -> HttpResponse:
    """A `Rejection` raised in the router stage, answered as it would be later on."""
    body: dict[str, Any] = {"errors": rejection.errors}
    return HttpResponse(
        rejection.status,
        [("content-type", "application/json"), *rejection.headers],
        orjson.dumps(body),
        error_codes_of(rejection.errors),
    )
