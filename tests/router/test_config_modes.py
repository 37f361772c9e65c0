"""`router dev` and `router serve` defaults for what router.yaml leaves unset
(router.config.modes), and `supergraph.explorer`'s validation."""

from __future__ import annotations

import pytest

from router.config import (
    ConfigError,
    explorer_enabled,
    parse_config,
    with_mode_defaults,
)


def settled(text: str, *, dev: bool) -> tuple[bool, bool]:
    config = with_mode_defaults(parse_config(text), dev=dev)
    return config.supergraph.introspection, explorer_enabled(config)


def test_serve_leaves_introspection_and_the_explorer_off() -> None:
    assert settled("", dev=False) == (False, False)


def test_serve_with_introspection_still_has_no_explorer_unless_asked() -> None:
    assert settled("supergraph: {introspection: true}", dev=False) == (True, False)


def test_dev_turns_introspection_and_the_explorer_on() -> None:
    assert settled("", dev=True) == (True, True)


def test_dev_keeps_introspection_off_when_the_file_says_so_and_then_no_explorer() -> (
    None
):
    assert settled("supergraph: {introspection: false}", dev=True) == (False, False)


def test_an_explicit_explorer_is_served_even_with_introspection_off() -> None:
    text = "supergraph: {introspection: false, explorer: true}"
    assert settled(text, dev=False) == (False, True)
    assert settled(text, dev=True) == (False, True)


def test_an_explicit_false_turns_the_explorer_off_under_dev() -> None:
    assert settled("supergraph: {explorer: false}", dev=True) == (True, False)


def test_explorer_takes_only_booleans_and_the_error_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"supergraph\.explorer"):
        parse_config("supergraph: {explorer: sometimes}")


def test_explorer_from_an_environment_variable() -> None:
    config = parse_config(
        "supergraph: {explorer: '${env.EXPLORER}'}", environ={"EXPLORER": "true"}
    )
    assert explorer_enabled(config)
