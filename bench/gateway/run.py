"""Runs the gateway benchmark: processes, response check, load, table.

One core (the last) runs the gateway under test: our router (in one or more
configurations), Apollo Gateway, Hive Gateway or the forward-only app; the other runs
the fast subgraphs and wrk. Each scenario names its targets, ours first and the peer it
is compared with second. For each scenario, every target must first return the same
response (and the fast subgraphs must agree with graphql-core on every request the
gateways sent them); otherwise nothing is reported.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson

from bench.gateway.load import LoadResult, run_wrk
from bench.gateway.reference import reference_answer
from bench.gateway.resolvers import INPUTS
from bench.gateway.subgraphs import answer

__all__ = ["Options", "Scenario", "benchmark"]

REPO = Path(__file__).resolve().parents[2]
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_START_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True)
class Target:
    """A gateway under test: how it is started and what the table calls it."""

    title: str
    kind: str  # router | apollo | hive | forward
    router_config: str = "{}\n"  # router.yaml, for kind router
    inbound_dedup: bool = False  # for kind hive


TARGETS = {
    "ours": Target("pyfed-router", "router"),
    "ours-inbound-dedup": Target(
        "pyfed-router, inbound deduplication on",
        "router",
        "traffic_shaping:\n  router:\n    deduplicate_requests: true\n",
    ),
    # Every response kept an hour: the benchmark's subgraphs send no Cache-Control.
    "ours-entity-cache": Target(
        "pyfed-router, entity cache on",
        "router",
        "preview_entity_cache:\n  enabled: true\n  subgraph:\n    all:\n"
        "      ttl: 1h\n",
    ),
    "ours-entity-cache-redis": Target(
        "pyfed-router, entity cache in Redis",
        "router",
        "preview_entity_cache:\n  enabled: true\n  subgraph:\n    all:\n"
        "      ttl: 1h\n      redis:\n        urls: [redis://127.0.0.1:6379]\n"
        "        namespace: bench-{run}\n        ttl: 10m\n",
    ),
    # wrk is one client: past 8 cold plans in flight per client the router answers 429
    # QUERY_PLANNING_BUSY by design; here every request is to be planned, as Apollo's are.
    "ours-plans-all": Target(
        "pyfed-router, 64 cold plans per client",
        "router",
        "supergraph:\n  query_planning:\n    concurrency:\n      per_client: 64\n",
    ),
    # Plans in Apollo's shape: same-level entity fetches not put in one stage.
    "ours-apollo-shape": Target(
        "pyfed-router, plans in Apollo's shape",
        "router",
        "supergraph:\n  query_planning:\n    merge_same_level_fetches: false\n",
    ),
    "apollo": Target("Apollo Gateway 2.14", "apollo"),
    "hive": Target("Hive Gateway 2.12 (runtime)", "hive"),
    "hive-inbound-dedup": Target(
        "Hive Gateway 2.12, inbound deduplication on", "hive", inbound_dedup=True
    ),
    "forward": Target("forward-only app", "forward"),
}


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    title: str
    query: str
    operation_name: str | None
    targets: tuple[str, ...]  # ours first, then the peer the ratio is taken against
    distinct: bool = False  # a new operation text per request (no plan cache hit)
    apq: bool = False  # requests carry only the query's APQ hash (registered first)
    optional: bool = False  # run only when named (`--scenario`), not by default

    @property
    def ours(self) -> str:
        return self.targets[0]

    @property
    def peer(self) -> str:
        return self.targets[1]

    def body(self, comment: str = "") -> str:
        """The request: the query, or with ``apq`` only the query's hash."""
        payload: dict[str, Any] = {} if self.apq else {"query": comment + self.query}
        if self.operation_name:
            payload["operationName"] = self.operation_name
        if self.apq:
            payload["extensions"] = self._persisted_query()
        return orjson.dumps(payload).decode()

    def registration(self) -> str | None:
        """For ``apq``, the request that registers the hash (query and hash together)."""
        if not self.apq:
            return None
        payload: dict[str, Any] = {"query": self.query}
        if self.operation_name:
            payload["operationName"] = self.operation_name
        payload["extensions"] = self._persisted_query()
        return orjson.dumps(payload).decode()

    def _persisted_query(self) -> dict[str, Any]:
        digest = hashlib.sha256(self.query.encode()).hexdigest()
        return {"persistedQuery": {"version": 1, "sha256Hash": digest}}

    def distinct_parts(self, tag: str) -> tuple[str, str, str]:
        """wrk's (prefix, suffix, tag): the body is prefix + tag-thread-n + suffix."""
        marker = "@@MARK@@"
        body = self.body(f"# {marker}\n")
        prefix, suffix = body.split(marker)
        return prefix, suffix, tag


