"""Metric values written without a lock on the main thread and with one elsewhere: the
counts add up across threads, and the exposition is prometheus_client's, byte for byte."""

from __future__ import annotations

import contextvars
import sys
import threading
from collections.abc import Callable, Iterator

import pytest
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from router.telemetry.active import ACTIVE, ActiveTelemetry, observe_cache
from router.telemetry.metric_values import (
    LoopCounter,
    LoopGauge,
    LoopHistogram,
    LoopValue,
    add,
    observe,
)
from router.telemetry.metrics import RouterMetrics

ROUNDS = 20_000
THREADS = 3


@pytest.fixture
def preempted_often() -> Iterator[None]:
    """Threads switch every microsecond, so unguarded read-modify-writes interleave."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def _on_threads_and_main(update: Callable[[], None]) -> None:
    """`update` ROUNDS times on each of THREADS threads and on the main thread, all at
    once; the threads see the main thread's context variables (as planning does)."""
    start = threading.Barrier(THREADS + 1)

    def run() -> None:
        start.wait()
        for _ in range(ROUNDS):
            update()

    threads = [
        threading.Thread(target=contextvars.copy_context().run, args=(run,))
        for _ in range(THREADS)
    ]
    for thread in threads:
        thread.start()
    run()
    for thread in threads:
        thread.join()


def test_router_metrics_hold_lock_free_values() -> None:
    metrics = RouterMetrics()
    assert type(metrics.requests_of("q", "query", "200")._value) is LoopValue
    assert type(metrics.active_requests._value) is LoopValue
    child = metrics.request_duration_of("q", "query", "200")
    assert type(child._sum) is LoopValue
    assert {type(b) for b in child._buckets} == {LoopValue}


@pytest.mark.usefixtures("preempted_often")
def test_cache_lookups_from_planning_threads_and_the_loop_add_up() -> None:
    metrics = RouterMetrics()
    token = ACTIVE.set(ActiveTelemetry(None, metrics))
    try:
        _on_threads_and_main(lambda: observe_cache("query_planning", True))
    finally:
        ACTIVE.reset(token)
    value = metrics.cache_hits_of("query_planning", "", "")._value
    assert value.loop == ROUNDS  # the main thread's, unlocked
    assert value.others == THREADS * ROUNDS
    assert value.get() == (THREADS + 1) * ROUNDS


@pytest.mark.usefixtures("preempted_often")
def test_histogram_and_gauge_updates_from_every_thread_add_up() -> None:
    metrics = RouterMetrics()
    latency = metrics.upstream_latency_of("products")

    def update() -> None:
        observe(latency, 0.25)
        add(metrics.active_requests)
        add(metrics.active_requests, -1)
        add(metrics.active_requests)
        metrics.upstream_latency_of("products").observe(0.25)

    _on_threads_and_main(update)
    total = (THREADS + 1) * ROUNDS
    assert metrics.active_requests._value.get() == total
    assert latency._sum.get() == total * 0.5
    assert sum(b.get() for b in latency._buckets) == 2 * total


def test_a_gauge_set_from_another_thread_is_the_value_read() -> None:
    metrics = RouterMetrics()
    gauge = metrics.upstream_healthy.labels("products")
    add(gauge, 5)  # the main thread's part
    setter = threading.Thread(target=gauge.set, args=(2,))
    setter.start()
    setter.join()
    assert gauge._value.get() == 2
    add(gauge, 1)
    assert gauge._value.get() == 3
    gauge.set(7)
    assert gauge._value.get() == 7


def test_the_exposition_is_prometheus_clients() -> None:
    """The same updates, from the main thread and another, through prometheus_client's
    own classes and through ours: the same scrape text."""
    texts = []
    for counter, gauge, histogram in (
        (Counter, Gauge, Histogram),
        (LoopCounter, LoopGauge, LoopHistogram),
    ):
        registry = CollectorRegistry()
        requests = counter("t_requests", "r", ("code",), registry=registry)
        active = gauge("t_active", "a", registry=registry)
        latency = histogram(
            "t_latency", "l", ("subgraph",), buckets=(0.1, 1.0), registry=registry
        )

        def update(
            requests: Counter = requests,
            active: Gauge = active,
            latency: Histogram = latency,
        ) -> None:
            requests.labels("200").inc()
            requests.labels("500").inc(2.5)
            active.inc()
            active.dec(0.5)
            latency.labels("products").observe(0.05)
            latency.labels("products").observe(0.7)
            latency.labels("users").observe(3.0)

        update()
        other = threading.Thread(target=update)
        other.start()
        other.join()
        texts.append(generate_latest(registry))
    assert texts[0] == texts[1]
    assert b't_latency_bucket{le="1.0",subgraph="products"} 4.0' in texts[1]
