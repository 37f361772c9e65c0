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
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from graphql import GraphQLSchema

from planner.query_plan import (
    Condition,
    Defer,
    DeferredBlock,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    Sequence,
    Subscription,
    fetches_in,
)
from router.execution.batch_assembly import Batch
from router.execution.client_aliases import client_names, name_error_paths
from router.execution.codes import (
    INTERNAL_SERVER_ERROR,
    SUBREQUEST_HTTP_ERROR,
    SUBREQUEST_MALFORMED_RESPONSE,
)
from router.execution.entity_batch import (
    batch_operation,
    batchable,
    batched_services,
)
from router.execution.fetch_cache import CachedEntities, FetchCache
from router.execution.incremental import DeferredPart, IncrementalDelivery
from router.execution.merge import deep_merge_each
from router.execution.paths import CursorEntry, Cursors, descend, to_list
from router.execution.representations import collect_representations
from router.execution.rewrites import apply_rewrites
from router.execution.spread_nulls import mend_entities, mend_root
from router.execution.subgraph_client import (
    SubgraphClient,
    SubgraphRequestError,
    SubgraphResponse,
)
from router.execution.subgraph_errors import (
    client_error,
    entity_errors,
    entity_index,
    root_errors,
)
from router.execution.type_conditions import (
    FRAGMENT_PREFIX,
    TypeConditions,
    type_conditions_for,
)

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
    batch_entity_fetches: bool = True,
    unbatched: frozenset[str] = frozenset(),
    data: dict[str, Any] | None = None,
    incremental: IncrementalDelivery | None = None,
    cache: FetchCache | None = None,
) -> ExecutionResult:
    """Executes ``plan``; ``variables`` are the coerced client variables (defaults
    applied), ``schema`` the full supergraph schema (``Supergraph.schema``: keys and
    requires may use ``@inaccessible`` types), ``headers_for(subgraph)`` the extra headers
    of each subgraph request; ``post`` (default ``client.post``) sends each subgraph
    request, so the subgraph stage's plugin hooks can wrap it.

    With ``batch_entity_fetches``, entity fetches to one subgraph that become ready in
    the same event-loop step go out as one request (``entity_batch``), except for the
    subgraphs named in ``unbatched``. With a ``cache`` (the entity cache), root query
    fetches it holds are not sent, and entity fetches send only the representations
    it does not hold.

    ``data`` is the tree to start from (a subscription event, which the plan's rest
    completes); by default an empty one.

    Without ``incremental``, a ``Defer`` node's deferred blocks run after its primary
    block and everything arrives in one tree. With it, each deferred block starts as
    its own part (``router.execution.incremental``) once the primary fetches it depends
    on have merged, and this returns when the primary part is complete: the deferred
    parts keep filling the same tree, each recording its errors in its own part."""
    if data is None:
        data = {}
    root: list[CursorEntry] = [(data, None)]
    run = _Run(
        variables,
        client,
        Cursors(root, type_conditions_for(schema)),
        headers_for,
        post,
        batched_services(plan) - unbatched if batch_entity_fetches else frozenset(),
        incremental,
        cache,
    )
    if plan.node is not None:
        await run.node(plan.node, root, ())
    if plan.client_aliases:
        # The tree keeps the fetched names (the shapers read them); errors show the
        # client's. A deferred part's errors are named when it is sent.
        name_error_paths(run.errors, client_names(plan.client_aliases))
    return ExecutionResult(data, run.errors)


# What a subgraph request ended in: its response, or why there is none.
_Outcome = SubgraphResponse | SubgraphRequestError


