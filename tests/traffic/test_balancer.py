"""The load-balancing policies as pure functions of their state: who gets the next
request, and whom a retry may try next."""

from __future__ import annotations

from collections import Counter

from router.execution.subgraph_client import SubgraphEndpoint
from router.traffic import Instance, LeastRequest, RoundRobin, Weighted


def _instances(*weights: int) -> list[Instance]:
    return [
        Instance(SubgraphEndpoint("echo", f"http://{n}/graphql"), weight)
        for n, weight in enumerate(weights)
    ]


def test_weighted_gives_each_window_of_ten_its_exact_share_spread_out() -> None:
    stable, canary = _instances(9, 1)
    balancer = Weighted([stable, canary])
    picks = [balancer.pick() for _ in range(1000)]
    for start in range(0, 1000, 10):
        assert picks[start : start + 10].count(canary) == 1
    # Smooth: never a run longer than the weight allows.
    longest = max(
        len(run)
        for run in "".join("s" if p is stable else "c" for p in picks).split("c")
    )
    assert longest <= 9


def test_weighted_shares_follow_uneven_weights() -> None:
    instances = _instances(5, 3, 2)
    balancer = Weighted(instances)
    counts = Counter(balancer.pick() for _ in range(1000))
    assert [counts[i] for i in instances] == [500, 300, 200]


def test_least_request_picks_the_instance_with_fewer_requests_in_flight() -> None:
    busy, idle = _instances(1, 1)
    busy.in_flight = 3
    balancer = LeastRequest([busy, idle], seed=7)
    assert {balancer.pick() for _ in range(50)} == {idle}


def test_a_retry_skips_the_instances_already_tried() -> None:
    a, b, c = _instances(1, 1, 1)
    for balancer in (
        RoundRobin([a, b, c]),
        LeastRequest([a, b, c]),
        Weighted([a, b, c]),
    ):
        assert balancer.pick([a, b]) is c
        assert balancer.pick([a, b, c]) is None
