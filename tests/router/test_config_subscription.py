"""`subscription` in router.yaml: Apollo's keys, merged and refused as Apollo documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.processes import REPO

from router.cli import main as router_cli
from router.config import ConfigError, parse_config


def test_passthrough_subgraph_entry_is_merged_over_all_field_by_field() -> None:
    config = parse_config(
        """
subscription:
  enabled: true
  mode:
    passthrough:
      all: { path: /ws, protocol: graphql_transport_ws }
      subgraphs:
        reviews: { heartbeat_interval: 10s }
"""
    ).subscription
    reviews = config.passthrough_for("reviews")
    assert reviews is not None
    assert (reviews.path, reviews.protocol, reviews.heartbeat_seconds) == (
        "/ws",
        "graphql_transport_ws",
        10.0,
    )
    assert config.passthrough_for("users") == config.mode.passthrough.all  # type: ignore[union-attr]


def test_subgraph_without_passthrough_entry_has_no_websocket() -> None:
    config = parse_config(
        "subscription: {mode: {passthrough: {subgraphs: {reviews: {}}}}}"
    ).subscription
    assert config.passthrough_for("users") is None
    assert config.passthrough_for("reviews") is not None


def test_apollo_1x_deduplication_key_wins_over_the_2x_one() -> None:
    config = parse_config(
        "subscription: {enable_deduplication: false, deduplication: {enabled: true}}"
    ).subscription
    assert config.deduplicate is False


def test_callback_mode_without_public_url_fails_naming_the_key() -> None:
    with pytest.raises(
        ConfigError, match=r"subscription\.mode\.callback\.public_url: Field required"
    ):
        parse_config("subscription: {mode: {callback: {subgraphs: [reviews]}}}")


def test_subgraph_in_both_modes_fails_naming_both_keys() -> None:
    with pytest.raises(
        ConfigError,
        match=r"subscription\.mode: callback\.subgraphs: 'reviews' is also reached "
        r"over WebSocket \(subscription\.mode\.passthrough\.subgraphs\.reviews\)",
    ):
        parse_config(
            """
subscription:
  mode:
    callback: { public_url: "http://127.0.0.1:4000/callback", subgraphs: [reviews] }
    passthrough: { subgraphs: { reviews: {} } }
"""
        )


def test_callback_without_subgraphs_covers_those_passthrough_does_not_name() -> None:
    config = parse_config(
        """
subscription:
  mode:
    callback: { public_url: "http://127.0.0.1:4000/callback/" }
    passthrough: { subgraphs: { users: {} } }
"""
    ).subscription
    reviews = config.callback_for("reviews")
    assert reviews is not None
    assert (reviews.public_url, reviews.path, reviews.listen) == (
        "http://127.0.0.1:4000/callback",
        "/callback",
        None,
    )
    assert reviews.heartbeat_seconds == 5.0  # Apollo's default
    assert config.callback_for("users") is None


def test_callback_heartbeat_interval_takes_a_duration_or_disable() -> None:
    def heartbeat(value: str) -> float | None:
        config = parse_config(
            "subscription: {mode: {callback: "
            f"{{public_url: 'http://r/cb', heartbeat_interval: {value}}}}}}}"
        ).subscription.mode.callback
        assert config is not None
        return config.heartbeat_seconds

    assert heartbeat("500ms") == 0.5
    assert heartbeat("disable") is None
    with pytest.raises(ConfigError, match=r"callback\.heartbeat_interval"):
        heartbeat("often")


def test_router_serve_without_public_url_exits_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "router.yaml"
    config.write_text("subscription:\n  mode:\n    callback: { path: /cb }\n")
    assert router_cli(["serve", "--config", str(config)]) != 0
    assert (
        "subscription.mode.callback.public_url: Field required"
        in capsys.readouterr().err
    )


def test_router_serve_refuses_callback_mode_over_several_workers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "router.yaml"
    config.write_text(
        f"supergraph:\n  file: {json.dumps(str(REPO / 'supergraph.graphql'))}\n"
        "subscription:\n  enabled: true\n  mode:\n"
        "    callback: { public_url: 'http://127.0.0.1:4000/callback' }\n"
    )
    assert router_cli(["serve", "--config", str(config), "--workers", "2"]) != 0
    assert "subscription.mode.callback: needs a single process" in (
        capsys.readouterr().err
    )