BENCH_QUERY = (INPUTS / "query.graphql").read_text()
SCENARIOS = (
    Scenario(
        "benchmark",
        "benchmark query",
        BENCH_QUERY,
        "TestQuery",
        ("ours", "apollo", "hive"),
    ),
    Scenario(
        "small",
        "small one-subgraph query",
        "query Small { topProducts(first: 3) { upc name price } }",
        "Small",
        ("ours", "apollo", "forward"),
    ),
    Scenario(
        "uncached",
        "benchmark query, new text each request",
        BENCH_QUERY,
        "TestQuery",
        ("ours-plans-all", "apollo"),
        distinct=True,
    ),
    Scenario(
        "apq",
        "benchmark query sent as its APQ hash",
        BENCH_QUERY,
        "TestQuery",
        ("ours", "apollo"),
        apq=True,
    ),
    Scenario(
        "inbound-dedup",
        "benchmark query, inbound deduplication on",
        BENCH_QUERY,
        "TestQuery",
        ("ours-inbound-dedup", "hive-inbound-dedup"),
    ),
    Scenario(
        "stages",
        "benchmark query, same-level stages against Apollo's plan shape",
        BENCH_QUERY,
        "TestQuery",
        ("ours", "ours-apollo-shape", "apollo"),
        optional=True,
    ),
    Scenario(
        "entity-cache",
        "benchmark query, entity cache on",
        BENCH_QUERY,
        "TestQuery",
        ("ours-entity-cache", "ours", "ours-entity-cache-redis"),
        optional=True,
    ),
)


@dataclass(frozen=True, slots=True)
class Options:
    runs: int = 3
    seconds: float = 10.0
    warmup: float = 3.0
    connections: int = 50
    scenarios: tuple[str, ...] = tuple(s.name for s in SCENARIOS if not s.optional)


class Process:
    """A child whose first stdout line ends with its URL."""

    def __init__(self, argv: list[str], cpu: int | None, env: dict[str, str]) -> None:
        if cpu is not None:
            argv = ["taskset", "-c", str(cpu), *argv]
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115
        self.process = subprocess.Popen(
            argv,
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode().strip()
        if not line:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(10)  # its last words reach stderr first
            said = self.stderr()
            self.stop()
            raise RuntimeError(f"{argv} did not start: {said}")
        self.url = line.split()[-1]

    @property
    def pid(self) -> int:
        return self.process.pid

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-3000:]

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def peak_rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._stderr.close()


@dataclass(slots=True)
class Measure:
    """One target, one scenario, one run."""

    load: LoadResult
    cpu_per_request_ms: float
    peak_rss_mb: float
    subgraph_core: float  # share of a core the subgraphs used
    wrk_core: float


@dataclass(slots=True)
class Table:
    rows: dict[tuple[str, str], list[Measure]] = field(default_factory=dict)

    def add(self, scenario: str, target: str, measure: Measure) -> None:
        self.rows.setdefault((scenario, target), []).append(measure)


def http_post(url: str, body: str, timeout: float = 60) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url,
        data=body.encode(),
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _cores() -> tuple[int | None, int | None]:
    """(gateway core, subgraphs-and-load core), or no pinning on a one-core machine."""
    available = sorted(os.sched_getaffinity(0))
    if len(available) < 2:
        return None, None
    return available[-1], available[0]


