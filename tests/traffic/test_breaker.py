"""The circuit breaker's states on a clock the test moves: when it opens, how many
probes half-open lets through, what closes it, which outcomes it ignores, and which
breakers a hot reload keeps."""

from __future__ import annotations

from router.config import parse_config
from router.config.traffic import CircuitBreakerConfig
from router.execution.subgraph_client import SubgraphClient
from router.traffic import build_traffic
from router.traffic.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _breaker(**keys: object) -> tuple[CircuitBreaker, _Clock]:
    settings: dict[str, object] = {
        "failure_rate": 0.5,
        "minimum_requests": 4,
        "window": "10s",
        "open_for": "5s",
        "half_open_requests": 2,
        **keys,
    }
    clock = _Clock()
    return CircuitBreaker(CircuitBreakerConfig.model_validate(settings), clock), clock


def _fetch(breaker: CircuitBreaker, failed: bool) -> bool:
    """One fetch; whether it was admitted."""
    token = breaker.admit()
    if token is None:
        return False
    breaker.record(token, failed)
    return True


def _opened() -> tuple[CircuitBreaker, _Clock]:
    breaker, clock = _breaker()
    for _ in range(4):
        _fetch(breaker, True)
    assert breaker.state == OPEN
    return breaker, clock


def test_it_opens_once_the_failure_rate_is_reached_over_minimum_requests() -> None:
    breaker, _ = _breaker()
    for failed in (True, True, True):
        _fetch(breaker, failed)
    assert breaker.state == CLOSED  # below minimum_requests
    _fetch(breaker, False)
    assert breaker.state == OPEN  # 3 of 4


def test_it_stays_closed_below_the_failure_rate() -> None:
    breaker, _ = _breaker()
    for failed in (True, False, False, False, True, False, False):
        _fetch(breaker, failed)
    assert breaker.state == CLOSED  # 2 of 7


def test_failures_older_than_the_window_are_forgotten() -> None:
    breaker, clock = _breaker()
    for _ in range(3):
        _fetch(breaker, True)
    clock.now += 11
    _fetch(breaker, True)
    assert breaker.state == CLOSED


def test_while_open_every_fetch_is_refused_until_open_for_has_passed() -> None:
    breaker, clock = _opened()
    clock.now += 4.9
    assert breaker.admit() is None
    clock.now += 0.2
    assert breaker.admit() is not None
    assert breaker.state == HALF_OPEN


def test_half_open_lets_through_only_half_open_requests_probes() -> None:
    breaker, clock = _opened()
    clock.now += 5
    tokens = [breaker.admit() for _ in range(4)]
    assert [t is not None for t in tokens] == [True, True, False, False]


def test_all_probes_succeeding_close_it() -> None:
    breaker, clock = _opened()
    clock.now += 5
    assert _fetch(breaker, False)
    assert breaker.state == HALF_OPEN
    assert _fetch(breaker, False)
    assert breaker.state == CLOSED
    assert _fetch(breaker, True)  # a fresh window: one failure does not reopen it
    assert breaker.state == CLOSED


def test_one_failed_probe_opens_it_for_another_open_for() -> None:
    breaker, clock = _opened()
    clock.now += 5
    assert _fetch(breaker, True)
    assert breaker.state == OPEN
    clock.now += 4.9
    assert breaker.admit() is None


def test_an_outcome_from_a_state_since_left_is_ignored() -> None:
    breaker, clock = _breaker()
    slow = breaker.admit()
    assert slow is not None
    for _ in range(4):
        _fetch(breaker, True)
    clock.now += 5
    probe = breaker.admit()
    assert probe is not None
    breaker.record(slow, True)  # admitted while closed
    assert breaker.state == HALF_OPEN


def test_a_cancelled_probe_gives_its_slot_back() -> None:
    breaker, clock = _opened()
    clock.now += 5
    first, second = breaker.admit(), breaker.admit()
    assert first is not None and second is not None
    assert breaker.admit() is None
    breaker.release(first)
    assert breaker.admit() is not None


def test_a_reload_keeps_the_breakers_whose_section_is_unchanged() -> None:
    config = (
        "traffic_shaping:\n  subgraphs:\n"
        "    a: { circuit_breaker: { open_for: 5s } }\n"
        "    b: { circuit_breaker: { open_for: 5s } }\n"
    )
    changed = config.replace(
        "b: { circuit_breaker: { open_for: 5s", "b: { circuit_breaker: { open_for: 6s"
    )
    urls = {"a": "http://a/graphql", "b": "http://b/graphql"}
    old = build_traffic(parse_config(config), urls, SubgraphClient({}))
    new = build_traffic(parse_config(changed), urls, SubgraphClient({}))
    new.inherit(old)
    assert new.upstreams["a"].breaker is old.upstreams["a"].breaker
    assert new.upstreams["b"].breaker is not old.upstreams["b"].breaker
