"""The `Plugin` base class, and the request/response types its hooks exchange.

Every hook is optional; a plugin overrides the ones it needs and the chain
(`router.plugins.chain`) skips plugins that leave a hook alone. Hooks wrap the next
handler (STYLE.md "plugins": `async def <stage>(self, ..., call_next)`), so one hook sees
both the way in and the way out:

- `router(context, call_next) -> HttpResponse`: the GraphQL endpoint's HTTP request,
  before the body is read. Return a response without calling `call_next` to answer in
  place of the router (CORS preflight, 401, 429, CSRF 400); edit the returned response's
  headers on the way out.
- `supergraph(context, request, call_next) -> SupergraphResponse`: after parsing,
  validation, operation selection and variable coercion, before introspection and
  planning. Raise `Rejection` to refuse the operation with GraphQL errors (operation
  limits).
- `execution(context, request, call_next) -> ExecutionResponse`: the planned
  operation, before its plan runs (`request.plan` is the `QueryPlan`); the response
  `body` is the shaped GraphQL response. Not reached by introspection answered by the
  router, nor by an operation that authorization emptied (nothing is executed).
- `subgraph(context, request, call_next) -> SubgraphResponse`: each subgraph fetch.
  Edit `request.headers` before `call_next`; read the answer's status and headers
  after. Raise `SubgraphRequestError` to fail this fetch alone (it becomes an error
  at the fetch's path, the rest of the plan still runs).
- `startup()` / `shutdown()`: once per loaded config, before it serves and after its
  last request (open Redis pools, fetch JWKS, start and stop background tasks). A
  failing `startup` keeps the previous config serving.
- `inherit(previous)`: on a hot reload, after `startup` and just before the new
  generation serves, with the same-named plugin of the generation it replaces (the
  in-memory rate-limit counters carry over). Take over only state whose meaning the
  new config keeps.

Custom plugins (router.yaml's `plugins`, `router.plugins.custom`) subclass `Plugin` too;
their typed config is a `PluginConfig` subclass named `Config` on the plugin class.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import orjson
from pydantic import BaseModel, ConfigDict

from router.execution.codes import DOWNSTREAM_SERVICE_ERROR

if TYPE_CHECKING:
    from graphql import OperationDefinitionNode

    from planner.query_plan import QueryPlan
    from router.execution.subgraph_client import SubgraphResponse
    from router.plugins.context import RequestContext

__all__ = [
    "ExecutionNext",
    "ExecutionRequest",
    "ExecutionResponse",
    "HttpResponse",
    "Plugin",
    "PluginConfig",
    "Rejection",
    "RouterNext",
    "SubgraphNext",
    "SubgraphRequest",
    "SupergraphNext",
    "SupergraphRequest",
    "SupergraphResponse",
    "error_body",
    "error_codes_of",
]


@dataclass(slots=True)
class HttpResponse:
    """An HTTP response of the GraphQL endpoint; `headers` exclude content-length.
    `error_codes`, when known, are the `extensions.code` of the body's errors (so that
    telemetry need not scan a large body for them).

    A streamed response (an incremental `@defer` answer) has a `stream` of chunks sent
    after `body`; the request is over when the stream ends, so a hook that must see
    the whole request wraps it (`when_finished`). `error_codes` grows as the chunks
    are encoded."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    error_codes: list[str] | None = None
    stream: AsyncGenerator[bytes, None] | None = None

    def when_finished(self, finish: Callable[[], None]) -> bool:
        """Arranges for `finish()` to run when a streamed response's stream ends or is
        closed, and says True; False (nothing arranged) for a response sent at once."""
        if self.stream is None:
            return False
        self.stream = _then(self.stream, finish)
        return True

    @classmethod
    def error(
        cls,
        code: str,
        message: str,
        status: int,
        headers: list[tuple[str, str]] | None = None,
        **extensions: Any,
    ) -> HttpResponse:
        """A GraphQL error response (`application/json`, which keeps `status` under
        either media type the client accepts)."""
        return cls(
            status,
            [("content-type", "application/json"), *(headers or [])],
            orjson.dumps(error_body(code, message, **extensions)),
            [code],
        )


async def _then(
    stream: AsyncGenerator[bytes, None], finish: Callable[[], None]
) -> AsyncGenerator[bytes, None]:
    try:
        async for chunk in stream:
            yield chunk
    finally:
        try:
            await stream.aclose()
        finally:
            finish()


