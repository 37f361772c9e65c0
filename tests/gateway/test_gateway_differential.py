"""Our router answers like Apollo Gateway: the same data, the same error paths and codes.

Apollo Gateway (``@apollo/gateway`` + ``@apollo/server``, ``oracle/gateway.mjs``) and our
router (``router serve``) run side by side over the same supergraph file and the same
running example subgraphs. Every query of the corpus (``support.gateway_corpus``: the
hand-written planner corpus and seeded generated operations, at least 300) is POSTed to
both, eight requests in flight, and the two JSON responses are compared: ``data`` equal
with keys in the same order, errors equal as a multiset of ``(path, extensions.code)``.
Mutations run separately, in order, each gateway on a fresh orders subgraph of its own.
Apollo Gateway's answers to the queries are kept in the test cache
(``support.derived_cache``), keyed by the requests, the committed supergraph, the
example subgraphs' files, the gateway script and Apollo's packages: a later run asks
only our router, and compares its answers with the same recorded ones.

Where Apollo Gateway is wrong by the GraphQL or federation spec, the difference is
recorded in ``known_differences.yaml`` with a ``port_note`` saying why and the response
paths where it is wrong; only those paths are excused (the rest of the data and every
error elsewhere is still compared), and an entry or a path whose difference no longer
occurs fails the run so the list cannot rot. The totals print at the end of the run (``pytest -q`` included).
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from gateway_harness import post_json
from support.derived_cache import read_cached, source_digest, write_cached
from support.gateway_corpus import (
    MIN_OPERATIONS,
    Difference,
    compare,
    differs_at,
    error_keys,
    mutation_operations,
    query_operations,
)

from bench.plan.corpus import CorpusOperation

pytestmark = pytest.mark.oracle

HERE = Path(__file__).parent
KNOWN_DIFFERENCES = HERE / "known_differences.yaml"
IN_FLIGHT = 8
# Long enough for Apollo Gateway's slowest plans on a machine loaded by other jobs (it
# went past 30 s for 8 operations at load 10-17); a runaway plan still fails the run.
REQUEST_TIMEOUT = 90.0
_SHOWN = 5
_KINDS = {"data", "order", "errors"}


@dataclass(frozen=True, slots=True)
class KnownDifference:
    """A difference where Apollo Gateway is wrong by the spec (``port_note`` says how),
    at ``paths`` of the response only (``support.excused_paths``). ``sometimes``: the
    paths (written with a trailing ``?`` in the file) where Apollo Gateway's answer
    depends on the order its parallel fetches complete, so they may agree in a run."""

    operation: str
    kinds: frozenset[str]
    port_note: str
    paths: tuple[str, ...]
    sometimes: frozenset[str] = frozenset()


def load_known_differences(
    path: Path = KNOWN_DIFFERENCES,
) -> dict[str, KnownDifference]:
    """Operation name -> its known difference, from ``known_differences.yaml``."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    known: dict[str, KnownDifference] = {}
    for entry in entries:
        kinds = entry.get("kinds")
        operations = entry.get("operations")
        if (
            set(entry) != {"operations", "kinds", "port_note"}
            or not isinstance(kinds, list)
            or not set(kinds) <= _KINDS
            or not isinstance(operations, dict)
            or not all(
                isinstance(paths, list)
                and paths
                and all(isinstance(p, str) and p.split(".")[0] == "data" for p in paths)
                for paths in operations.values()
            )
            or not str(entry["port_note"]).strip()
        ):
            raise ValueError(f"{path.name}: bad entry {entry!r}")
        for name, paths in operations.items():
            if name in known:
                raise ValueError(f"{path.name}: {name} is listed twice")
            known[name] = KnownDifference(
                name,
                frozenset(kinds),
                " ".join(entry["port_note"].split()),
                tuple(p.removesuffix("?") for p in paths),
                frozenset(p.removesuffix("?") for p in paths if p.endswith("?")),
            )
    return known


# -- one operation, both gateways ------------------------------------------------------


