"""Runs the telemetry overhead benchmark: two routers, one table.

Both routers serve the gateway benchmark's supergraph over its fast subgraphs and run,
one at a time, on the same core (the last); the subgraphs, the OTLP sink and wrk share
the other. "off" has no `telemetry` section; "on" samples every request (sampler 1.0)
and exports its spans over OTLP/HTTP through the batch processor, and keeps the
Prometheus registry; "tenth" is "on" with sampler 0.1. Runs alternate off/on so drift hits both alike. Before the table,
the "on" router must have exported spans and counted every request it answered.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bench.gateway.load import LoadResult, run_wrk
from bench.gateway.resolvers import INPUTS
from bench.gateway.run import SCENARIOS, Process, Scenario, _cores, _wait_ready

__all__ = ["Options", "benchmark"]

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_MEASURED = ("benchmark", "small")
# Router configurations, in the order each run measures them.
_VARIANTS = ("off", "on", "tenth")
_TITLES = {"off": "off", "on": "on (sampler 1.0)", "tenth": "on (sampler 0.1)"}
_TELEMETRY_ON = """
telemetry:
  exporters:
    tracing:
      common:
        sampler: {sampler}
      otlp:
        enabled: true
        protocol: http
        endpoint: {sink}
    metrics:
      prometheus:
        enabled: true
        listen: 127.0.0.1:0
        path: /metrics
"""


@dataclass(frozen=True, slots=True)
class Options:
    runs: int = 3
    seconds: float = 10.0
    warmup: float = 3.0
    connections: int = 50
    # All variants loaded at once, sharing the router core: machine load from
    # elsewhere then slows them alike, and the ratios are of CPU cost per request.
    together: bool = False


def _get(url: str) -> bytes:
    with _OPENER.open(url, timeout=10) as response:
        body: bytes = response.read()
        return body


def _metrics_url(router: Process) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for line in router.stderr().splitlines():
            if "Prometheus metrics served at " in line:
                return line.rsplit(" ", 1)[-1]
        time.sleep(0.1)
    raise RuntimeError(
        f"the telemetry router announced no metrics URL: {router.stderr()}"
    )


def benchmark(options: Options, out: IO[str] = sys.stdout) -> int:
    gateway_cpu, load_cpu = _cores()
    scenarios = [s for s in SCENARIOS if s.name in _MEASURED]
    started: list[Process] = []
    with tempfile.TemporaryDirectory() as folder:
        try:
            subgraphs = Process(
                [sys.executable, "-m", "bench.gateway.subgraphs", "--port", "0"],
                load_cpu,
                {},
            )
            started.append(subgraphs)
            sink = Process(
                [sys.executable, "-m", "bench.telemetry.collector", "--port", "0"],
                load_cpu,
                {},
            )
            started.append(sink)
            supergraph = Path(folder) / "supergraph.graphql"
            supergraph.write_text(
                (INPUTS / "supergraph.graphql")
                .read_text()
                .replace("http://0.0.0.0:4200", subgraphs.url)
            )
            routers: dict[str, Process] = {}
            for name, text in (
                ("off", "# telemetry off: defaults\n{}\n"),
                ("on", _TELEMETRY_ON.format(sink=sink.url, sampler="1.0")),
                ("tenth", _TELEMETRY_ON.format(sink=sink.url, sampler="0.1")),
            ):
                config = Path(folder) / f"router-{name}.yaml"
                config.write_text(text)
                routers[name] = Process(
                    [
                        str(Path(sys.executable).parent / "router"),
                        "serve",
                        "--config",
                        str(config),
                        "--supergraph",
                        str(supergraph),
                        "--listen",
                        "127.0.0.1:0",
                    ],
                    gateway_cpu,
                    {},
                )
                started.append(routers[name])
            _wait_ready(routers)
            rates: dict[tuple[str, str], list[LoadResult]] = {}
            for _ in range(options.runs):
                for scenario in scenarios:
                    if options.together:
                        with ThreadPoolExecutor(len(_VARIANTS)) as pool:
                            results = list(
                                pool.map(
                                    lambda name, scenario=scenario: _measure(
                                        scenario, routers[name], options, load_cpu
                                    ),
                                    _VARIANTS,
                                )
                            )
                    else:
                        results = [
                            _measure(scenario, routers[name], options, load_cpu)
                            for name in _VARIANTS
                        ]
                    for name, result in zip(_VARIANTS, results, strict=True):
                        rates.setdefault((scenario.name, name), []).append(result)
            if not _check_on(routers["on"], sink, rates, out):
                return 1
            _print_table(rates, scenarios, options, out)
            return 0
        finally:
            for process in reversed(started):
                process.stop()


def _measure(
    scenario: Scenario,
    router: Process,
    options: Options,
    load_cpu: int | None,
) -> LoadResult:
    def load(seconds: float) -> LoadResult:
        return run_wrk(
            router.url,
            scenario.body(),
            seconds=seconds,
            connections=options.connections,
            cpu=load_cpu,
        )

    load(options.warmup)
    return load(options.seconds)


def _check_on(
    router: Process,
    sink: Process,
    rates: dict[tuple[str, str], list[LoadResult]],
    out: IO[str],
) -> bool:
    """The "on" router really traced and counted: spans reached the sink, and
    `api_requests_total` is at least the number of requests wrk saw answered."""
    metrics_url = _metrics_url(router)
    answered = sum(
        r.requests for (_, name), rs in rates.items() if name == "on" for r in rs
    )
    deadline = time.monotonic() + 10  # the batch processor exports every 5 s
    while True:
        stats = json.loads(_get(sink.url + "/stats"))
        counted = sum(
            float(line.rsplit(" ", 1)[1])
            for line in _get(metrics_url).decode().splitlines()
            if line.startswith("api_requests_total{")
        )
        if (stats["exports"] and counted >= answered) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    print(
        f"telemetry on: {stats['exports']} OTLP exports ({stats['bytes']:,} bytes) "
        f"received; api_requests_total {counted:,.0f} >= {answered:,} measured requests",
        file=out,
    )
    if stats["exports"] == 0 or counted < answered:
        print("telemetry on: spans or counts missing; no table", file=out)
        return False
    return True


def _print_table(
    rates: dict[tuple[str, str], list[LoadResult]],
    scenarios: list[Scenario],
    options: Options,
    out: IO[str],
) -> None:
    median = statistics.median
    print(
        f"\n{options.runs} run(s) of {options.seconds:g} s after {options.warmup:g} s "
        f"warm-up, {options.connections} connections, one core for the router"
        f"{' shared by the three routers loaded at once' if options.together else ''}"
        "; medians over runs\n",
        file=out,
    )
    print(
        "| scenario | telemetry | req/s | p50 ms | p99 ms | errors | vs off |", file=out
    )
    print("|---|---|---|---|---|---|---|", file=out)
    for scenario in scenarios:
        off = rates[(scenario.name, "off")]
        for name in _VARIANTS:
            rows = rates[(scenario.name, name)]
            ratio = median(a.rate / b.rate for a, b in zip(rows, off, strict=True))
            print(
                f"| {scenario.title} | {_TITLES[name]} "
                f"| {median(r.rate for r in rows):,.0f} "
                f"| {median(r.p50_ms for r in rows):.1f} "
                f"| {median(r.p99_ms for r in rows):.1f} "
                f"| {sum(r.errors for r in rows)} "
                f"| {'' if name == 'off' else f'{ratio:.2f}x'} |",
                file=out,
            )