def benchmark(options: Options, out: IO[str] = sys.stdout) -> int:
    """Runs everything; prints the table; 0, or 1 when responses differ."""
    gateway_cpu, load_cpu = _cores()
    if gateway_cpu is None:
        print("note: one core only, nothing pinned", file=out)
    scenarios = [s for s in SCENARIOS if s.name in options.scenarios]
    started: list[Process] = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            subgraphs = Process(
                [sys.executable, "-m", "bench.gateway.subgraphs", "--port", "0"],
                load_cpu,
                {},
            )
            started.append(subgraphs)
            supergraph = Path(folder) / "supergraph.graphql"
            supergraph.write_text(
                (INPUTS / "supergraph.graphql")
                .read_text()
                .replace("http://0.0.0.0:4200", subgraphs.url)
            )
            targets: dict[str, Process] = {}
            for name in dict.fromkeys(t for s in scenarios for t in s.targets):
                targets[name] = _start(
                    TARGETS[name],
                    Path(folder),
                    name,
                    supergraph,
                    subgraphs.url,
                    gateway_cpu,
                )
                started.append(targets[name])
            _wait_ready(targets)
            if not _check(scenarios, targets, subgraphs, out):
                return 1
            table = Table()
            for run in range(options.runs):
                for scenario in scenarios:
                    for name in scenario.targets:
                        measure = _measure(
                            scenario,
                            targets[name],
                            subgraphs,
                            options,
                            load_cpu,
                            tag=f"r{run}{name}",
                        )
                        table.add(scenario.name, name, measure)
            if not _check_subgraphs(subgraphs, out):
                return 1
            _print_table(table, scenarios, options, out)
            return 0
        finally:
            for process in reversed(started):
                process.stop()


def _start(
    target: Target,
    folder: Path,
    name: str,
    supergraph: Path,
    subgraphs_url: str,
    cpu: int | None,
) -> Process:
    if target.kind == "router":
        config = folder / f"{name}.yaml"
        # {run}: a Redis namespace of this run's own, so no earlier run's entries hit
        settings = target.router_config.replace("{run}", f"{os.getpid()}-{name}")
        config.write_text(f"# the benchmark's router: {target.title}\n{settings}")
        router = str(Path(sys.executable).parent / "router")
        argv = [
            router,
            "serve",
            "--config",
            str(config),
            "--supergraph",
            str(supergraph),
        ]
        return Process([*argv, "--listen", "127.0.0.1:0"], cpu, {})
    if target.kind == "apollo":
        script = str(REPO / "oracle" / "gateway.mjs")
        argv = ["node", script, "--supergraph", str(supergraph), "--port", "0"]
        return Process(argv, cpu, {"NODE_ENV": "production"})
    if target.kind == "hive":
        script = str(REPO / "oracle" / "hive-gateway.mjs")
        argv = ["node", script, "--supergraph", str(supergraph), "--port", "0"]
        if target.inbound_dedup:
            argv.append("--inbound-dedup")
        return Process(argv, cpu, {"NODE_ENV": "production"})
    upstream = f"{subgraphs_url}/products"
    argv = [sys.executable, "-m", "bench.gateway.forward", "--upstream", upstream]
    return Process([*argv, "--port", "0"], cpu, {})


def _wait_ready(targets: dict[str, Process]) -> None:
    body = orjson.dumps({"query": "{ __typename }"}).decode()
    deadline = time.monotonic() + _START_TIMEOUT
    for name, process in targets.items():
        if name == "forward":
            continue
        while True:
            try:
                status, _ = http_post(process.url, body, timeout=5)
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} never answered: {process.stderr()}")
            time.sleep(0.2)


def _canonical(raw: bytes) -> bytes:
    """The response as orjson prints it: whitespace differences gone, order kept."""
    return orjson.dumps(orjson.loads(raw))


def _check(
    scenarios: list[Scenario],
    targets: dict[str, Process],
    subgraphs: Process,
    out: IO[str],
) -> bool:
    """Every target returns the same response, without errors, for each scenario."""
    ok = True
    for scenario in scenarios:
        body = scenario.body("# check\n" if scenario.distinct else "")
        answers: dict[str, bytes] = {}
        for name in scenario.targets:
            registration = scenario.registration()
            if registration is not None:
                status, raw = http_post(targets[name].url, registration)
                if status != 200 or b'"errors"' in raw:
                    print(
                        f"{scenario.name}: {name} refused the APQ registration "
                        f"({status}): {raw[:300]!r}",
                        file=out,
                    )
                    ok = False
            # Twice: the second answer comes from what the first left warm (plans,
            # cached entities) and must be the same.
            for attempt in ("", " (again)"):
                status, raw = http_post(targets[name].url, body)
                answers[name + attempt] = _canonical(raw) if status == 200 else raw
                if status != 200 or b'"errors"' in raw:
                    print(
                        f"{scenario.name}: {name}{attempt} answered {status}: "
                        f"{raw[:300]!r}",
                        file=out,
                    )
                    ok = False
        reference = answers[scenario.peer]
        for name, got in answers.items():
            if got != reference:
                print(
                    f"{scenario.name}: {name}'s response differs from "
                    f"{TARGETS[scenario.peer].title}'s "
                    f"({len(got)} vs {len(reference)} bytes)",
                    file=out,
                )
                ok = False
        if ok:
            print(
                f"{scenario.name}: identical responses "
                f"({len(reference)} bytes, each asked twice) "
                f"from {', '.join(scenario.targets)}",
                file=out,
            )
    if not ok:
        print("responses differ: no numbers reported", file=out)
        return False
    return _check_subgraphs(subgraphs, out)


