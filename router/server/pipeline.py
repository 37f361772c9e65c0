"""The supergraph stage: one GraphQL request in, one GraphQL response out.

parse and validate (cached) -> pick the operation -> refuse what the transport or the
config forbids -> coerce variables -> answer introspection locally, or plan (cached),
execute and shape -> redact subgraph errors the config hides. Everything is in terms of
`GraphQLRequest` and JSON-ready dicts; `router.server.app` does HTTP.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
)
from graphql.execution import ExecutionResult, experimental_execute_incrementally

from router.config import IncludeSubgraphErrorsConfig
from router.plugins.chain import EMPTY_CHAIN, PluginChain
from router.plugins.limits import nesting_exceeds
from router.plugins.plugin import (
    ExecutionResponse,
    Rejection,
    SupergraphRequest,
    SupergraphResponse,
)
from router.server.documents import DocumentCache, PreparedDocument
from router.server.errors import (
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    INTERNAL_SERVER_ERROR,
    INTROSPECTION_DISABLED,
    INVALID_ACCEPT_HEADER,
    INVALID_GRAPHQL_REQUEST,
    MUTATION_FORBIDDEN,
    SUBSCRIPTION_DISABLED,
    RequestFailure,
    graphql_error,
)
from router.server.incremental import Payloads, redacted
from router.server.introspection import (
    SplitOperation,
    split_introspection,
    without_defer,
)
from router.server.operation import (
    INTROSPECTION_FIELDS,
    coerce_variables,
    root_field_names,
    select_operation,
)
from router.server.request import GraphQLRequest
from router.server.subgraph_errors import redact_subgraph_errors
from router.subscriptions.events import ClosingStream
from router.telemetry.plan_exposure import DRY_RUN, EXPOSE_QUERY_PLAN

if TYPE_CHECKING:
    from router.cache.persisted_queries import PersistedQueryLayer
    from router.plugins.authorization import Authorizer
    from router.plugins.context import RequestContext
    from router.usage.recorder import UsageRecorder

__all__ = ["Engine", "Outcome", "Pipeline"]

logger = logging.getLogger(__name__)

# `context.values` keys: the transport streams (`subscribe`), and the events of the
# subscription it opened.
_STREAMING = "subscription.streaming"
_STREAM = "subscription.events"

# Each `OperationType.X` read through the enum class, and each `.value`, is a Python
# call on Python 3.11 (about 0.4 us): the per-request checks compare with these.
_MUTATION = OperationType.MUTATION
_SUBSCRIPTION = OperationType.SUBSCRIPTION
_TYPE_NAMES = tuple((kind, str(kind.value)) for kind in OperationType)
# Root fields answered without a subgraph.
_LOCAL_ROOTS = INTROSPECTION_FIELDS | {"__typename"}


@dataclass(frozen=True, slots=True)
class Outcome:
    """A GraphQL response body and how HTTP should carry it (see `RequestFailure`)."""

    body: dict[str, Any]
    status: int = 200
    well_formed: bool = True
    headers: tuple[tuple[str, str], ...] = ()
    # An incremental answer's later payloads (`body` is the first): multipart.
    subsequent: Payloads | None = None


class Engine:
    """What runs an operation that needs the subgraphs: plan (cached), execute, shape.

    A seam so the pipeline can be built and tested before, and apart from, the planner
    and the executor; `router.server.state` builds the real one.
    """

    async def run(
        self,
        prepared: PreparedDocument,
        operation_name: str | None,
        variables: dict[str, Any],
        *,
        plan_document: DocumentNode | None = None,
        plan_key: str | None = None,
        execute: bool = True,
        prefilled: dict[str, Any] | None = None,
        context: RequestContext | None = None,
    ) -> ExecutionResponse:
        """The shaped response (and, for a deferred operation a multipart client sent,
        the later payloads: `router.server.incremental`). `plan_document` (default: the client's document) is what
        gets planned, cached under `plan_key` (default: the document's hash) when it
        differs from the client's by more than the introspection split; `execute=False`
        plans and fetches nothing (everything was removed); `prefilled` root values
        (local introspection) join the data; `context` is the request's, for the
        subgraph stage's plugin hooks."""
        raise NotImplementedError

    @property
    def subscriptions_enabled(self) -> bool:
        """Whether `subscribe` serves subscriptions (`subscription.enabled`)."""
        return False

    async def subscribe(
        self,
        prepared: PreparedDocument,
        operation_name: str | None,
        variables: dict[str, Any],
        *,
        plan_document: DocumentNode | None = None,
        plan_key: str | None = None,
        context: RequestContext,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """A subscription's shaped events (router.subscriptions); raises
        `RequestFailure` when it cannot be opened."""
        raise RequestFailure.of(
            SUBSCRIPTION_DISABLED,
            "subscription support is not enabled",
            well_formed=True,
        )


class Pipeline:
    """Runs requests against one loaded supergraph (one reload generation)."""

    def __init__(
        self,
        *,
        api_schema: GraphQLSchema,
        documents: DocumentCache,
        engine: Engine,
        introspection: bool,
        include_subgraph_errors: IncludeSubgraphErrorsConfig,
        plugins: PluginChain = EMPTY_CHAIN,
        max_recursion: int | None = None,
        authorizer: Authorizer | None = None,
        persisted_queries: PersistedQueryLayer | None = None,
        usage: UsageRecorder | None = None,
    ) -> None:
        self._schema = api_schema
        self._usage = usage
        self._persisted = persisted_queries
        self._authorizer = authorizer
        self._plugins = plugins
        self._max_recursion = max_recursion
        self._documents = documents
        self._engine = engine
        self._introspection = introspection
        self._include = include_subgraph_errors

    async def run(
        self,
        request: GraphQLRequest,
        *,
        method: str,
        context: RequestContext | None = None,
    ) -> Outcome:
        try:
            return await self._run(request, method, context)
        except Rejection as rejection:
            return Outcome(
                {"errors": rejection.errors},
                rejection.status,
                well_formed=False,
                headers=rejection.headers,
            )
        except RequestFailure as failure:
            return Outcome(
                {"errors": failure.errors},
                failure.status,
                failure.well_formed,
                failure.headers,
            )
        except Exception:
            logger.exception("unexpected failure while serving a request")
            return Outcome(
                {
                    "data": None,
                    "errors": [
                        graphql_error(INTERNAL_SERVER_ERROR, "Internal server error")
                    ],
                }
            )

    async def subscribe(
        self, request: GraphQLRequest, *, method: str, context: RequestContext
    ) -> Outcome | AsyncGenerator[dict[str, Any], None]:
        """`run` for a transport that streams (WebSocket, SSE, multipart): a
        subscription that opens gives its events (each body shaped and redacted);
        anything else, including a refused subscription, its one `Outcome`."""
        context.values[_STREAMING] = True
        outcome = await self.run(request, method=method, context=context)
        stream: AsyncGenerator[dict[str, Any], None] | None = context.values.pop(
            _STREAM, None
        )
        return outcome if stream is None else stream

    async def _run(
        self, request: GraphQLRequest, method: str, context: RequestContext | None
    ) -> Outcome:
        if self._persisted is not None:
            # APQ and persisted-query lists, before the text is parsed (router.cache).
            request = await self._persisted.resolve(request, context)
        query = request.query
        if query is None:
            raise RequestFailure.of(
                INVALID_GRAPHQL_REQUEST, "Must provide query string.", 400
            )
        prepared = self._documents.cached(query)
        if prepared is None:
            # A cached text passed this check when it was first seen.
            if self._max_recursion is not None and nesting_exceeds(
                query, self._max_recursion
            ):
                raise RequestFailure.of(
                    GRAPHQL_PARSE_FAILED,
                    "The document nests deeper than the parser recursion limit "
                    f"({self._max_recursion})",
                    400,
                )
            prepared = self._documents.get(query)
        if prepared.errors:
            raise RequestFailure(prepared.errors, 400, well_formed=True)
        operation = select_operation(prepared, request.operation_name)
        self._check_operation_type(operation, method, context)
        variables = coerce_variables(self._schema, operation, request.variables)
        if context is None:
            return await self._serve(prepared, operation, variables, request, None)
        context.operation_name = _name(operation)
        context.operation_type = _type_name(operation.operation)
        if self._usage is not None:
            self._usage.record(
                prepared.derived, prepared.document, operation, context.headers
            )

        async def core(
            ctx: RequestContext, staged: SupergraphRequest
        ) -> SupergraphResponse:
            outcome = await self._serve(
                prepared, staged.operation, staged.variables, request, ctx
            )
            return SupergraphResponse(
                outcome.body, list(outcome.headers), outcome.subsequent
            )

        response = await self._plugins.run_supergraph(
            context,
            SupergraphRequest(
                query,
                _name(operation),
                operation,
                prepared.document,
                variables,
                method,
            ),
            core,
        )
        return Outcome(
            response.body,
            headers=tuple(response.headers),
            subsequent=response.subsequent,
        )

    async def _serve(
        self,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        request: GraphQLRequest,
        context: RequestContext | None,
    ) -> Outcome:
        """Introspection locally, the rest through the engine (the supergraph core)."""
        if (
            operation.operation is _SUBSCRIPTION
            and context is not None
            and not _dry_run(context)
        ):
            return await self._serve_subscription(
                prepared, operation, variables, context
            )
        roots_key = ("roots", _name(operation))
        roots: set[str] | None = prepared.derived.get(roots_key)
        if roots is None:
            roots = prepared.derived[roots_key] = root_field_names(prepared, operation)
        introspective = not roots.isdisjoint(INTROSPECTION_FIELDS)
        if introspective and not self._introspection:
            raise RequestFailure.of(
                INTROSPECTION_DISABLED,
                "introspection has been disabled",
                well_formed=True,
            )
        if roots <= _LOCAL_ROOTS:
            return Outcome(await self._answer_locally(prepared, operation, request))
        split = None
        if introspective:
            split = self._split(prepared, operation)
        planned = None if split is None else split.planned
        decision = None
        if self._authorizer is not None:
            decision = self._authorizer.decide(prepared, operation, planned, context)
        plan_key, execute = None, True
        if decision is not None:
            planned = decision.document or planned
            plan_key, execute = decision.plan_key, not decision.empty
        if split is None:
            executed = await self._engine.run(
                prepared,
                _name(operation),
                variables,
                plan_document=planned,
                plan_key=plan_key,
                execute=execute,
                context=context,
            )
        else:
            local = await self._execute_locally(
                split.introspection, _name(operation), request.variables
            )
            if "errors" in local:
                return Outcome(local)
            executed = await self._engine.run(
                prepared,
                _name(operation),
                variables,
                plan_document=planned,
                plan_key=plan_key,
                execute=execute,
                prefilled=local["data"],
                context=context,
            )
        body = executed.body
        if decision is not None and self._authorizer is not None:
            body = self._authorizer.finish(body, decision)
        if body.get("errors"):
            body["errors"] = redact_subgraph_errors(body["errors"], self._include)
        subsequent = executed.subsequent
        if subsequent is not None:
            include = self._include
            subsequent = redacted(
                subsequent, lambda errors: redact_subgraph_errors(errors, include)
            )
        return Outcome(body, subsequent=subsequent)

    async def _serve_subscription(
        self,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        variables: dict[str, Any],
        context: RequestContext,
    ) -> Outcome:
        """Opens the subscription; its events go to the transport through `context`
        (`subscribe` takes them), each redacted and authorized as a response is."""
        planned, plan_key, decision = None, None, None
        if self._authorizer is not None:
            decision = self._authorizer.decide(prepared, operation, None, context)
            if decision is not None:
                if decision.empty:  # nothing the client may see: no subscription
                    return Outcome(self._authorizer.finish({"data": None}, decision))
                planned, plan_key = decision.document, decision.plan_key
        events = await self._engine.subscribe(
            prepared,
            _name(operation),
            variables,
            plan_document=planned,
            plan_key=plan_key,
            context=context,
        )
        # Closed unstarted (a plugin answered instead), the events still close.
        context.values[_STREAM] = ClosingStream(
            self._finished_events(events, decision), events.aclose
        )
        return Outcome({})

    async def _finished_events(
        self, events: AsyncGenerator[dict[str, Any], None], decision: Any
    ) -> AsyncGenerator[dict[str, Any], None]:
        try:
            async for body in events:
                if decision is not None and self._authorizer is not None:
                    body = self._authorizer.finish(body, decision)
                if body.get("errors"):
                    body["errors"] = redact_subgraph_errors(
                        body["errors"], self._include
                    )
                yield body
        finally:
            await events.aclose()

    def _check_operation_type(
        self,
        operation: OperationDefinitionNode,
        method: str,
        context: RequestContext | None,
    ) -> None:
        if method == "GET" and operation.operation is _MUTATION:
            raise RequestFailure.of(
                MUTATION_FORBIDDEN,
                "Mutations can only be sent over HTTP POST",
                405,
                headers=(("allow", "POST"),),
            )
        if operation.operation is _SUBSCRIPTION:
            if not self._engine.subscriptions_enabled:
                raise RequestFailure.of(
                    SUBSCRIPTION_DISABLED,
                    "subscription support is not enabled",
                    well_formed=True,
                )
            streaming = context is not None and (
                context.values.get(_STREAMING) or _dry_run(context)
            )
            if not streaming:
                raise RequestFailure.of(
                    INVALID_ACCEPT_HEADER,
                    "A subscription needs a streaming transport: WebSocket "
                    "(graphql-transport-ws), Accept: text/event-stream, or Accept: "
                    'multipart/mixed;subscriptionSpec="1.0"',
                    406,
                )

    def _split(
        self, prepared: PreparedDocument, operation: OperationDefinitionNode
    ) -> SplitOperation:
        key = ("split", _name(operation))
        split = prepared.derived.get(key)
        if split is None:
            assert prepared.document is not None  # validated documents only
            split = split_introspection(prepared.document, operation)
            if split is None:
                raise RequestFailure.of(
                    GRAPHQL_VALIDATION_FAILED,
                    "__schema and __type must be selected directly on the root type "
                    "when the operation also selects subgraph fields",
                    well_formed=True,
                )
            prepared.derived[key] = split
        result: SplitOperation = split
        return result

    async def _answer_locally(
        self,
        prepared: PreparedDocument,
        operation: OperationDefinitionNode,
        request: GraphQLRequest,
    ) -> dict[str, Any]:
        assert prepared.document is not None  # validated documents only
        return await self._execute_locally(
            prepared.document, _name(operation), request.variables
        )

    async def _execute_locally(
        self,
        document: DocumentNode,
        operation_name: str | None,
        variables: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """Introspection and root `__typename`, executed by graphql-core on the API schema."""
        # graphql-core's `execute` refuses a schema that defines `@defer`; its incremental
        # entry point answers a document without `@defer` in one result.
        result = experimental_execute_incrementally(
            self._schema,
            without_defer(document),
            operation_name=operation_name,
            variable_values=variables,
        )
        if isawaitable(result):
            result = await result
        if not isinstance(result, ExecutionResult):
            raise TypeError("a document without @defer executed incrementally")
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [
                {
                    **error.formatted,
                    "extensions": {
                        "code": INTERNAL_SERVER_ERROR,
                        **(error.extensions or {}),
                    },
                }
                for error in result.errors
            ]
        return body


def _type_name(kind: OperationType) -> str:
    """`kind.value`, found by identity (hashing an enum member is a Python call too)."""
    for member, name in _TYPE_NAMES:
        if kind is member:
            return name
    return str(kind.value)


def _name(operation: OperationDefinitionNode) -> str | None:
    return operation.name.value if operation.name else None


def _dry_run(context: RequestContext) -> bool:
    """`Apollo-Expose-Query-Plan: dry-run`: the plan only, nothing opened or fetched
    (a subscription's too: the explorer shows its plan over plain JSON)."""
    return context.values.get(EXPOSE_QUERY_PLAN) == DRY_RUN
