"""The health guard's rules on a fake clock (router.traffic.health): how long an
ejection lasts, how many instances may be out, what a reload keeps, and `enabled:
false` under a subgraph switching off what `all` sets."""

from __future__ import annotations

import asyncio

from router.config import parse_config
from router.config.traffic import InstanceHealthCheckConfig, OutlierDetectionConfig
from router.execution.subgraph_client import SubgraphClient
from router.traffic import build_traffic, build_upstreams
from router.traffic.health import Guard, check_url

URLS = [f"http://10.0.0.{n}:4001/graphql" for n in range(1, 5)]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _guard(clock: Clock, **outlier: object) -> Guard:
    rules = OutlierDetectionConfig.model_validate(
        {"consecutive_failures": 2, "ejection_time": "10s", **outlier}
    )
    return Guard("echo", URLS, None, rules, clock)


def _fail(guard: Guard, index: int, times: int = 2) -> None:
    for _ in range(times):
        guard.record(guard.states[index], True)


def test_ejection_time_grows_with_each_ejection_up_to_the_maximum() -> None:
    clock = Clock()
    guard = _guard(clock, max_ejection_time="25s", max_ejection_percent=100)
    state = guard.states[0]
    lengths = []
    for _ in range(3):
        _fail(guard, 0)
        assert not state.available
        assert state.ejected_until is not None
        lengths.append(state.ejected_until - clock.now)
        clock.now = state.ejected_until
        guard._restore(clock.now)
        assert state.available
    assert lengths == [10.0, 20.0, 25.0]


def test_ejection_count_drops_while_an_instance_stays_in() -> None:
    clock = Clock()
    guard = _guard(clock, max_ejection_percent=100)
    state = guard.states[0]
    for _ in range(2):
        _fail(guard, 0)
        assert state.ejected_until is not None
        clock.now = state.ejected_until
        guard._restore(clock.now)
    clock.now += 10.0  # one ejection time in service
    _fail(guard, 0)
    assert state.ejected_until == clock.now + 20.0  # 2 x 10 s, not 3 x


def test_a_success_between_failures_resets_the_count() -> None:
    guard = _guard(Clock())
    state = guard.states[0]
    guard.record(state, True)
    guard.record(state, False)
    guard.record(state, True)
    assert state.available


def test_one_instance_may_be_ejected_whatever_max_ejection_percent() -> None:
    guard = _guard(Clock(), max_ejection_percent=0)
    _fail(guard, 0)
    _fail(guard, 1)
    assert [s.available for s in guard.states] == [False, True, True, True]


def test_ejections_stop_at_max_ejection_percent() -> None:
    guard = _guard(Clock(), max_ejection_percent=50)
    for index in range(4):
        _fail(guard, index)
    assert guard.healthy_count() == 2


def test_health_check_url_is_the_path_on_the_instance_origin() -> None:
    assert check_url("http://a:4001/api/graphql?x=1", "/health") == (
        "http://a:4001/health"
    )


def test_after_an_ejection_a_checked_instance_needs_passes_again() -> None:
    clock = Clock()
    check = InstanceHealthCheckConfig(healthy_after=2)
    rules = OutlierDetectionConfig.model_validate(
        {"consecutive_failures": 1, "ejection_time": "10s"}
    )
    guard = Guard("echo", URLS[:1], check, rules, clock)
    state = guard.states[0]
    guard.record(state, True)

    async def passing(url: str, timeout: float) -> bool:
        return True

    asyncio.run(guard._check_all(passing, check))  # during the ejection: not counted
    clock.now += 10.0
    guard._restore(clock.now)
    assert not state.available
    asyncio.run(guard._check_all(passing, check))
    assert not state.available
    asyncio.run(guard._check_all(passing, check))
    assert state.available


YAML = """
subgraphs:
  echo:
    instances: [{url: 'http://a:1/graphql'}, {url: 'http://b:1/graphql'}]
  hello:
    routing_url: http://c:1/graphql
traffic_shaping:
  all:
    circuit_breaker: {}
    health_check: {interval: 1s}
    outlier_detection: {}
  subgraphs:
    hello:
      circuit_breaker: {enabled: false}
      health_check: {enabled: false}
      outlier_detection: {enabled: false}
"""
SUPERGRAPH = {"echo": "http://a:1/graphql", "hello": "http://c:1/graphql"}


def test_enabled_false_under_a_subgraph_switches_off_what_all_sets() -> None:
    upstreams = build_upstreams(parse_config(YAML), SUPERGRAPH)
    echo, hello = upstreams["echo"], upstreams["hello"]
    assert echo.breaker is not None
    assert echo.guard is not None
    assert echo.guard.check is not None and echo.guard.outlier is not None
    assert hello.breaker is None
    assert hello.guard is None


def test_a_reload_keeps_instance_health_while_the_rules_are_unchanged() -> None:
    client = SubgraphClient({})
    before = build_traffic(parse_config(YAML), SUPERGRAPH, client)
    guard = before.upstreams["echo"].guard
    assert guard is not None
    guard.states[1].available = False
    same = build_traffic(parse_config(YAML + "\n"), SUPERGRAPH, client)
    same.inherit(before)
    assert same.upstreams["echo"].guard is guard
    assert [i.health for i in same.upstreams["echo"].instances] == list(guard.states)

    changed = build_traffic(
        parse_config(YAML.replace("interval: 1s", "interval: 2s")), SUPERGRAPH, client
    )
    changed.inherit(before)
    fresh = changed.upstreams["echo"].guard
    assert fresh is not guard and fresh is not None
    assert all(s.available for s in fresh.states)