def _check_subgraphs(subgraphs: Process, out: IO[str]) -> bool:
    """The fast subgraphs answered every request they got as graphql-core does."""
    status, raw = http_post(f"{subgraphs.url}/_seen", "")
    seen = orjson.loads(raw) if status == 200 else []
    for path, body in seen:
        fast = answer(path, body.encode())
        slow = reference_answer(path, body.encode())
        if orjson.dumps(fast) != orjson.dumps(slow):
            print(
                f"fast subgraph {path} differs from graphql-core on {body[:300]}",
                file=out,
            )
            return False
    print(f"fast subgraphs agree with graphql-core on {len(seen)} requests", file=out)
    return True


def _measure(
    scenario: Scenario,
    target: Process,
    subgraphs: Process,
    options: Options,
    load_cpu: int | None,
    tag: str,
) -> Measure:
    def load(seconds: float, tag: str) -> LoadResult:
        return run_wrk(
            target.url,
            scenario.body(),
            seconds=seconds,
            connections=options.connections,
            cpu=load_cpu,
            distinct=scenario.distinct_parts(tag) if scenario.distinct else None,
        )

    if (
        options.warmup > 0
    ):  # --quick (the smoke test) measures nothing, so warms nothing
        load(options.warmup, tag + "w")
    cpu0, sub0 = target.cpu_seconds(), subgraphs.cpu_seconds()
    result = load(options.seconds, tag)
    cpu1, sub1 = target.cpu_seconds(), subgraphs.cpu_seconds()
    return Measure(
        load=result,
        cpu_per_request_ms=1000 * (cpu1 - cpu0) / max(result.requests, 1),
        peak_rss_mb=target.peak_rss_mb(),
        subgraph_core=(sub1 - sub0) / result.seconds,
        wrk_core=result.cpu_seconds / result.seconds,
    )


def _print_table(
    table: Table, scenarios: list[Scenario], options: Options, out: IO[str]
) -> None:
    median = statistics.median
    print(
        f"\n{options.runs} run(s) of {options.seconds:g} s after {options.warmup:g} s "
        f"warm-up, {options.connections} connections; medians over runs "
        "(errors: total; ours ÷ target: the median of the per-run req/s ratios of "
        "the scenario's first row to this row)\n",
        file=out,
    )
    print(
        "| scenario | target | req/s | p50 ms | p99 ms | errors | CPU ms/req "
        "| peak RSS MB | ours ÷ target | subgraphs core | wrk core |",
        file=out,
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|", file=out)
    for scenario in scenarios:
        ours = table.rows[(scenario.name, scenario.ours)]
        for name in scenario.targets:
            rows = table.rows[(scenario.name, name)]
            ratio = (
                ""
                if name == scenario.ours
                else _times([_ratio(o, r) for o, r in zip(ours, rows, strict=True)])
            )
            print(
                f"| {scenario.title} | {TARGETS[name].title} "
                f"| {median(m.load.rate for m in rows):,.0f} "
                f"| {median(m.load.p50_ms for m in rows):.1f} "
                f"| {median(m.load.p99_ms for m in rows):.1f} "
                f"| {sum(m.load.errors for m in rows)} "
                f"| {median(m.cpu_per_request_ms for m in rows):.2f} "
                f"| {max(m.peak_rss_mb for m in rows):.0f} "
                f"| {ratio} "
                f"| {median(m.subgraph_core for m in rows):.0%} "
                f"| {median(m.wrk_core for m in rows):.0%} |",
                file=out,
            )


def _ratio(ours: Measure, peer: Measure) -> float | None:
    """Req/s ratio of one run; None when the peer completed no request in the window."""
    return ours.load.rate / peer.load.rate if peer.load.rate else None


def _times(ratios: list[float | None]) -> str:
    known = [r for r in ratios if r is not None]
    return f"{statistics.median(known):.2f}x" if known else "n/a (peer: 0 requests)"
