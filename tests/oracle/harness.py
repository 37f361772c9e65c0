"""Our router and the monolith side by side, over a world served by ``oracle.server``.

``OracleServer.start()`` runs the subgraph server process; ``check_world`` composes a
world with our composer, serves it, builds a router generation for it in this process
(the router's own pipeline: parse, validate, plan, execute over real HTTP, shape) and
compares each operation's answer with the monolith's. A disagreement is:

- ``data``: the data differ (or one side has none);
- ``order``: same data, fields in another order than the client selected them;
- ``errors``: errors at other paths than the monolith's (below a value that became
  null, only whether there is an error counts);
- ``fetch``: a subgraph got a request that is invalid in its own schema, or one that
  asked it for something it cannot answer (``oracle.subgraph_schema``), even when the
  answer came out right;
- ``streamed``: an operation with ``@defer``, asked again as a multipart client asks
  it (its deferred parts streamed while later fetches still run), whose payloads,
  merged as a client merges them, differ from the monolith's answer in data or error
  paths (field order aside: a client merges each part at the end of its object).
  The truth there is the monolith's answer as the incremental delivery spec delivers
  it (``oracle.incremental``): a failing non-null field in a deferred fragment nulls
  only that fragment's payload, where the monolith nulls further up; a failure
  outside deferred fragments nulls as it does in one response.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from graphql import parse, print_ast, validate
from support.incremental import merge_parts
from support.processes import Service

from oracle.incremental import nullable_schema, streamed_truth, with_typenames
from oracle.monolith import Monolith
from oracle.server import world_interfaces
from oracle.world import World
from planner.composition import SubgraphInput, compose
from planner.supergraph import Supergraph, load_supergraph
from planner.supergraph.api_schema import with_defer

__all__ = [
    "CheckedOperation",
    "Disagreement",
    "OracleServer",
    "RouterUnderTest",
    "WorldRejected",
    "check_world",
    "compare",
]

TESTS_DIR = Path(__file__).resolve().parents[1]
_MULTIPART = "multipart/mixed;deferSpec=20220824, application/json"


@dataclass(frozen=True)
class CheckedOperation:
    query: str
    variables: Mapping[str, Any] = field(default_factory=dict)
    operation_name: str | None = None
    # Already validated against the world's API schema by its generator: the harness
    # does not validate it a second time (a third of a campaign's time was validation).
    validated: bool = False


@dataclass
class Disagreement:
    world: World
    operation: CheckedOperation
    kinds: tuple[str, ...]
    detail: str
    expected: Any
    got: Any
    fetches: list[Any] = field(default_factory=list)  # the violations
    requests: list[Any] = field(default_factory=list)  # every subgraph request

    def report(self, with_world: bool = True, with_requests: bool = False) -> str:
        lines = [
            f"disagreement ({', '.join(self.kinds)}) in world {self.world.name}",
            self.detail,
            "operation:",
            self.operation.query,
            f"variables: {json.dumps(self.operation.variables)}",
            f"monolith: {json.dumps(self.expected, sort_keys=False)}",
            f"router:   {json.dumps(self.got, sort_keys=False)}",
        ]
        for fetch in self.fetches[:5]:
            lines.append(f"bad fetch to {fetch['subgraph']}: {fetch['problems']}")
            lines.append(f"  {fetch['query']}")
        if with_requests:
            for request in self.requests:
                body = request["request"] or {}
                lines.append(f"request to {request['subgraph']}: {body.get('query')}")
                if body.get("variables"):
                    lines.append(f"  variables: {json.dumps(body['variables'])}")
                lines.append(f"  response: {json.dumps(request['response'])}")
        if with_world:
            lines.append(self.world.describe())
        return "\n".join(lines)


class WorldRejected(Exception):
    """Our composer refused the world."""


class OracleServer:
    """The subgraph server process (``python -m oracle.server``)."""

    def __init__(self) -> None:
        self._service = Service(
            [sys.executable, "-m", "oracle.server", "--port", "0"],
            r"serving (http://\S+)",
            cwd=TESTS_DIR,
        ).started()
        self.url = self._service.url

    def stderr(self) -> str:
        return self._service.stderr()[-4000:]

    def stop(self) -> None:
        self._service.stop()

    def subgraph_url(self, world: str, subgraph: str) -> str:
        return f"{self.url}/worlds/{world}/{subgraph}"


def compose_world(world: World, server_url: str) -> Supergraph:
    result = compose(
        [
            SubgraphInput(name, f"{server_url}/worlds/{world.name}/{name}", sdl)
            for name, sdl in world.subgraphs.items()
        ]
    )
    if not result.ok or result.supergraph_sdl is None:
        raise WorldRejected("\n".join(f"{e.code}: {e.message}" for e in result.errors))
    return load_supergraph(result.supergraph_sdl)


class RouterUnderTest:
    """A router generation for one supergraph, in this process."""

    def __init__(self, supergraph: Supergraph, extra_config: str = "") -> None:
        """``extra_config``: router.yaml lines added to the harness's own."""
        from router.config import parse_config
        from router.server.source import Source
        from router.server.state import build_generation

        config = parse_config("include_subgraph_errors:\n  all: true\n" + extra_config)
        self.generation = build_generation(
            Source(config, supergraph, "oracle world", ()), 1
        )

    async def run(self, operation: CheckedOperation) -> dict[str, Any]:
        from router.server.request import GraphQLRequest

        outcome = await self.generation.pipeline.run(
            GraphQLRequest(
                operation.query, operation.operation_name, dict(operation.variables)
            ),
            method="POST",
        )
        body: dict[str, Any] = outcome.body
        return body

    async def run_streamed(self, operation: CheckedOperation) -> dict[str, Any]:
        """``operation`` as a client accepting multipart ``@defer`` answers gets it,
        its payloads merged as that client merges them (``{"data", "errors"}``), or
        the one response when the router sent one (nothing deferred after all)."""
        from router.plugins.context import RequestContext
        from router.server.request import GraphQLRequest

        context = RequestContext(
            "POST",
            "/",
            {"content-type": "application/json", "accept": _MULTIPART},
            multipart_defer=True,
        )
        outcome = await self.generation.pipeline.run(
            GraphQLRequest(
                operation.query, operation.operation_name, dict(operation.variables)
            ),
            method="POST",
            context=context,
        )
        if outcome.subsequent is None:
            body: dict[str, Any] = outcome.body
            return body
        payloads = [outcome.body] + [payload async for payload in outcome.subsequent]
        try:
            return merge_parts(payloads)
        except (KeyError, IndexError, TypeError, ValueError) as error:
            # An item at a path the client never got: no client could merge it.
            return {"errors": [{"message": f"unmergeable payloads: {error!r}"}]}

    async def close(self) -> None:
        await self.generation.close()