@dataclass(slots=True)
class Exchange:
    operation: CorpusOperation
    ours: Any = None
    apollo: Any = None
    differences: list[Difference] = field(default_factory=list)
    port_note: str | None = None
    ours_seconds: float = 0.0
    apollo_seconds: float = 0.0
    resent: int = 0
    sent: bool = True

    @property
    def equal(self) -> bool:
        return self.sent and not self.differences

    @property
    def transport_failed(self) -> bool:
        return any(
            isinstance(answer, dict) and "transport error" in answer
            for answer in (self.ours, self.apollo)
        )

    def describe(self) -> str:
        op = self.operation
        lines = [f"{op.name} ({op.source}):"]
        lines += [f"  {d.kind}: {d.detail}" for d in self.differences]
        lines += [
            "  operation: " + " ".join(op.query.split()),
            f"  variables: {json.dumps(op.variables)}",
            f"  ours ({self.ours_seconds:.1f}s):     {_short(self.ours)}",
            f"  Apollo's ({self.apollo_seconds:.1f}s): {_short(self.apollo)}",
        ]
        return "\n".join(lines)


def _short(response: Any, limit: int = 1500) -> str:
    text = json.dumps(response)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _payload(op: CorpusOperation) -> dict[str, Any]:
    payload: dict[str, Any] = {"query": op.query, "variables": op.variables}
    if op.operation_name is not None:
        payload["operationName"] = op.operation_name
    return payload


# A subgraph (uvicorn) closes a keep-alive connection after 5 idle seconds; a gateway
# that picks that connection from its pool just then fails the fetch. Both gateways
# meet this race under the test's load (ours: aiohttp's "Can not write request body" or
# a closed connection; Apollo's: node's "socket hang up" or ECONNRESET). It says nothing
# about federation, so such an exchange is sent again (at most twice) and counted.
_KEEP_ALIVE_RACE = re.compile(
    r"Can not write request body|closed the connection|socket hang up|ECONNRESET"
)
_RESENDS = 2


def _hit_keep_alive_race(response: Any) -> bool:
    errors = response.get("errors") if isinstance(response, dict) else None
    return any(
        isinstance(error, dict)
        and _KEEP_ALIVE_RACE.search(str(error.get("message", ""))) is not None
        for error in errors or ()
    )


class _Sender:
    """Sends operations to both gateways (from several threads).

    A gateway that does not answer within ``REQUEST_TIMEOUT`` is taken as stalled (our
    router plans on its event loop, so one runaway plan stalls every request): the
    operations not yet sent are then skipped, so the run fails in seconds, not hours.
    """

    def __init__(
        self, ours_url: str, apollo_url: str, recorded: dict[str, Any] | None = None
    ) -> None:
        self.urls = {"ours": ours_url, "Apollo's": apollo_url}
        # Apollo Gateway's answers by operation name, from the test cache: then only
        # our router is asked.
        self.recorded = recorded
        self.stalled = threading.Event()
        self.timed_out: list[str] = []

    def exchange(self, op: CorpusOperation) -> Exchange:
        resent = 0
        while True:
            if self.stalled.is_set():
                return Exchange(op, sent=False)
            exchange = self._exchange_once(op)
            exchange.resent = resent
            raced = _hit_keep_alive_race(exchange.ours) or _hit_keep_alive_race(
                exchange.apollo
            )
            if not raced or resent == _RESENDS:
                return exchange
            resent += 1

    def _exchange_once(self, op: CorpusOperation) -> Exchange:
        payload = _payload(op)
        exchange = Exchange(op)
        started = time.perf_counter()
        exchange.ours = self._ask("ours", op, payload)
        middle = time.perf_counter()
        exchange.apollo = (
            self._ask("Apollo's", op, payload)
            if self.recorded is None
            else self.recorded[op.name]
        )
        exchange.apollo_seconds = time.perf_counter() - middle
        exchange.ours_seconds = middle - started
        exchange.differences = compare(exchange.ours, exchange.apollo)
        return exchange

    def _ask(self, side: str, op: CorpusOperation, payload: dict[str, Any]) -> Any:
        """The decoded answer; a transport failure (no answer in time, a broken
        connection, a body that is not JSON) becomes a response unlike any other."""
        try:
            return post_json(self.urls[side], payload, timeout=REQUEST_TIMEOUT)
        except TimeoutError:
            self.timed_out.append(f"{op.name} ({side})")
            self.stalled.set()
            return {"transport error": f"no answer in {REQUEST_TIMEOUT:.0f}s"}
        except (OSError, ValueError) as error:
            return {"transport error": f"{type(error).__name__}: {error}"}


def _dumped(exchange: Exchange) -> dict[str, Any]:
    op = exchange.operation
    return {
        "name": op.name,
        "query": op.query,
        "variables": op.variables,
        "sent": exchange.sent,
        "differences": [[d.kind, d.detail] for d in exchange.differences],
        "ours": exchange.ours,
        "apollo": exchange.apollo,
        "seconds": [exchange.ours_seconds, exchange.apollo_seconds],
    }


