"""`subscription` in router.yaml: Apollo's keys, merged and refused as Apollo documents."""

from __future__ import annotations

import pytest

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


def test_callback_mode_is_refused_naming_the_key() -> None:
    with pytest.raises(ConfigError, match=r"subscription\.mode.*callback"):
        parse_config("subscription: {mode: {callback: {public_url: http://x/cb}}}")


def test_apollo_1x_deduplication_key_wins_over_the_2x_one() -> None:
    config = parse_config(
        "subscription: {enable_deduplication: false, deduplication: {enabled: true}}"
    ).subscription
    assert config.deduplicate is False