def _diff(expected: Any, got: Any, path: str, out: list[str]) -> None:
    if len(out) >= 6:
        return
    if isinstance(expected, dict) and isinstance(got, dict):
        for key in expected.keys() | got.keys():
            if key not in got:
                out.append(
                    f"{path}.{key}: missing (monolith {json.dumps(expected[key])})"
                )
            elif key not in expected:
                out.append(f"{path}.{key}: unexpected {json.dumps(got[key])}")
            else:
                _diff(expected[key], got[key], f"{path}.{key}", out)
        return
    if (
        isinstance(expected, list)
        and isinstance(got, list)
        and len(expected) == len(got)
    ):
        for index, (a, b) in enumerate(zip(expected, got, strict=True)):
            _diff(a, b, f"{path}[{index}]", out)
        return
    numbers = (int, float)
    same_number = (
        isinstance(expected, numbers)
        and isinstance(got, numbers)
        and not isinstance(expected, bool)
        and not isinstance(got, bool)
    )
    if expected != got or (type(expected) is not type(got) and not same_number):
        out.append(f"{path}: monolith {json.dumps(expected)}, router {json.dumps(got)}")


def _order(value: Any) -> Any:
    """Keys in order, recursively (dict equality ignores order)."""
    if isinstance(value, dict):
        return [(k, _order(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_order(v) for v in value]
    return value


def _visible_error_paths(body: Mapping[str, Any], data: Any) -> set[str]:
    """Paths of the errors whose parent object is in ``data``.

    An error below a value that became null (a non-null field failed further up, or an
    earlier sibling's failure nulled the list) may or may not be reported: a monolith
    reports what it happened to execute before the null, a federated plan what its
    fetches returned (one error per copy of a deduplicated entity). Such errors only
    count as "some error"."""
    visible = set()
    for error in body.get("errors") or ():
        path = error.get("path")
        if not path:
            visible.add(json.dumps(path))
            continue
        parent: Any = data
        for step in path[:-1]:
            if isinstance(parent, dict) and isinstance(step, str):
                parent = parent.get(step)
            elif (
                isinstance(parent, list)
                and isinstance(step, int)
                and step < len(parent)
            ):
                parent = parent[step]
            else:
                parent = None
            if parent is None:
                break
        if parent is not None:
            visible.add(json.dumps(path))
    return visible


def compare(
    expected: Mapping[str, Any], got: Mapping[str, Any]
) -> tuple[list[str], str]:
    """The kinds of disagreement between the monolith's answer and ours, and a summary."""
    kinds: list[str] = []
    notes: list[str] = []
    if "data" not in got or (got.get("data") is None) != (expected.get("data") is None):
        kinds.append("data")
        notes.append("router errors: " + json.dumps(got.get("errors"))[:600])
    elif expected.get("data") != got.get("data"):
        kinds.append("data")
        diffs: list[str] = []
        _diff(expected.get("data"), got.get("data"), "data", diffs)
        notes.extend(diffs)
    elif _order(expected.get("data")) != _order(got.get("data")):
        kinds.append("order")
        notes.append("fields come back in another order")
    data = expected.get("data")
    ours = _visible_error_paths(got, data)
    theirs = _visible_error_paths(expected, data)
    if not kinds and (
        ours != theirs or bool(got.get("errors")) != bool(expected.get("errors"))
    ):
        kinds.append("errors")
        notes.append(f"error paths: monolith {sorted(theirs)}, router {sorted(ours)}")
    return kinds, "\n".join(notes)


def _streamed_truth(
    raw_monolith: Monolith, supergraph: Supergraph, operation: CheckedOperation
) -> dict[str, Any]:
    """What a multipart client must hold after ``operation`` (``oracle.incremental``)."""
    document = parse(operation.query)
    raw = raw_monolith.execute(
        print_ast(with_typenames(document)),
        operation.variables,
        operation.operation_name,
    )
    return streamed_truth(supergraph.api_schema, document, operation.variables, raw)


@dataclass
class WorldReport:
    world: World
    operations: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)


async def check_world(
    session: aiohttp.ClientSession,
    server: OracleServer,
    world: World,
    operations: Iterable[CheckedOperation],
    *,
    supergraph: Supergraph | None = None,
) -> WorldReport:
    """Serves ``world``, runs every operation through our router and the monolith."""
    if supergraph is None:
        supergraph = compose_world(world, server.url)
    async with session.put(
        f"{server.url}/worlds/{world.name}", data=world.dumps()
    ) as r:
        if r.status != 200:
            raise RuntimeError(
                f"the server refused world {world.name}: {await r.text()}"
            )
    monolith = Monolith(
        world, supergraph.api_schema, supergraph.schema, world_interfaces(world)
    )
    router = RouterUnderTest(supergraph)
    # The router's API schema under its default `defer_support: true`.
    client_schema = with_defer(supergraph.api_schema)
    report = WorldReport(world)
    raw_monolith: Monolith | None = None  # its raw answers, for deferred operations
    try:
        for operation in operations:
            problems = (
                []
                if operation.validated
                else validate(client_schema, parse(operation.query))
            )
            if problems:
                raise ValueError(
                    f"operation invalid in world {world.name}'s API schema: "
                    f"{[p.message for p in problems]}\n{operation.query}"
                )
            report.operations += 1
            expected = monolith.execute(
                operation.query, operation.variables, operation.operation_name
            )
            got = await router.run(operation)
            kinds, detail = compare(expected, got)
            if not kinds and "@defer" in operation.query:
                if raw_monolith is None:
                    raw_monolith = Monolith(
                        world,
                        nullable_schema(supergraph.api_schema),
                        supergraph.schema,
                        world_interfaces(world),
                    )
                streamed = await router.run_streamed(operation)
                truth = _streamed_truth(raw_monolith, supergraph, operation)
                streamed_kinds, streamed_detail = compare(truth, streamed)
                if set(streamed_kinds) - {"order"}:
                    kinds.append("streamed")
                    detail = (
                        "as streamed (monolith: the spec's view)\n" + streamed_detail
                    )
                    expected, got = truth, streamed
            async with session.get(f"{server.url}/worlds/{world.name}/log") as response:
                log = await response.json()
            fetches: list[Any] = log["violations"]
            if fetches:
                kinds.append("fetch")
            if kinds:
                report.disagreements.append(
                    Disagreement(
                        world,
                        operation,
                        tuple(kinds),
                        detail,
                        expected,
                        got,
                        fetches,
                        log["requests"],
                    )
                )
    finally:
        await router.close()
        async with session.delete(f"{server.url}/worlds/{world.name}"):
            pass
    return report


def summarize(reports: Sequence[WorldReport]) -> str:
    operations = sum(r.operations for r in reports)
    failing = sum(len(r.disagreements) for r in reports)
    return f"{len(reports)} worlds, {operations} operations, {failing} disagreements"