class _Run:
    """The state of one plan execution: inputs, the errors recorded so far, and the
    entity batches being filled."""

    __slots__ = (
        "batched",
        "cache",
        "client",
        "cursors",
        "data",
        "errors",
        "filling",
        "headers_for",
        "incremental",
        "part",
        "post",
        "signals",
        "types",
        "variables",
    )

    def __init__(
        self,
        variables: Mapping[str, Any],
        client: SubgraphClient,
        cursors: Cursors,
        headers_for: HeadersFor | None,
        post: Post | None = None,
        batched: frozenset[str] = frozenset(),
        incremental: IncrementalDelivery | None = None,
        cache: FetchCache | None = None,
    ) -> None:
        self.variables = variables
        self.cache = cache
        self.client = client
        self.post: Post = post if post is not None else client.post
        self.cursors = cursors
        self.data: dict[str, Any] = cursors.root[0][0]
        self.types: TypeConditions = cursors.types
        self.headers_for = headers_for
        self.errors: list[dict[str, Any]] = []
        # Subgraphs whose entity fetches may be batched, and the batch each is filling.
        self.batched = batched
        self.filling: dict[str, Batch] = {}
        # Incremental delivery: the parts, the part this run fills (None: the primary),
        # and, by fetch id, what a deferred block waits on (set once that fetch merged).
        self.incremental = incremental
        self.part: DeferredPart | None = None
        self.signals: dict[str, asyncio.Event] = {}

    def _for_part(self, part: DeferredPart) -> _Run:
        """A run sharing this one's tree, cursors, batches and signals, whose errors
        go to ``part``."""
        run = _Run.__new__(_Run)
        for name in _Run.__slots__:
            setattr(run, name, getattr(self, name))
        run.part = part
        run.errors = part.errors
        return run

    async def node(
        self, node: PlanNode, entries: list[CursorEntry], pattern: tuple[str, ...]
    ) -> None:
        """Runs ``node`` on the objects ``entries``, reached by the Flatten ``pattern``."""
        if isinstance(node, Fetch):
            await self.fetch(node, entries, pattern)
        elif isinstance(node, Flatten):
            moved = (
                self.cursors.descend(node.path)
                if entries is self.cursors.root
                else descend(entries, node.path, self.types)
            )
            if moved:
                inner = node.node
                path = (*pattern, *node.path) if pattern else node.path
                if type(inner) is Fetch:  # nearly always: one coroutine fewer
                    await self.fetch(inner, moved, path)
                else:
                    await self.node(inner, moved, path)
        elif isinstance(node, Sequence):
            for child in node.nodes:
                await self.node(child, entries, pattern)
        elif isinstance(node, Parallel):
            await self._parallel(node.nodes, entries, pattern)
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
            if self.incremental is not None:
                await self._defer(node, entries, pattern, self.incremental)
                return
            # One merged response: the deferred blocks after the primary one.
            if node.primary.node is not None:
                await self.node(node.primary.node, entries, pattern)
            for block in node.deferred:
                if block.node is not None:
                    await self.node(block.node, entries, pattern)
        elif isinstance(node, Subscription):
            await self.fetch(node.primary, entries, pattern)
            if node.rest is not None:
                await self.node(node.rest, entries, pattern)

    async def _parallel(
        self,
        nodes: tuple[PlanNode, ...],
        entries: list[CursorEntry],
        pattern: tuple[str, ...],
    ) -> None:
        """The children as tasks, awaited in order: what ``asyncio.gather`` does here
        without its per-child futures and callbacks (a few percent of the benchmark
        query's CPU). The tasks are created in plan order, so every child starts in
        the next event-loop step, in that order, as under ``gather``: entity batches
        get the same members in the same order. If this is cancelled or a child
        fails, the children still running are cancelled."""
        create_task = asyncio.get_running_loop().create_task
        tasks = [create_task(self.node(child, entries, pattern)) for child in nodes]
        try:
            for task in tasks:
                await task
        except BaseException:
            for task in tasks:
                if not task.done():
                    task.cancel()
                elif not task.cancelled():
                    task.exception()  # retrieved: asyncio would log it as lost
            raise

    async def _defer(
        self,
        node: Defer,
        entries: list[CursorEntry],
        pattern: tuple[str, ...],
        delivery: IncrementalDelivery,
    ) -> None:
        """Starts each deferred block as a part, then runs the primary block; returns
        when the primary block is done (the parts go on)."""
        primary_done = asyncio.Event()
        # Blocks nested deeper may wait for fetches of this primary block too: their
        # signals must exist before those fetches run.
        for dependency in _dependencies(node):
            self.signals.setdefault(dependency, asyncio.Event())
        for block in node.deferred:
            events = [self.signals[dependency.id] for dependency in block.depends]
            delivery.start(
                block,
                self.part,
                partial(
                    self._deferred,
                    block=block,
                    entries=entries,
                    pattern=pattern,
                    inputs=events or [primary_done],
                ),
            )
        try:
            if node.primary.node is not None:
                await self.node(node.primary.node, entries, pattern)
        finally:
            # A fetch that never ran (nothing reached its path) never signalled.
            primary_done.set()
            for fetch in fetches_in(node.primary.node):
                event = self.signals.get(str(fetch.id))
                if event is not None:
                    event.set()

    async def _deferred(
        self,
        part: DeferredPart,
        block: DeferredBlock,
        entries: list[CursorEntry],
        pattern: tuple[str, ...],
        inputs: list[asyncio.Event],
    ) -> None:
        """One deferred part: waits for its inputs, then runs its block's plan."""
        for event in inputs:
            await event.wait()
        if block.node is not None:
            await self._for_part(part).node(block.node, entries, pattern)

    def fetch(
        self, fetch: Fetch, entries: list[CursorEntry], pattern: tuple[str, ...]
    ) -> Coroutine[Any, Any, None]:
        """The root or entity fetch's coroutine (returned, not wrapped in another)."""
        used = (
            {
                name: self.variables[name]
                for name in fetch.variable_usages
                if name in self.variables
            }
            if fetch.variable_usages
            else {}
        )
        if fetch.requires is None:
            work = self._root_fetch(fetch, entries, pattern, used)
        else:
            work = self._entity_fetch(fetch, entries, pattern, used)
        if self.signals and fetch.id is not None:
            event = self.signals.get(str(fetch.id))
            if event is not None:
                return _signalling(work, event)
        return work

    async def _root_fetch(
        self,
        fetch: Fetch,
        entries: list[CursorEntry],
        pattern: tuple[str, ...],
        variables: dict[str, Any],
    ) -> None:
        cache = self.cache if fetch.operation_kind == "query" else None
        lookup = None if cache is None else await cache.root(fetch, variables)
        body: dict[str, Any] | None
        if lookup is not None and lookup.data is not None:
            body = {"data": lookup.data}
        else:
            outcome = await self._post(fetch, variables)
            body = self._receive(fetch, outcome, pattern)
            if body is None:
                return
            assert not isinstance(outcome, SubgraphRequestError)
            if "errors" in body and 200 <= outcome.status < 300:
                body = await mend_root(
                    fetch, variables, body, self.types.schema, self._resend
                )
            if lookup is not None and cache is not None and 200 <= outcome.status < 300:
                await cache.keep_root(fetch, lookup, outcome.headers, body)
            elif self.cache is not None:
                self.cache.answered(fetch.service_name, outcome.headers)
        raw_errors = body.get("errors")
        if raw_errors:
            prefix = (
                to_list(entries[0][1]) if len(entries) == 1 else _list_free(pattern)
            )
            self.errors.extend(
                root_errors(
                    raw_errors, fetch.service_name, prefix, fetch.output_rewrites
                )
            )
        data = body.get("data")
        if type(data) is not dict:
            return
        if fetch.output_rewrites:
            apply_rewrites(fetch.output_rewrites, data, self.types)
        deep_merge_each(entries, data)
        self.cursors.merged(pattern, data, "__typename" in data)

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
        # Shared by the fetches at one remembered cursor that require the same fields
        # (products and inventory both want `__typename upc`), until a merge reaches
        # those objects.
        found = collect_representations(
            entries,
            fetch.requires,
            fetch.input_rewrites,
            self.types,
            self.cursors.derived(pattern, entries),
            self.variables,
        )
        if not found.items:
            return
        # Joined before the cache lookup, which may await Redis: the fetches that
        # start together share one request however long each one's lookup takes.
        batch = (
            self._join(service)
            if service in self.batched and batchable(fetch)
            else None
        )
        try:
            lookup = (
                None
                if self.cache is None
                else await self.cache.entities(fetch, found.items, variables)
            )
        except BaseException:
            if batch is not None:
                batch.withdraw()
            raise
        body: dict[str, Any] | None
        if lookup is not None and not lookup.missing:
            if batch is not None:
                batch.withdraw()
            body = {"data": {"_entities": lookup.hits}}
        else:
            items = (
                found.items
                if lookup is None
                else [found.items[i] for i in lookup.missing]
            )
            sent = {**variables, "representations": items}
            if batch is not None:
                outcome = await batch.submit((fetch, sent), self._send_batch)
            else:
                outcome = await self._post(fetch, sent)
            body = self._receive(fetch, outcome, pattern)
            if body is None:
                return
            assert not isinstance(outcome, SubgraphRequestError)
            if "errors" in body and 200 <= outcome.status < 300:
                body = await mend_entities(
                    fetch, variables, items, body, self.types.schema, self._resend
                )
            if self.cache is not None:
                if lookup is not None and 200 <= outcome.status < 300:
                    await self.cache.keep_entities(fetch, lookup, outcome.headers, body)
                else:
                    self.cache.answered(service, outcome.headers)
                if lookup is not None:
                    body = _with_cached(body, lookup)
        raw_errors = body.get("errors")
        if raw_errors:
            self.errors.extend(
                entity_errors(
                    raw_errors,
                    service,
                    found.positions,
                    _list_free(pattern),
                    fetch.output_rewrites,
                )
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
                    _list_free(pattern),
                )
            )
            return
        merged: set[str] = set()
        retyped = bool(fetch.output_rewrites)
        failed = {
            index
            for raw in (raw_errors if type(raw_errors) is list else ())
            if (index := entity_index(raw)) is not None
        }
        for index, (entity, positions) in enumerate(
            zip(entities, found.positions, strict=True)
        ):
            if type(entity) is not dict:
                if entity is None and index in failed:
                    self._null_untyped(positions)
                continue
            # An @interfaceObject subgraph answers with the interface's name, which must
            # not replace a runtime type already known; but an object that came from
            # such a subgraph learns its runtime type from the interface's own subgraph.
            stored = positions[0][0].get("__typename")
            returned = entity.get("__typename")
            if returned != stored:
                if type(returned) is str and self.types.is_object(returned):
                    retyped = True
                else:
                    entity["__typename"] = stored
            if fetch.output_rewrites:
                apply_rewrites(fetch.output_rewrites, entity, self.types)
            merged.update(entity)
            deep_merge_each(positions, entity)
        # Every position of one representation has the same __typename, so only an
        # output rewrite or a runtime type learnt here can change one.
        self.cursors.merged(pattern, merged, retyped)

    def _null_untyped(self, positions: list[CursorEntry]) -> None:
        """An entity the subgraph nulled for an error, at positions whose runtime type
        is still unknown (only an @interfaceObject answered for it so far): shaping
        could not tell which of the client's fragments apply, so the object is null
        where it stands, as the subgraph's own answer says; nulls then propagate."""
        for obj, node in positions:
            typename = obj.get("__typename")
            if node is None or (
                type(typename) is str and self.types.is_object(typename)
            ):
                continue
            *steps, last = to_list(node)
            container: Any = self.data
            try:
                for step in steps:
                    container = container[step]
                if container[last] is obj:
                    container[last] = None
            except (KeyError, IndexError, TypeError):
                continue

    async def _post(self, fetch: Fetch, variables: dict[str, Any]) -> _Outcome:
        """Sends ``fetch`` on its own."""
        payload: dict[str, Any] = {"query": fetch.operation, "variables": variables}
        if fetch.operation_name:
            payload["operationName"] = fetch.operation_name
        return await self._request(fetch.service_name, payload)

    async def _resend(
        self, fetch: Fetch, variables: dict[str, Any]
    ) -> dict[str, Any] | None:
        """A fetch sent again to take back what a spread null lost (``spread_nulls``):
        its body, or None when it failed (the first answer then stands)."""
        outcome = await self._post(fetch, variables)
        if isinstance(outcome, SubgraphRequestError) or not 200 <= outcome.status < 300:
            return None
        return outcome.body

    async def _request(self, service: str, payload: dict[str, Any]) -> _Outcome:
        headers = self.headers_for(service) if self.headers_for else None
        try:
            return await self.post(service, payload, headers)
        except SubgraphRequestError as error:
            return error

    def _join(self, service: str) -> Batch:
        """The batch of entity fetches to ``service`` starting in this event-loop
        step, joined (``batch_assembly``): it closes when the step ends, so every
        fetch ready in this step (the members of a plan stage, siblings of a Parallel,
        or fetches that a batch's answer has just released) is in it. Members are
        kept in the order they submit, which the plan's shape fixes for fetches that
        do not wait on the entity cache, so the same readiness gives the same request
        text."""
        batch = self.filling.get(service)
        if batch is None:
            batch = self.filling[service] = Batch()
            asyncio.get_running_loop().call_soon(self._close, service, batch)
        batch.join()
        return batch

    def _close(self, service: str, batch: Batch) -> None:
        if self.filling.get(service) is batch:
            del self.filling[service]
        batch.close()

    async def _send_batch(
        self, members: list[tuple[Fetch, dict[str, Any]]]
    ) -> list[_Outcome]:
        """Each member's outcome: one member is sent alone, more as one request."""
        if len(members) == 1:
            fetch, sent = members[0]
            return [await self._post(fetch, sent)]
        return await self._post_batch(members)

    async def _post_batch(
        self, batch: list[tuple[Fetch, dict[str, Any]]]
    ) -> list[_Outcome]:
        """Each member's outcome of one combined request.

        A failed request fails every member with the same error. A 2xx answer without
        ``data`` is asked again member by member: ``_entities`` is non-null, so one
        member's failure nulls every member's data, where alone only it would fail (and
        a subgraph may refuse the combined operation, e.g. over a cost limit).
        """
        operation = batch_operation([fetch for fetch, _ in batch])
        outcome = await self._request(
            batch[0][0].service_name, operation.payload([sent for _, sent in batch])
        )
        if isinstance(outcome, SubgraphRequestError):
            return [outcome] * len(batch)
        if type(outcome.body.get("data")) is not dict and 200 <= outcome.status < 300:
            return list(
                await asyncio.gather(*(self._post(f, sent) for f, sent in batch))
            )
        return [
            SubgraphResponse(outcome.status, outcome.headers, body)
            for body in operation.split(outcome.body)
        ]

    def _receive(
        self, fetch: Fetch, outcome: _Outcome, pattern: tuple[str, ...]
    ) -> dict[str, Any] | None:
        """The subgraph's response body, or None after recording why there is none."""
        service = fetch.service_name
        if isinstance(outcome, SubgraphRequestError):
            extensions = (
                {} if outcome.status is None else {"http": {"status": outcome.status}}
            )
            self.errors.append(
                client_error(
                    outcome.message,
                    outcome.code,
                    service,
                    _list_free(pattern),
                    **extensions,
                )
            )
            return None
        if not 200 <= outcome.status < 300:
            # A GraphQL body with an error status: keep its data and errors, and say
            # what the status was (Apollo Router does the same).
            self.errors.append(
                client_error(
                    f"HTTP fetch failed from '{service}': status {outcome.status}",
                    SUBREQUEST_HTTP_ERROR,
                    service,
                    _list_free(pattern),
                    http={"status": outcome.status},
                )
            )
        return outcome.body


