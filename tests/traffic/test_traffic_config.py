"""The instance and traffic keys of router.yaml: what loads, what is refused (naming the
dotted key), and which instances each rule leaves a subgraph's requests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from traffic_harness import ECHO_SDL

from router.config import ConfigError, parse_config
from router.traffic import build_upstreams

CANARY_ROUTE = (
    '      routes: [{header: x-canary, value: "1", labels: {track: canary}}]\n'
)


def _instances(*lines: str) -> str:
    return "subgraphs:\n  echo:\n    instances:\n" + "".join(
        f"      - {line}\n" for line in lines
    )


def _shaping(body: str, where: str = "subgraphs:\n    echo:") -> str:
    return f"traffic_shaping:\n  {where}\n{body}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "subgraphs:\n  echo:\n    instances: []\n",
            "subgraphs.echo.instances: must list at least one instance",
        ),
        (
            "subgraphs:\n  echo:\n    schema: { introspect: true }\n",
            "subgraphs.echo: give 'routing_url' or 'instances'",
        ),
        (
            _instances("{url: 'ftp://a/graphql'}"),
            "subgraphs.echo.instances.0.url: must be an http:// or https:// URL",
        ),
        (
            _instances("{url: 'http://a/graphql', weight: 0}"),
            "subgraphs.echo.instances.0.weight: Input should be greater than or equal to 1",
        ),
        (
            _instances("{url: 'http://a/graphql'}")
            + _shaping("      load_balancing: { policy: random }\n"),
            "traffic_shaping.subgraphs.echo.load_balancing.policy: Input should be "
            "'round_robin', 'least_request' or 'weighted'",
        ),
        (
            _instances(
                "{url: 'http://a/graphql'}", "{url: 'http://b/graphql', weight: 9}"
            ),
            "subgraphs.echo.instances.1.weight: a weight needs "
            "`load_balancing: {policy: weighted}` in traffic_shaping "
            "(subgraph 'echo' uses round_robin)",
        ),
        (
            _instances("{url: 'http://a/graphql', labels: {track: stable}}")
            + _shaping(CANARY_ROUTE),
            "traffic_shaping.subgraphs.echo.routes.0.labels: {'track': 'canary'} match "
            "no instance of subgraph 'echo' (no instance of it has them)",
        ),
        (
            _shaping(CANARY_ROUTE),
            "traffic_shaping.subgraphs.echo.routes.0.labels: {'track': 'canary'} match "
            "no instance of subgraph 'echo' (subgraphs.echo.instances lists none)",
        ),
        (
            _shaping("      routes: [{header: 'x canary', labels: {a: b}}]\n"),
            "traffic_shaping.subgraphs.echo.routes.0.header: must be an HTTP header name",
        ),
        (
            _shaping("      experimental_retry: { ttl: 2m }\n"),
            "traffic_shaping.subgraphs.echo.experimental_retry.ttl: must be between "
            "1s and 60s",
        ),
        (
            _shaping("    experimental_retry: { retry_percent: -1 }\n", "all:"),
            "traffic_shaping.all.experimental_retry.retry_percent: Input should be "
            "greater than or equal to 0",
        ),
        (
            _shaping("    experimental_retry: { retries: 3 }\n", "all:"),
            "traffic_shaping.all.experimental_retry.retries: unknown key",
        ),
        (
            _shaping("      circuit_breaker: { failure_rate: 1.5 }\n"),
            "traffic_shaping.subgraphs.echo.circuit_breaker.failure_rate: Input should "
            "be less than or equal to 1",
        ),
        (
            _shaping("    circuit_breaker: { failure_rate: 0 }\n", "all:"),
            "traffic_shaping.all.circuit_breaker.failure_rate: Input should be "
            "greater than 0",
        ),
        (
            _shaping("      circuit_breaker: { minimum_requests: 0 }\n"),
            "traffic_shaping.subgraphs.echo.circuit_breaker.minimum_requests: Input "
            "should be greater than or equal to 1",
        ),
        (
            _shaping("      circuit_breaker: { window: 0s }\n"),
            "traffic_shaping.subgraphs.echo.circuit_breaker.window: must be longer "
            "than 0s",
        ),
        (
            _shaping("      circuit_breaker: { open_for: 30 }\n"),
            "traffic_shaping.subgraphs.echo.circuit_breaker.open_for: a duration "
            "needs a unit",
        ),
        (
            _shaping("      circuit_breaker: { half_open_requests: 0 }\n"),
            "traffic_shaping.subgraphs.echo.circuit_breaker.half_open_requests: "
            "Input should be greater than or equal to 1",
        ),
        (
            _shaping("    circuit_breaker: { threshold: 3 }\n", "all:"),
            "traffic_shaping.all.circuit_breaker.threshold: unknown key",
        ),
        (
            _shaping("      health_check: { path: health }\n"),
            "traffic_shaping.subgraphs.echo.health_check.path: must be a path "
            "starting with '/', without spaces",
        ),
        (
            _shaping("    health_check: { interval: 0s }\n", "all:"),
            "traffic_shaping.all.health_check.interval: must be longer than 0s",
        ),
        (
            _shaping("      health_check: { healthy_after: 0 }\n"),
            "traffic_shaping.subgraphs.echo.health_check.healthy_after: Input should "
            "be greater than or equal to 1",
        ),
        (
            _shaping("      outlier_detection: { max_ejection_percent: 101 }\n"),
            "traffic_shaping.subgraphs.echo.outlier_detection.max_ejection_percent: "
            "Input should be less than or equal to 100",
        ),
        (
            _shaping("    outlier_detection: { ejection_time: 30 }\n", "all:"),
            "traffic_shaping.all.outlier_detection.ejection_time: a duration needs "
            "a unit",
        ),
        (
            _shaping("    outlier_detection: { consecutive_5xx: 3 }\n", "all:"),
            "traffic_shaping.all.outlier_detection.consecutive_5xx: unknown key",
        ),
    ],
)
def test_bad_traffic_config_is_refused_naming_the_key(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_config(text)
    assert f"router.yaml: {message}" in str(refused.value)


def test_router_serve_refuses_a_bad_traffic_config_at_start(tmp_path: Path) -> None:
    config = tmp_path / "router.yaml"
    config.write_text(
        f"subgraphs:\n  echo:\n    schema: {{ file: {ECHO_SDL} }}\n    instances:\n"
        "      - { url: 'http://127.0.0.1:9/graphql', weight: 3 }\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "router.cli", "serve", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "subgraphs.echo.instances.0.weight: a weight needs" in done.stderr


def _pools(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """The URLs of echo's default pool, and of each route's pool by header value."""
    upstream = build_upstreams(parse_config(text), {"echo": "http://joined/graphql"})[
        "echo"
    ]
    routes = {
        route.value or "*": [i.url for i in route.pool.instances]
        for route in upstream.routes
    }
    return [i.url for i in upstream.default_pool.instances], routes


def test_requests_no_route_selects_go_to_the_instances_no_route_selects() -> None:
    text = _instances(
        "{url: 'http://a/graphql'}",
        "{url: 'http://b/graphql'}",
        "{url: 'http://c/graphql', labels: {track: canary}}",
    ) + _shaping(CANARY_ROUTE)
    assert _pools(text) == (
        ["http://a/graphql", "http://b/graphql"],
        {"1": ["http://c/graphql"]},
    )


def test_when_routes_select_every_instance_other_requests_go_to_all() -> None:
    text = _instances(
        "{url: 'http://c/graphql', labels: {track: canary}}",
        "{url: 'http://d/graphql', labels: {track: canary}}",
    ) + _shaping(CANARY_ROUTE)
    default, routes = _pools(text)
    assert default == routes["1"] == ["http://c/graphql", "http://d/graphql"]


def test_a_route_in_all_applies_only_where_an_instance_has_its_labels() -> None:
    text = (
        "subgraphs:\n"
        "  echo:\n    instances: [{url: 'http://a/graphql'}]\n"
        "traffic_shaping:\n  all:\n"
        '    routes: [{header: x-canary, value: "1", labels: {track: canary}}]\n'
    )
    assert _pools(text) == (["http://a/graphql"], {})


def test_override_subgraph_url_wins_over_instances() -> None:
    text = (
        _instances(
            "{url: 'http://a/graphql'}",
            "{url: 'http://c/graphql', labels: {track: canary}}",
        )
        + _shaping(CANARY_ROUTE)
        + "override_subgraph_url:\n  echo: http://o/graphql\n"
    )
    assert _pools(text) == (["http://o/graphql"], {})


def test_without_instances_the_supergraph_url_serves() -> None:
    assert _pools("") == (["http://joined/graphql"], {})


def test_the_registry_url_is_the_first_instance_without_routing_url() -> None:
    config = parse_config(
        _instances("{url: 'http://a/graphql'}", "{url: 'http://b/graphql'}")
    )
    assert config.subgraphs["echo"].url == "http://a/graphql"


def test_traffic_keys_are_not_reported_inactive() -> None:
    config = parse_config(
        _instances("{url: 'http://a/graphql', weight: 2}")
        + _shaping(
            "      load_balancing: { policy: weighted }\n"
            "      experimental_retry: {}\n"
            "      deduplicate_query: false\n"
            "      compression: gzip\n"
        )
    )
    assert config.inactive_keys() == []


def test_a_subgraphs_circuit_breaker_replaces_all_s_as_a_whole() -> None:
    text = _shaping(
        "      circuit_breaker: { open_for: 2s }\n",
        "all:\n    circuit_breaker: { failure_rate: 0.2 }\n  subgraphs:\n    echo:",
    )
    upstreams = build_upstreams(
        parse_config(text), {"echo": "http://e/graphql", "other": "http://o/graphql"}
    )
    echo, other = upstreams["echo"].breaker, upstreams["other"].breaker
    assert echo is not None and other is not None
    assert (echo.config.open_for, echo.config.failure_rate) == (2.0, 0.5)
    assert (other.config.open_for, other.config.failure_rate) == (10.0, 0.2)