# -- the module's run and its summary --------------------------------------------------


@dataclass(slots=True)
class _Run:
    exchanges: list[Exchange] = field(default_factory=list)
    known: dict[str, KnownDifference] = field(default_factory=dict)
    timed_out: list[str] = field(default_factory=list)
    seconds: float = 0.0
    setup_error: str | None = None
    apollo_from_cache: bool = False

    def sent(self) -> list[Exchange]:
        return [e for e in self.exchanges if e.sent]

    def differing(self) -> list[Exchange]:
        """Sent, differing and not PORT_NOTE'd; once a gateway stalled, the exchanges
        it failed to answer are left to the stall's own report."""
        return [
            e
            for e in self.sent()
            if e.differences
            and e.port_note is None
            and not (self.timed_out and e.transport_failed)
        ]

    def noted(self) -> list[Exchange]:
        return [e for e in self.sent() if e.differences and e.port_note is not None]


_RUN = _Run()


class _SummaryPlugin:
    """The totals, printed after the test summary whatever the capture mode (by
    tests/conftest.py, which also brings them back from xdist workers)."""

    def suite_summary_lines(self) -> list[str]:
        return _summary_lines(_RUN)


def _summary_lines(run: _Run) -> list[str]:
    if run.setup_error is not None:
        return [f"gateway differential: not run: {run.setup_error}"]
    if not run.exchanges:
        return []
    sent = run.sent()
    equal = sum(1 for e in sent if e.equal)
    with_errors = sum(1 for e in sent if error_keys(e.apollo))
    differing = run.differing()
    resent = sum(1 for e in sent if e.resent)
    lines = [
        f"gateway differential: {len(run.exchanges)} operations against Apollo Gateway "
        f"in {run.seconds:.1f}s: {equal} equal, {len(differing)} differing, "
        f"{len(run.noted())} PORT_NOTE'd; {with_errors} answered with errors by "
        f"Apollo Gateway; {resent} sent again after a keep-alive race"
        + (
            "; Apollo Gateway's answers from the test cache"
            if run.apollo_from_cache
            else ""
        )
    ]
    if run.timed_out:
        lines.append(
            f"  a gateway stopped answering ({', '.join(run.timed_out)} timed out): "
            f"{len(run.exchanges) - len(sent)} operations not sent"
        )
    lines += [
        "  differing: " + line
        for e in differing[:_SHOWN]
        for line in e.describe().splitlines()
    ]
    return lines


_APOLLO_ANSWERS = "apollo-gateway-corpus"


def _apollo_answers_key(operations: list[CorpusOperation]) -> list[str]:
    """What Apollo Gateway's answers to the corpus depend on: the requests, the
    committed supergraph and the example subgraphs (code and data), the gateway script
    and Apollo's packages. The subgraphs' ports, which change every run, are left out."""
    return [
        json.dumps([_payload(op) for op in operations]),
        source_digest(
            "supergraph.graphql",
            "subgraphs",
            "tests/support/gateway_corpus.py",
            "tests/gateway/gateway_harness.py",
            "oracle/gateway.mjs",
            "oracle/package-lock.json",
        ),
    ]


@pytest.fixture(scope="module")
def run(request: pytest.FixtureRequest) -> _Run:
    """Both gateways' answers to every query of the corpus, once for the module."""
    plugin_name = "gateway-differential"
    if not request.config.pluginmanager.has_plugin(plugin_name):
        request.config.pluginmanager.register(_SummaryPlugin(), plugin_name)
    operations = query_operations()
    names = [op.name for op in operations]
    key = _apollo_answers_key(operations)
    recorded = (
        read_cached(_APOLLO_ANSWERS, key) if len(set(names)) == len(names) else None
    )
    try:
        ours_url: str = request.getfixturevalue("our_gateway")
        apollo_url = "" if recorded else request.getfixturevalue("apollo_gateway")
    except BaseException as error:
        _RUN.setup_error = f"the gateways did not start ({type(error).__name__})"
        raise
    _RUN.known = load_known_differences()
    _RUN.apollo_from_cache = bool(recorded)
    sender = _Sender(
        ours_url,
        apollo_url,
        dict(zip(names, recorded, strict=True)) if recorded else None,
    )
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
        _RUN.exchanges = list(pool.map(sender.exchange, operations))
    _RUN.seconds = time.perf_counter() - started
    _RUN.timed_out = sender.timed_out
    if not recorded and not sender.timed_out:
        apollo = [e.apollo for e in _RUN.exchanges]
        if not any(
            _hit_keep_alive_race(a) or (isinstance(a, dict) and "transport error" in a)
            for a in apollo
        ):
            write_cached(_APOLLO_ANSWERS, key, apollo)
    dump = os.environ.get("GATEWAY_DIFFERENTIAL_DUMP")
    if dump:  # every exchange, for a look at the differences beyond the summary
        Path(dump).write_text(json.dumps([_dumped(e) for e in _RUN.exchanges]))
    for exchange in _RUN.sent():
        known = _RUN.known.get(exchange.operation.name)
        kinds = {d.kind for d in exchange.differences}
        if known is None or not kinds or not kinds <= known.kinds:
            continue
        # Outside the excused paths the answers must still be equal.
        outside = compare(exchange.ours, exchange.apollo, known.paths)
        if outside:
            exchange.differences = [
                Difference(d.kind, f"outside {list(known.paths)}: {d.detail}")
                for d in outside
            ]
        else:
            exchange.port_note = known.port_note
    return _RUN