def _dependencies(node: Defer) -> list[str]:
    """The fetch ids the deferred blocks under ``node`` wait for, nested ones too."""
    ids: list[str] = []
    for block in node.deferred:
        ids += (dependency.id for dependency in block.depends)
        if isinstance(block.node, Defer):
            ids += _dependencies(block.node)
    return ids


async def _signalling(work: Coroutine[Any, Any, None], merged: asyncio.Event) -> None:
    """Runs a fetch a deferred block depends on, then lets the block start."""
    try:
        await work
    finally:
        merged.set()


def _with_cached(body: dict[str, Any], lookup: CachedEntities) -> dict[str, Any]:
    """The body the subgraph would have sent for every representation: its errors'
    `_entities` indexes moved to the representations they are about, and its answers
    for the missing ones put among the cached. A malformed answer keeps its data as it
    is (and is reported as such)."""
    result: dict[str, Any] = dict(body)
    errors = body.get("errors")
    if type(errors) is list:
        moved: list[Any] = []
        for error in errors:
            path = error.get("path") if type(error) is dict else None
            if (
                type(path) is list
                and len(path) >= 2
                and path[0] == "_entities"
                and type(path[1]) is int
                and 0 <= path[1] < len(lookup.missing)
            ):
                error = {**error, "path": [path[0], lookup.missing[path[1]], *path[2:]]}
            moved.append(error)
        result["errors"] = moved
    data = body.get("data")
    if type(data) is not dict:
        return result
    entities = data.get("_entities")
    if type(entities) is list and len(entities) == len(lookup.missing):
        merged = list(lookup.hits)
        for index, entity in zip(lookup.missing, entities, strict=True):
            merged[index] = entity
        result["data"] = {**data, "_entities": merged}
    return result


def _list_free(pattern: tuple[str, ...]) -> list[str | int]:
    """The client path of a Flatten pattern's nearest non-list ancestor.

    ``topProducts.@.reviews`` gives ``["topProducts"]``: one error for the whole list
    rather than one per item, at a path a client can resolve.
    """
    path: list[str | int] = []
    for step in pattern:
        if step == "@":
            break
        if not step.startswith(FRAGMENT_PREFIX):
            path.append(step)
    return path
