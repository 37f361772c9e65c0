"""A subgraph subscription's events, completed by the rest of the plan and shaped.

QUERY_PLANNING.md §2.10: a `Subscription` plan's `primary` fetch is the subscription
sent to the subgraph; each event it yields is the data that fetch would have merged,
and the `rest` (entity fetches to other subgraphs) runs on it before the event is
shaped for the client. Events are completed one at a time, in order.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from planner.query_plan import QueryPlan
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

__all__ = ["completed_events"]


async def completed_events(
    listener: Listener,
    node: Subscription,
    *,
    variables: Mapping[str, Any],
    client: SubgraphClient,
    schema: GraphQLSchema,
    shaper: ResponseShaper,
    post: Post,
    unbatched: frozenset[str],
    on_close: Callable[[], None],
) -> AsyncGenerator[dict[str, Any], None]:
    """Each event of `listener` as the client's response body; an ending with errors
    is one last body with only `errors`. `on_close` runs when the stream ends or its
    consumer stops reading (`aclose()`)."""
    primary = node.primary
    types = type_conditions_for(schema)
    rest = QueryPlan(node.rest) if node.rest is not None else None
    try:
        async for item in listener.events():
            if isinstance(item, End):
                if item.errors:
                    yield {"errors": list(item.errors)}
                return
            data = item.get("data")
            errors = root_errors(item.get("errors"), primary.service_name, [])
            if not isinstance(data, dict):
                yield shaper.shape(None, errors, variables)
                continue
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
            yield shaper.shape(data, errors, variables)
    finally:
        on_close()
