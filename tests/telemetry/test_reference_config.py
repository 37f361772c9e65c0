"""The reference article's router.yaml: its `telemetry` section loads and takes effect
(Prometheus on 0.0.0.0:<port>/metrics, the file's 9090 swapped for a free port; OTLP to
a collector that does not exist here, which must not hurt a request)."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families
from support.reference import reference_router_yaml
from telemetry_harness import REPO, RecordingProxy, Router, http


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("0.0.0.0", 0))
        return int(probe.getsockname()[1])


def test_reference_telemetry_serves_metrics_and_survives_a_missing_collector(
    proxies: dict[str, RecordingProxy],
    start_router: Callable[..., Router],
    tmp_path: Path,
) -> None:
    # The file's own port, 9090, may be taken on a shared machine; the listener is
    # what is under test, not the number.
    metrics_port = _free_port()
    text = (
        reference_router_yaml()
        .replace(
            "supergraph:\n", f"supergraph:\n  file: {REPO / 'supergraph.graphql'}\n", 1
        )
        .replace("listen: 0.0.0.0:9090", f"listen: 0.0.0.0:{metrics_port}", 1)
    )
    assert f":{metrics_port}" in text
    router = start_router({n: p.url for n, p in proxies.items()}, text, whole=True)
    reply = router.post({"query": "query Top { topProducts(first: 1) { name } }"})
    assert reply.status == 200 and "errors" not in reply.json()
    scrape = http(f"http://127.0.0.1:{metrics_port}/metrics")
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
