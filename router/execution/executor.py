"""Runs a query plan against the subgraphs and builds the unshaped response tree.

QUERY_PLANNING.md §4.1-4.5. One mutable tree (``data``) is filled by the plan's fetches;
a cursor (the objects a node works on, with their paths) moves down ``Flatten`` paths.
Every fetch fails on its own: a subgraph that is down, slow or wrong records one coded
error and the rest of the plan still runs, so the client gets partial data. Nothing a
subgraph sends makes this module raise.

Shaping (``router.execution.shaping``) then projects the tree onto the client operation.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLSchema

from planner.query_plan import (
    Condition,
    Defer,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    Sequence,
    Subscription,
)
from router.execution.codes import (
    INTERNAL_SERVER_ERROR,
    SUBREQUEST_HTTP_ERROR,
    SUBREQUEST_MALFORMED_RESPONSE,
)
from router.execution.merge import deep_merge
from router.execution.paths import CursorEntry, descend, to_list
from router.execution.representations import collect_representations
from router.execution.rewrites import apply_rewrites
from router.execution.subgraph_client import (
    SubgraphClient,
    SubgraphRequestError,
    SubgraphResponse,
)
from router.execution.subgraph_errors import client_error, entity_errors, root_errors
from router.execution.type_conditions import TypeConditions, type_conditions_for

__all__ = ["ExecutionResult", "execute_plan"]

HeadersFor = Callable[[str], Mapping[str, str]]
# (subgraph, payload, headers) -> response; what runs the subgraph stage's hooks.
Post = Callable[
    [str, dict[str, Any], Mapping[str, str] | None], Awaitable[SubgraphResponse]
]


@dataclass(slots=True)
class ExecutionResult:
    """The unshaped tree and the errors met on the way (already client-shaped errors)."""

    data: dict[str, Any] | None
    errors: list[dict[str, Any]] = field(default_factory=list)


async def execute_plan(
    plan: QueryPlan,
    *,
    variables: Mapping[str, Any],
    client: SubgraphClient,
    schema: GraphQLSchema,
    headers_for: HeadersFor | None = None,
    post: Post | None = None,
) -> ExecutionResult:
    """Executes ``plan``; ``variables`` are the coerced client variables (defaults
    applied), ``schema`` the full supergraph schema (``Supergraph.schema``: keys and
    requires may use ``@inaccessible`` types), ``headers_for(subgraph)`` the extra headers
    of each subgraph request; ``post`` (default ``client.post``) sends each fetch, so the
    subgraph stage's plugin hooks can wrap it."""
    run = _Run(variables, client, type_conditions_for(schema), headers_for, post)
    data: dict[str, Any] = {}
    if plan.node is not None:
        await run.node(plan.node, [(data, None)], ())
    return ExecutionResult(data, run.errors)


