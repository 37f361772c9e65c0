"""A subgraph subscription's events, completed by the rest of the plan and shaped.

QUERY_PLANNING.md §2.10: a `Subscription` plan's `primary` fetch is the subscription
sent to the subgraph; each event it yields is the data that fetch would have merged,
and the `rest` (entity fetches to other subgraphs) runs on it before the event is
shaped for the client (`event_completer`). Events are completed one at a time, in
order, once per group of clients that would get the same answer
(`router.subscriptions.completion`); `completed_events` is one client's stream of them.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import orjson

from planner.query_plan import QueryPlan
from router.execution.client_aliases import client_names, name_error_paths
from router.execution.executor import Post, execute_plan
from router.execution.rewrites import apply_rewrites
from router.execution.subgraph_errors import root_errors
from router.execution.type_conditions import type_conditions_for
from router.subscriptions.listener import End, Listener

if TYPE_CHECKING:
    from graphql import GraphQLSchema

    from planner.query_plan import Subscription
    from router.execution.shaping import ResponseShaper
    from router.execution.subgraph_client import SubgraphClient

__all__ = ["ClosingStream", "completed_events", "event_completer"]


class ClosingStream(AsyncGenerator[dict[str, Any], None]):
    """An event stream whose `aclose()` (or its end) runs `cleanup` once, even when it
    was never iterated: a plain async generator closed before it started never runs its
    `finally`, which would leave a subscription open on the hub (and the subgraph)."""

    def __init__(
        self,
        inner: AsyncGenerator[dict[str, Any], None],
        cleanup: Callable[[], Awaitable[None] | None],
    ) -> None:
        self._inner = inner
        self._cleanup: Callable[[], Awaitable[None] | None] | None = cleanup

    async def asend(self, value: None) -> dict[str, Any]:
        try:
            return await self._inner.asend(value)
        except BaseException:
            await self._clean()
            raise

    async def athrow(self, typ: Any, val: Any = None, tb: Any = None) -> dict[str, Any]:
        try:
            return await self._inner.athrow(typ, val, tb)
        except BaseException:
            await self._clean()
            raise

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        finally:
            await self._clean()

    async def _clean(self) -> None:
        cleanup, self._cleanup = self._cleanup, None
        if cleanup is not None:
            done = cleanup()
            if done is not None:
                await done


def completed_events(listener: Listener, on_close: Callable[[], None]) -> ClosingStream:
    """Each completed event of `listener` as the client's response body (a copy of
    its own: the transport's stage may edit it); an ending with errors is one last
    body with only `errors`. `on_close` runs once when the stream ends or its
    consumer closes it (`aclose()`), started or not."""
    return ClosingStream(_bodies(listener), on_close)


async def _bodies(listener: Listener) -> AsyncGenerator[dict[str, Any], None]:
    async for item in listener.events():
        if isinstance(item, End):
            if item.errors:
                yield {"errors": list(item.errors)}
            return
        # Shared with the group's other clients: top-level keys and `extensions`
        # are what the pipeline edits per client (authorization, redaction).
        body = dict(item)
        extensions = body.get("extensions")
        if isinstance(extensions, dict):
            body["extensions"] = dict(extensions)
        yield body


def event_completer(
    node: Subscription,
    *,
    variables: Mapping[str, Any],
    client: SubgraphClient,
    schema: GraphQLSchema,
    shaper: ResponseShaper,
    post: Post,
    unbatched: frozenset[str],
    client_aliases: tuple[str, ...] = (),
) -> Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]:
    """What completes one subgraph event of `node` into a response body: the rest
    of the plan on the event's data, then shaping for the client's operation.
    `client_aliases`: the plan's renamed aliases (the event keeps their fetched
    names, which `shaper` reads; its errors' paths get the client's)."""
    primary = node.primary
    names = client_names(client_aliases)
    types = type_conditions_for(schema)
    rest = QueryPlan(node.rest) if node.rest is not None else None

    async def complete(event: dict[str, Any]) -> dict[str, Any]:
        # Every group of the upstream gets the same event: completing merges into
        # it, so each completion works on its own copy, or one group's answer (a
        # field another may not see) would leak into the next one's.
        data = orjson.loads(orjson.dumps(event.get("data")))
        errors = root_errors(event.get("errors"), primary.service_name, [])
        if not isinstance(data, dict):
            name_error_paths(errors, names)
            return shaper.shape(None, errors, variables)
        if primary.output_rewrites:
            apply_rewrites(primary.output_rewrites, data, types)
        if rest is not None:
            result = await execute_plan(
                rest,
                variables=variables,
                client=client,
                schema=schema,
                post=post,
                unbatched=unbatched,
                data=data,
            )
            errors.extend(result.errors)
        name_error_paths(errors, names)
        return shaper.shape(data, errors, variables)

    return complete
