"""Shared test set-up: how the suite runs in parallel (pytest-xdist), and the totals
that differential tests print after the test summary.

With `-n N`, tests are handed out a module at a time (`_ModuleScheduling`): a module's
routers and subgraphs (module fixtures) start once, on one worker. The longest modules
(`LONGEST_FIRST`) go out first, the oracle campaign's chunks last, one by one: short
and alike, they fill whichever worker is free, so both workers finish within a chunk
of each other instead of one idling while the other runs a long module. The modules that
start a router from the reference router.yaml, which binds Prometheus to the fixed
port 9090, go to one worker together, so that they never run at the same time.

The five example subgraphs run once a session (once a worker), shared by every folder
whose tests only read them (`example_subgraphs`, `example_urls`).

A plugin with a `suite_summary_lines()` method (a differential test's summary) has its
lines printed after the test summary; under xdist each worker sends its lines to the
controller, which prints them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from support.processes import Service, start_subgraphs

# The modules that serve the reference router.yaml as it is (Prometheus on :9090).
FIXED_PORT_MODULES = frozenset(
    {
        "tests/policies/test_reference_router_yaml.py",
        "tests/server/test_serve_cli.py",
        "tests/telemetry/test_reference_config.py",
    }
)
# The oracle campaign's chunks are independent: each goes to whichever worker is free
# (each worker starts its own subgraph server), after every other module.
SPREAD_MODULE = "tests/oracle/test_oracle_campaign.py"
# Modules sharing a session fixture too costly to compute on both workers (Apollo's and
# our composition of the generated sets) go to one worker.
SAME_WORKER_MODULES = {
    "tests/composition/test_hints_with_apollo.py": "tests/composition/test_generated_differential.py",
}
# Handed out first, longest first, so that no long module starts last and keeps one
# worker busy while the other idles; the rest follow by number of tests, then the
# campaign's chunks. Measured in a full `make test` (2026-12-07): the gateway
# differential about 130 s, the generated composition differential 85 s, the bench
# smoke tests 25-45 s. Reorder when the durations change.
LONGEST_FIRST = (
    "tests/gateway/test_gateway_differential.py",
    "tests/oracle/test_fetch_levels_worlds.py",
    "tests/composition/test_generated_differential.py",
    "tests/oracle/test_apollo_gateway_sample.py",
    "tests/execution/test_execution_vs_apollo_gateway.py",
    "tests/bench/test_bench_gateway_smoke.py",
    "tests/planner/test_differential.py",
    "tests/oracle/test_scenario_worlds.py",
    "tests/server/test_defer.py",
    "tests/bench/test_bench_telemetry_smoke.py",
    "tests/policies/test_cors_csrf.py",
)
_SUMMARY = "suite_summary_lines"
_worker_lines: list[str] = []


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Whole modules to a worker, whatever `--dist` says (see the module docstring)."""
    from xdist.scheduler import LoadScopeScheduling

    class _ModuleScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            if module == SPREAD_MODULE:
                return nodeid
            module = SAME_WORKER_MODULES.get(module, module)
            return "fixed-port-9090" if module in FIXED_PORT_MODULES else module

        def _assign_work_unit(self, node: Any) -> None:
            if not getattr(self, "_longest_first", False):
                self._longest_first = True
                for module in reversed(LONGEST_FIRST):
                    for scope in [
                        s for s in self.workqueue if s.split("::")[0] == module
                    ]:
                        self.workqueue.move_to_end(scope, last=False)
                for scope in [
                    s for s in self.workqueue if s.split("::")[0] == SPREAD_MODULE
                ]:
                    self.workqueue.move_to_end(scope)
            super()._assign_work_unit(node)

    return _ModuleScheduling(config, log)


def _summary_lines(config: pytest.Config) -> list[str]:
    lines: list[str] = []
    for _name, plugin in sorted(
        config.pluginmanager.list_name_plugin(), key=lambda pair: str(pair[0])
    ):
        produce = getattr(plugin, _SUMMARY, None)
        if callable(produce):
            lines += produce()
    return lines


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: the controller prints
        workeroutput[_SUMMARY] = _summary_lines(session.config)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    _worker_lines.extend(getattr(node, "workeroutput", {}).get(_SUMMARY, []))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _summary_lines(terminalreporter.config) + _worker_lines:
        terminalreporter.write_line(line)


# The example inventory's `restockDate` is slow on purpose, for the @defer demo; every
# subgraph process a test starts inherits this (a test that needs the delay sets its
# own value).
os.environ.setdefault("SUBGRAPHS_SLOW_FIELD_MS", "0")

REDIS_URL = "redis://127.0.0.1:6379"


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own, after checking Redis answers (skipped when it
    does not, unless CI is set: then the test fails); its keys are deleted after."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_timeout=1)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is unreachable under CI: {exc}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {exc}")
    prefix = f"test:{uuid.uuid4().hex}:"
    try:
        yield prefix
    finally:
        # Rate-limit keys are hash-tagged: `{prefix...}`.
        for pattern in (f"{prefix}*", f"{{{prefix}*"):
            for key in client.scan_iter(match=pattern):
                client.delete(key)
        client.close()


@pytest.fixture(scope="session")
def example_subgraphs() -> Iterator[dict[str, Service]]:
    """The five example subgraphs (`python -m subgraphs.<name> --port 0`), started side
    by side once a session: name -> process. Tests only read them: a test that places
    orders or kills a subgraph starts its own."""
    started = start_subgraphs()
    try:
        yield started
    finally:
        for service in started.values():
            service.stop()


@pytest.fixture(scope="session")
def example_urls(example_subgraphs: dict[str, Service]) -> dict[str, str]:
    """The shared example subgraphs' GraphQL URLs, by name."""
    return {name: service.url for name, service in example_subgraphs.items()}