class _Run:
    """The state of one plan execution: inputs, and the errors recorded so far."""

    __slots__ = ("client", "errors", "headers_for", "post", "types", "variables")

    def __init__(
        self,
        variables: Mapping[str, Any],
        client: SubgraphClient,
        types: TypeConditions,
        headers_for: HeadersFor | None,
        post: Post | None = None,
    ) -> None:
        self.variables = variables
        self.client = client
        self.post: Post = post if post is not None else client.post
        self.types = types
        self.headers_for = headers_for
        self.errors: list[dict[str, Any]] = []

    async def node(
        self, node: PlanNode, entries: list[CursorEntry], pattern: tuple[str, ...]
    ) -> None:
        """Runs ``node`` on the objects ``entries``, reached by the Flatten ``pattern``."""
        if isinstance(node, Fetch):
            await self.fetch(node, entries, pattern)
        elif isinstance(node, Flatten):
            moved = descend(entries, node.path, self.types)
            if moved:
                await self.node(node.node, moved, (*pattern, *node.path))
        elif isinstance(node, Sequence):
            for child in node.nodes:
                await self.node(child, entries, pattern)
        elif isinstance(node, Parallel):
            await asyncio.gather(
                *(self.node(child, entries, pattern) for child in node.nodes)
            )
        elif isinstance(node, Condition):
            # Coerced variables hold the operation's defaults; a variable still missing
            # counts as true, as in Apollo Router.
            branch = (
                node.if_clause
                if self.variables.get(node.condition, True) is True
                else node.else_clause
            )
            if branch is not None:
                await self.node(branch, entries, pattern)
        elif isinstance(node, Defer):
            # PORT_NOTE: no incremental delivery yet: deferred parts run after the primary
            # and arrive in the same response, which a client asking @defer accepts.
            if node.primary.node is not None:
                await self.node(node.primary.node, entries, pattern)
            for block in node.deferred:
                if block.node is not None:
                    await self.node(block.node, entries, pattern)
        elif isinstance(node, Subscription):
            await self.fetch(node.primary, entries, pattern)
            if node.rest is not None:
                await self.node(node.rest, entries, pattern)

    async def fetch(
        self, fetch: Fetch, entries: list[CursorEntry], pattern: tuple[str, ...]
    ) -> None:
        used = {
            name: self.variables[name]
            for name in fetch.variable_usages
            if name in self.variables
        }
        if fetch.requires is None:
            await self._root_fetch(fetch, entries, pattern, used)
        else:
            await self._entity_fetch(fetch, entries, pattern, used)

    async def _root_fetch(
        self,
        fetch: Fetch,
        entries: list[CursorEntry],
        pattern: tuple[str, ...],
        variables: dict[str, Any],
    ) -> None:
        body = await self._send(fetch, variables, pattern)
        if body is None:
            return
        prefix = to_list(entries[0][1]) if len(entries) == 1 else _list_free(pattern)
        self.errors.extend(root_errors(body.get("errors"), fetch.service_name, prefix))
        data = body.get("data")
        if type(data) is not dict:
            return
        if fetch.output_rewrites:
            apply_rewrites(fetch.output_rewrites, data, self.types)
        for obj, _ in entries:
            deep_merge(obj, data)

    async def _entity_fetch(
        self,
        fetch: Fetch,
        entries: list[CursorEntry],
        pattern: tuple[str, ...],
        variables: dict[str, Any],
    ) -> None:
        assert fetch.requires is not None
        service = fetch.service_name
        if "representations" in variables:
            self.errors.append(
                client_error(
                    'Variables cannot contain key "representations"',
                    INTERNAL_SERVER_ERROR,
                    service,
                    _list_free(pattern),
                )
            )
            return
        found = collect_representations(
            entries, fetch.requires, fetch.input_rewrites, self.types
        )
        if not found.items:
            return
        body = await self._send(
            fetch, {**variables, "representations": found.items}, pattern
        )
        if body is None:
            return
        fallback = _list_free(pattern)
        self.errors.extend(
            entity_errors(body.get("errors"), service, found.positions, fallback)
        )
        data = body.get("data")
        if data is None:
            return
        entities = data.get("_entities")
        if type(entities) is not list or len(entities) != len(found.items):
            got = (
                f"{len(entities)} items"
                if type(entities) is list
                else "no `_entities` list"
            )
            self.errors.append(
                client_error(
                    f"Subgraph response from '{service}' was malformed: expected "
                    f"{len(found.items)} items in `data._entities`, got {got}",
                    SUBREQUEST_MALFORMED_RESPONSE,
                    service,
                    fallback,
                )
            )
            return
        for entity, positions in zip(entities, found.positions, strict=True):
            if type(entity) is not dict:
                continue
            # The stored __typename is the runtime type; an @interfaceObject subgraph
            # answers with the interface's name, which must not replace it.
            entity["__typename"] = positions[0][0].get("__typename")
            if fetch.output_rewrites:
                apply_rewrites(fetch.output_rewrites, entity, self.types)
            for obj, _ in positions:
                deep_merge(obj, entity)

    async def _send(
        self, fetch: Fetch, variables: dict[str, Any], pattern: tuple[str, ...]
    ) -> dict[str, Any] | None:
        """The subgraph's response body, or None after recording why there is none."""
        payload: dict[str, Any] = {"query": fetch.operation, "variables": variables}
        if fetch.operation_name:
            payload["operationName"] = fetch.operation_name
        headers = self.headers_for(fetch.service_name) if self.headers_for else None
        service = fetch.service_name
        try:
            response = await self.post(service, payload, headers)
        except SubgraphRequestError as error:
            extensions = (
                {} if error.status is None else {"http": {"status": error.status}}
            )
            self.errors.append(
                client_error(
                    error.message,
                    error.code,
                    service,
                    _list_free(pattern),
                    **extensions,
                )
            )
            return None
        if not 200 <= response.status < 300:
            # A GraphQL body with an error status: keep its data and errors, and say
            # what the status was (Apollo Router does the same).
            self.errors.append(
                client_error(
                    f"HTTP fetch failed from '{service}': status {response.status}",
                    SUBREQUEST_HTTP_ERROR,
                    service,
                    _list_free(pattern),
                    http={"status": response.status},
                )
            )
        return response.body


def _list_free(pattern: tuple[str, ...]) -> list[str | int]:
    """The client path of a Flatten pattern's nearest non-list ancestor.

    ``topProducts.@.reviews`` gives ``["topProducts"]``: one error for the whole list
    rather than one per item, at a path a client can resolve.
    """
    path: list[str | int] = []
    for step in pattern:
        if step == "@":
            break
        if not step.startswith("... on "):
            path.append(step)
    return path