def error_codes_of(errors: Any) -> list[str]:
    """The `extensions.code` of each error of a response's `errors` (anything else, or
    an error without a string code, counts as `DOWNSTREAM_SERVICE_ERROR`)."""
    if not isinstance(errors, list):
        return []
    codes = []
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        codes.append(code if isinstance(code, str) else DOWNSTREAM_SERVICE_ERROR)
    return codes


def error_body(code: str, message: str, **extensions: Any) -> dict[str, Any]:
    return {
        "errors": [{"message": message, "extensions": {"code": code, **extensions}}]
    }


class Rejection(Exception):
    """A supergraph-stage refusal: GraphQL errors, no data, this HTTP status."""

    def __init__(
        self,
        errors: list[dict[str, Any]],
        status: int = 400,
        headers: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(errors[0]["message"] if errors else "rejected")
        self.errors = errors
        self.status = status
        self.headers = headers

    @classmethod
    def of(cls, code: str, message: str, status: int = 400, **ext: Any) -> Rejection:
        return cls(error_body(code, message, **ext)["errors"], status)


@dataclass(slots=True)
class SupergraphRequest:
    """A validated operation about to be planned: `document` is graphql-core's
    `DocumentNode`, `operation` the selected `OperationDefinitionNode`, `variables`
    the coerced variables."""

    query: str
    operation_name: str | None
    operation: OperationDefinitionNode
    document: Any
    variables: dict[str, Any]
    http_method: str


@dataclass(slots=True)
class SupergraphResponse:
    """The GraphQL response body; `headers` go on the HTTP response. For a deferred
    operation sent to a multipart client, `body` is the first payload and `subsequent`
    the later ones (`{"hasNext", "incremental"}`), each yielded once ready."""

    body: dict[str, Any]
    headers: list[tuple[str, str]] = field(default_factory=list)
    subsequent: AsyncGenerator[dict[str, Any], None] | None = None


@dataclass(slots=True)
class ExecutionRequest:
    """A planned operation about to run: `plan` is the planner's `QueryPlan` (shared
    through the plan cache: read it, do not change it), `variables` the coerced ones."""

    plan: QueryPlan
    operation_name: str | None
    variables: dict[str, Any]


@dataclass(slots=True)
class ExecutionResponse:
    """The shaped GraphQL response body of an executed plan; `subsequent` as in
    `SupergraphResponse` (the deferred parts, run while the first payload is sent)."""

    body: dict[str, Any]
    subsequent: AsyncGenerator[dict[str, Any], None] | None = None


@dataclass(slots=True)
class SubgraphRequest:
    """One fetch: the subgraph's name, the JSON payload, the headers to send (names as
    they will be sent; the client merges them case-insensitively)."""

    subgraph: str
    payload: dict[str, Any]
    headers: dict[str, str]


RouterNext = Callable[["RequestContext"], Awaitable[HttpResponse]]
SupergraphNext = Callable[
    ["RequestContext", SupergraphRequest], Awaitable[SupergraphResponse]
]
ExecutionNext = Callable[
    ["RequestContext", ExecutionRequest], Awaitable[ExecutionResponse]
]
SubgraphNext = Callable[
    ["RequestContext", SubgraphRequest], Awaitable["SubgraphResponse"]
]


class PluginConfig(BaseModel):
    """Base of a custom plugin's `Config`: unknown keys are refused and the validated
    config is immutable (the router's own sections are built the same way)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Plugin:
    """Base class of plugins; override the hooks you need (see the module docstring).

    `name` is the router.yaml section (or a made-up name for built-ins); a custom
    plugin is known by its key under `plugins`, whatever its `name`. A plugin is built
    once per loaded config from its typed config and is shared by every request.
    """

    name: ClassVar[str] = "plugin"

    async def startup(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    def inherit(self, previous: Plugin) -> None:
        """Takes over state from `previous`, this plugin's instance in the generation
        being replaced (same `name` and class); it keeps serving its own requests."""
        return None

    async def router(
        self, context: RequestContext, call_next: RouterNext
    ) -> HttpResponse:
        return await call_next(context)

    async def supergraph(
        self,
        context: RequestContext,
        request: SupergraphRequest,
        call_next: SupergraphNext,
    ) -> SupergraphResponse:
        return await call_next(context, request)

    async def execution(
        self,
        context: RequestContext,
        request: ExecutionRequest,
        call_next: ExecutionNext,
    ) -> ExecutionResponse:
        return await call_next(context, request)

    async def subgraph(
        self,
        context: RequestContext,
        request: SubgraphRequest,
        call_next: SubgraphNext,
    ) -> SubgraphResponse:
        return await call_next(context, request)