# -- tests -----------------------------------------------------------------------------


def test_query_responses_equal_apollo_gateways(run: _Run) -> None:
    if run.timed_out:
        pytest.fail(
            f"a gateway stopped answering: {', '.join(run.timed_out)} got no answer in "
            f"{REQUEST_TIMEOUT:.0f}s (one of them stalled the gateway; try each with "
            f"`router plan`); {len(run.exchanges) - len(run.sent())} operations were "
            "not sent",
            pytrace=False,
        )
    differing = run.differing()
    if differing:
        shown = "\n\n".join(e.describe() for e in differing[:_SHOWN])
        pytest.fail(
            f"{len(differing)} of {len(run.exchanges)} responses differ from Apollo "
            f"Gateway's:\n\n{shown}",
            pytrace=False,
        )


def test_corpus_holds_at_least_300_operations(run: _Run) -> None:
    sources = {e.operation.source for e in run.exchanges}
    assert len(run.exchanges) >= MIN_OPERATIONS
    assert sources == {"hand-written", "generated"}


def test_every_port_note_names_a_difference_that_still_occurs(run: _Run) -> None:
    noted = {e.operation.name for e in run.noted()}
    sent = {e.operation.name for e in run.sent()}
    in_corpus = {e.operation.name for e in run.exchanges}
    stale = sorted(
        name
        for name in run.known
        if name not in in_corpus or (name in sent and name not in noted)
    )
    assert not stale, (
        f"known_differences.yaml lists operations that no longer differ as noted "
        f"(remove them): {stale}"
    )


def test_every_excused_path_still_differs(run: _Run) -> None:
    """Each path an excuse names must still be where the answers differ: a path that
    has become equal makes the excuse wider than the bug."""
    stale = [
        f"{e.operation.name}: {path}"
        for e in run.noted()
        for path in run.known[e.operation.name].paths
        if path not in run.known[e.operation.name].sometimes
        and not differs_at(e.ours, e.apollo, path)
    ]
    assert not stale, (
        f"known_differences.yaml excuses paths where the answers agree (remove them): "
        f"{stale}"
    )


def test_mutations_run_in_order_and_answer_like_apollo_gateways(
    mutation_gateways: tuple[str, str],
) -> None:
    """Each side's mutations, one after the other on a fresh orders subgraph, then the
    orders they placed read back: the same answers means the same order of effects."""
    operations = mutation_operations()
    read_back = CorpusOperation(
        name="RecentOrders",
        query="query RecentOrders($n: Int!) { recentOrders(first: $n) { id status "
        "user { id name } lines { quantity product { upc name } } } }",
        source="hand-written",
        operation_name="RecentOrders",
        variables={"n": len(operations) + 3},
    )

    def run_in_order(url: str) -> list[Any]:
        return [post_json(url, _payload(op)) for op in [*operations, read_back]]

    with ThreadPoolExecutor(max_workers=2) as pool:
        ours, apollo = pool.map(run_in_order, mutation_gateways)
    differing = [
        Exchange(op, o, a, compare(o, a))
        for op, o, a in zip([*operations, read_back], ours, apollo, strict=True)
        if compare(o, a)
    ]
    assert not differing, "\n\n".join(e.describe() for e in differing)
    assert all(not error_keys(answer) for answer in apollo), apollo
