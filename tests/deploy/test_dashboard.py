"""deploy/grafana/dashboards/pyfed-router.json: the golden-signal panels, and every
metric their PromQL asks for is one the router really exports.

The router runs deploy/router.yaml (ports moved to free loopback ones, subgraph URLs
to the example subgraphs, one of them down, and a rate limit small enough to reach)
and gets what a dashboard shows: queries, a repeated one (cache hits), a failing
subgraph, a refused operation and a rate-limited request. Then /metrics is scraped and
each name the dashboard queries must be among the samples (histograms as the
`_bucket`/`_count` series PromQL names).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from support.ports import refusing_url
from support.processes import Service, get, post_json, start_router

REPO = Path(__file__).resolve().parents[2]
DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "pyfed-router.json"
RATE_LIMIT = 6  # requests per window in this test's copy of deploy/router.yaml
JOINED = "query Joined { topProducts(first: 2) { name reviews { body } } }"
IN_STOCK = "query InStock { topProducts(first: 2) { name inStock } }"  # inventory
# PromQL words that are not metric names.
_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "inf", "nan", "Inf", "NaN"}
)
_GOLDEN = (
    "Request rate",
    "Latency p99 / p50",
    "Error rate",
    "Rate-limit hits",
    "Subgraph latency p99",
    "Subgraph errors",
)


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings, before braces
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range selectors
    text = re.sub(
        r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text
    )
    names: set[str] = set()
    # Not the unit of a duration (`offset 5m`) nor a number's exponent.
    for match in re.finditer(r"(?<![\w.])[A-Za-z_:][A-Za-z0-9_:]*", text):
        followed_by_call = text[match.end() :].lstrip().startswith("(")
        if not followed_by_call and match.group() not in _KEYWORDS:
            names.add(match.group())
    return names


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard["panels"]:
        yield panel
        yield from panel.get("panels", [])


def _queries(dashboard: dict[str, Any]) -> dict[str, list[str]]:
    """panel title -> its PromQL expressions (rows have none)."""
    return {
        panel["title"]: [target["expr"] for target in panel["targets"]]
        for panel in _panels(dashboard)
        if panel["type"] != "row"
    }


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def test_promql_metric_names_reads_selectors_not_functions_or_labels() -> None:
    expr = (
        'histogram_quantile(0.99, sum by (subgraph, le) (rate(a_bucket{code!~"x{1}"}'
        "[$__rate_interval]))) / ignoring (le) b_total offset 5m and on() c"
    )
    assert promql_metric_names(expr) == {"a_bucket", "b_total", "c"}


def test_dashboard_has_the_golden_signal_panels(dashboard: dict[str, Any]) -> None:
    queries = _queries(dashboard)
    assert set(_GOLDEN) <= set(queries)
    for title, exprs in queries.items():
        assert exprs and all(promql_metric_names(e) for e in exprs), title
    ids = [panel["id"] for panel in _panels(dashboard)]
    assert len(ids) == len(set(ids))
    datasource = "${datasource}"
    for panel in _panels(dashboard):
        if panel["type"] != "row":
            assert panel["datasource"]["uid"] == datasource, panel["title"]
    assert "api_rate_limit_hits_total" in promql_metric_names(
        " ".join(queries["Rate-limit hits"])
    )
    assert "subgraph" in " ".join(queries["Subgraph latency p99"])
    assert "subgraph" in " ".join(queries["Subgraph errors"])


def _router_config(folder: Path, urls: dict[str, str]) -> Path:
    config = yaml.safe_load((REPO / "deploy" / "router.yaml").read_text("utf-8"))
    config["override_subgraph_url"] = urls
    prometheus = config["telemetry"]["exporters"]["metrics"]["prometheus"]
    prometheus["listen"] = "127.0.0.1:0"
    # Access-log lines go to stdout, which the test does not read.
    config["telemetry"]["exporters"]["logging"]["stdout"]["enabled"] = False
    (rule,) = config["ratelimit"]["clients"]
    rule["limits"] = [{"capacity": RATE_LIMIT, "interval": "1m"}]
    shutil.copy(REPO / "supergraph.graphql", folder / config["supergraph"]["file"])
    path = folder / "router.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _metrics_url(router: Service) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = re.search(r"Prometheus metrics served at (http://\S+)", router.stderr())
        if found:
            return found.group(1)
        time.sleep(0.05)
    pytest.fail(f"no metrics listener announced\n{router.stderr()}")


def test_every_metric_the_dashboard_queries_is_exported_by_the_router(
    dashboard: dict[str, Any], example_urls: dict[str, str], tmp_path: Path
) -> None:
    urls = {**example_urls, "inventory": refusing_url()}  # a subgraph that is down
    router = start_router(_router_config(tmp_path, urls))
    try:
        for _ in range(2):  # the second is a plan and document cache hit
            reply = post_json(router.url, {"query": JOINED}).json()
            assert reply["data"]["topProducts"] and "errors" not in reply
        failed = post_json(router.url, {"query": IN_STOCK}).json()
        codes = {e["extensions"]["code"] for e in failed["errors"]}
        assert codes == {"SUBREQUEST_HTTP_ERROR"}
        deep = (
            "{ me { reviews { product { reviews { author { reviews { body } } } } } } }"
        )
        refused = post_json(router.url, {"query": deep})
        assert refused.json()["errors"][0]["extensions"]["code"] == "MAX_DEPTH_LIMIT"
        for _ in range(RATE_LIMIT):
            limited = post_json(router.url, {"query": "{ __typename }"})
            if limited.status == 429:
                break
        assert limited.status == 429, "the rate limit was never reached"
        code = limited.json()["errors"][0]["extensions"]["code"]
        assert code == "REQUEST_RATE_LIMITED"

        scraped = get(_metrics_url(router))
        assert scraped.status == 200
    finally:
        router.stop()

    samples = {
        sample.name: sample.value
        for family in text_string_to_metric_families(scraped.body.decode())
        for sample in family.samples
    }
    queried = {
        name
        for exprs in _queries(dashboard).values()
        for expr in exprs
        for name in promql_metric_names(expr)
    }
    assert {
        "api_requests_total",
        "api_request_duration_seconds_bucket",
        "api_errors_total",
        "api_rate_limit_hits_total",
        "api_upstream_latency_seconds_bucket",
        "api_upstream_errors_total",
    } <= queried
    assert sorted(queried - set(samples)) == []
    assert samples["api_rate_limit_hits_total"] >= 1
