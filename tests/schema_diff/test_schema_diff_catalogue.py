"""The change-code catalogue, the `SchemaChange` record and its text format."""

from __future__ import annotations

import dataclasses
import re

import pytest
from graphql import build_schema

from planner.schema_diff import (
    CHANGE_CODES,
    Criticality,
    SchemaChange,
    diff_schemas,
    format_changes_text,
)
from planner.schema_diff.change import make_change


def test_codes_are_upper_snake_case() -> None:
    for code in CHANGE_CODES:
        assert re.fullmatch(r"[A-Z]+(_[A-Z]+)*", code), code


def test_every_code_has_a_one_line_description_and_rule() -> None:
    for code, rule in CHANGE_CODES.items():
        assert rule.levels, code
        assert rule.rule, code
        assert "\n" not in rule.description, code
        assert rule.description.endswith("."), code


def test_only_type_changes_have_a_level_chosen_per_change() -> None:
    variable = {code for code, rule in CHANGE_CODES.items() if rule.fixed is None}
    assert variable == {
        "FIELD_TYPE_CHANGED",
        "ARG_TYPE_CHANGED",
        "INPUT_FIELD_TYPE_CHANGED",
    }


def test_make_change_takes_the_level_from_the_catalogue() -> None:
    change = make_change("FIELD_REMOVED", "Query.a", "Field 'a' was removed")
    assert change.criticality is Criticality.BREAKING


def test_make_change_rejects_a_level_the_code_cannot_carry() -> None:
    with pytest.raises(ValueError, match="FIELD_REMOVED"):
        make_change("FIELD_REMOVED", "Query.a", "m", Criticality.SAFE)


def test_make_change_requires_a_level_for_type_changes() -> None:
    with pytest.raises(ValueError, match="FIELD_TYPE_CHANGED"):
        make_change("FIELD_TYPE_CHANGED", "Query.a", "m")


def test_make_change_rejects_codes_missing_from_the_catalogue() -> None:
    with pytest.raises(KeyError):
        make_change("FIELD_VANISHED", "Query.a", "m")


def test_schema_change_is_frozen_and_slotted() -> None:
    change = SchemaChange(Criticality.SAFE, "FIELD_ADDED", "Query.b", "m")
    assert not hasattr(change, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        change.code = "FIELD_REMOVED"  # type: ignore[misc]


def test_text_format_is_level_code_coordinate_and_message() -> None:
    changes = diff_schemas(
        build_schema("type Query { a: Int users: [String] }"),
        build_schema("type Query { a: Int b: Int }"),
    )
    assert format_changes_text(changes).splitlines() == [
        "SAFE FIELD_ADDED Query.b: Field 'b' was added to object type 'Query'",
        "BREAKING FIELD_REMOVED Query.users: "
        "Field 'users' was removed from object type 'Query'",
    ]


def test_text_format_of_no_changes_is_empty() -> None:
    assert format_changes_text([]) == ""
