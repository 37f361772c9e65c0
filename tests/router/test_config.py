"""router.yaml loading (router/config), seen through `router compose` as a user runs it."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support.reference import reference_router_yaml

from router.config import parse_config

if TYPE_CHECKING:
    from conftest import Cli

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = ("users", "products", "reviews", "inventory", "orders")
USERS_SDL = REPO / "subgraphs" / "users" / "schema.graphql"


def _write(folder: Path, text: str) -> None:
    (folder / "router.yaml").write_text(text, encoding="utf-8")


def _users_only(
    routing_url: str = "http://127.0.0.1:4001/graphql",
    schema: str = f"{{ file: {USERS_SDL} }}",
) -> str:
    return (
        f"subgraphs:\n  users:\n    routing_url: {routing_url}\n    schema: {schema}\n"
    )


def test_reference_router_yaml_with_a_registry_loads(cli: Cli, tmp_path: Path) -> None:
    registry = ["subgraphs:"]
    for number, name in enumerate(EXAMPLES, start=1):
        registry += [
            f"  {name}:",
            f"    routing_url: http://127.0.0.1:{4000 + number}/graphql",
            f"    schema: {{ file: {REPO / 'subgraphs' / name / 'schema.graphql'} }}",
        ]
    _write(tmp_path, reference_router_yaml() + "\n".join(registry) + "\n")
    result = cli("compose")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (REPO / "supergraph.graphql").read_text(encoding="utf-8")


def test_env_variable_is_expanded(cli: Cli, tmp_path: Path) -> None:
    _write(tmp_path, _users_only(routing_url="${env.ROUTER_TEST_USERS_URL}"))
    result = cli(
        "compose", env={"ROUTER_TEST_USERS_URL": "http://users.test:9/graphql"}
    )
    assert result.returncode == 0, result.stderr
    assert (
        'USERS @join__graph(name: "users", url: "http://users.test:9/graphql")'
        in result.stdout
    )


def test_env_default_is_used_when_the_variable_is_unset(
    cli: Cli, tmp_path: Path
) -> None:
    assert "ROUTER_TEST_UNSET" not in os.environ
    _write(
        tmp_path,
        _users_only(
            routing_url="${env.ROUTER_TEST_UNSET:-http://fallback.test:9/graphql}"
        ),
    )
    result = cli("compose")
    assert result.returncode == 0, result.stderr
    assert 'url: "http://fallback.test:9/graphql"' in result.stdout


def test_env_value_wins_over_the_default(cli: Cli, tmp_path: Path) -> None:
    _write(
        tmp_path,
        _users_only(
            routing_url="${env.ROUTER_TEST_URL:-http://fallback.test:9/graphql}"
        ),
    )
    result = cli("compose", env={"ROUTER_TEST_URL": "http://set.test:9/graphql"})
    assert result.returncode == 0, result.stderr
    assert 'url: "http://set.test:9/graphql"' in result.stdout


def test_missing_env_variable_is_an_error_naming_the_key(
    cli: Cli, tmp_path: Path
) -> None:
    assert "ROUTER_TEST_MISSING" not in os.environ
    _write(tmp_path, _users_only(routing_url="${env.ROUTER_TEST_MISSING}"))
    result = cli("compose")
    assert result.returncode == 1
    assert (
        "subgraphs.users.routing_url: environment variable ROUTER_TEST_MISSING is not set"
        in result.stderr
    )


def test_env_alternative_gives_its_word_when_the_variable_is_set() -> None:
    config = parse_config(
        "ratelimit:\n  backend: ${env.REDIS_URL:+redis}\n",
        environ={"REDIS_URL": "redis://cache.test:6379"},
    )
    assert config.ratelimit.backend == "redis"


@pytest.mark.parametrize("environ", [{}, {"REDIS_URL": ""}], ids=["unset", "empty"])
def test_env_alternative_alone_leaves_its_key_to_the_default_when_unset_or_empty(
    environ: dict[str, str],
) -> None:
    config = parse_config(
        "ratelimit:\n  backend: ${env.REDIS_URL:+redis}\n"
        "telemetry:\n  exporters:\n    tracing:\n      otlp:\n"
        "        enabled: ${env.REDIS_URL:+true}\n",
        environ=environ,
    )
    assert config.ratelimit.backend == "memory"
    assert config.telemetry.exporters.tracing.otlp.enabled is False


def test_env_alternative_inside_a_longer_value_expands_to_nothing_when_unset() -> None:
    text = "supergraph:\n  path: /graphql${env.ROUTER_TEST_V2:+/v2}\n"
    assert parse_config(text, environ={}).supergraph.path == "/graphql"
    set_ = {"ROUTER_TEST_V2": "1"}
    assert parse_config(text, environ=set_).supergraph.path == "/graphql/v2"


def test_unknown_nested_key_names_the_dotted_path(cli: Cli, tmp_path: Path) -> None:
    _write(
        tmp_path, "supergraph:\n  listen: 127.0.0.1:4000\n  bogus: 1\n" + _users_only()
    )
    result = cli("compose")
    assert result.returncode == 1
    assert "router.yaml: supergraph.bogus: unknown key" in result.stderr


@pytest.mark.parametrize(
    "schema",
    [
        pytest.param("{}", id="neither"),
        pytest.param(f"{{ file: {USERS_SDL}, introspect: true }}", id="both"),
    ],
)
def test_schema_needs_exactly_one_of_file_or_introspect(
    cli: Cli, tmp_path: Path, schema: str
) -> None:
    _write(tmp_path, _users_only(schema=schema))
    result = cli("compose")
    assert result.returncode == 1
    assert (
        "router.yaml: subgraphs.users.schema: give exactly one of 'file' or 'introspect: true'"
        in result.stderr
    )


@pytest.mark.parametrize(
    ("section", "message"),
    [
        pytest.param(
            "traffic_shaping:\n  all:\n    timeout: 30\n",
            "traffic_shaping.all.timeout: a duration needs a unit",
            id="duration-without-unit",
        ),
        pytest.param(
            "traffic_shaping:\n  subgraphs:\n    users:\n      timeout: soon\n",
            "traffic_shaping.subgraphs.users.timeout: expected a duration",
            id="duration-not-a-duration",
        ),
        pytest.param(
            "batching:\n  enabled: true\n  mode: all_at_once\n",
            "batching.mode:",
            id="batching-mode",
        ),
        pytest.param(
            "health_check:\n  pathh: /h\n",
            "health_check.pathh: unknown key",
            id="health-check-typo",
        ),
    ],
)
def test_typed_sections_reject_bad_values_naming_the_key(
    cli: Cli, tmp_path: Path, section: str, message: str
) -> None:
    _write(tmp_path, section + _users_only())
    result = cli("compose")
    assert result.returncode == 1
    assert f"router.yaml: {message}" in result.stderr


def test_traffic_shaping_merges_all_with_each_subgraph_field_by_field() -> None:
    config = parse_config(
        "traffic_shaping:\n"
        "  all: { timeout: 30s, deduplicate_query: true }\n"
        "  subgraphs:\n"
        "    users: { timeout: 500ms }\n"
        "    orders: { compression: gzip }\n"
    )
    shaping = config.traffic_shaping
    users, orders, other = (
        shaping.for_subgraph(name) for name in ("users", "orders", "reviews")
    )
    assert (users.timeout, users.deduplicate_query) == (0.5, True)
    assert (orders.timeout, orders.compression, orders.deduplicate_query) == (
        30.0,
        "gzip",
        True,
    )
    assert other.timeout == 30.0
    assert parse_config("").traffic_shaping.for_subgraph("users").timeout == 30.0
