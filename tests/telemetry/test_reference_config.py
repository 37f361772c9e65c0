"""The reference article's router.yaml: its `telemetry` section loads and takes effect
(Prometheus on 0.0.0.0:9090/metrics; OTLP to a collector that does not exist here,
which must not hurt a request)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from telemetry_harness import REPO, RecordingProxy, Router, http

REFERENCE = REPO.parent / "shared" / "reference-router.yaml"


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def test_reference_telemetry_serves_metrics_and_survives_a_missing_collector(
    proxies: dict[str, RecordingProxy],
    start_router: Callable[..., Router],
    tmp_path: Path,
) -> None:
    if not REFERENCE.exists():
        pytest.skip(f"{REFERENCE} is absent (it lives beside the repository)")
    if not _port_free(9090):
        pytest.skip("port 9090, which the reference file names, is taken")
    text = REFERENCE.read_text("utf-8").replace(
        "supergraph:\n", f"supergraph:\n  file: {REPO / 'supergraph.graphql'}\n", 1
    )
    router = start_router({n: p.url for n, p in proxies.items()}, text, whole=True)
    reply = router.post({"query": "query Top { topProducts(first: 1) { name } }"})
    assert reply.status == 200 and "errors" not in reply.json()
    scrape = http("http://127.0.0.1:9090/metrics")
    assert scrape.status == 200
    samples = [
        s
        for family in text_string_to_metric_families(scrape.body.decode())
        for s in family.samples
        if s.name == "api_requests_total"
    ]
    assert [(s.labels["operation_name"], s.value) for s in samples] == [("Top", 1.0)]
    # The request id header rule of the reference file and ours agree.
    assert (
        proxies["products"].requests[0]["x-request-id"] == reply.headers["x-request-id"]
    )
