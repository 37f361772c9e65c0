"""How the gateway differential compares two responses (``support.gateway_corpus``)."""

from __future__ import annotations

from support.excused_paths import divergent_paths
from support.gateway_corpus import compare, differs_at, same_json


def test_key_order_is_part_of_equal_data() -> None:
    ours = {"data": {"a": 1, "b": {"c": 2, "d": 3}}}
    apollo = {"data": {"a": 1, "b": {"d": 3, "c": 2}}}
    (difference,) = compare(ours, apollo)
    assert difference.kind == "order"
    assert "data.b" in difference.detail


def test_numbers_compare_by_value_but_never_equal_booleans() -> None:
    assert compare({"data": {"x": 1}}, {"data": {"x": 1.0}}) == []
    (difference,) = compare({"data": {"x": True}}, {"data": {"x": 1}})
    assert difference.kind == "data"


def test_errors_compare_by_path_and_code_not_message() -> None:
    def error(message: str, code: str) -> dict[str, object]:
        return {"message": message, "path": ["a", 0], "extensions": {"code": code}}

    same = compare(
        {"data": None, "errors": [error("x", "E")]},
        {"data": None, "errors": [error("y", "E")]},
    )
    assert same == []
    (difference,) = compare(
        {"data": None, "errors": [error("x", "E"), error("x", "E")]},
        {"data": None, "errors": [error("x", "E")]},
    )
    assert difference.kind == "errors"


def test_a_missing_data_entry_differs_from_null_data() -> None:
    kinds = {d.kind for d in compare({"errors": []}, {"data": None})}
    assert kinds == {"data"}


# -- excuses as narrow as the bug -------------------------------------------------------

OURS = {
    "data": {
        "items": [{"id": "1", "book": {"title": "A"}}, {"id": "2", "book": None}],
        "me": {"name": "Ann"},
    }
}


def _apollo(me: str, second_id: str = "2") -> dict[str, object]:
    return {
        "data": {
            "items": [{"id": "1", "book": None}, {"id": second_id, "book": None}],
            "me": {"name": me},
        },
        "errors": [
            {"path": ["items", 0, "book", "title"], "extensions": {"code": "E"}}
        ],
    }


def test_an_excused_path_hides_only_what_lies_under_it() -> None:
    assert compare(OURS, _apollo("Ann"), ["data.items.@.book"]) == []
    # A difference outside the excused path is still reported, data or errors.
    (outside,) = compare(OURS, _apollo("Bob"), ["data.items.@.book"])
    assert outside.kind == "data" and "data.me" in outside.detail
    (sibling,) = compare(OURS, _apollo("Ann", second_id="3"), ["data.items.@.book"])
    assert "data.items.1.id" in sibling.detail
    kinds = {d.kind for d in compare(OURS, _apollo("Ann"), ["data.items.@.id"])}
    assert kinds == {"data", "errors"}


def test_an_excused_path_that_no_longer_differs_is_seen() -> None:
    assert differs_at(OURS, _apollo("Ann"), "data.items.@.book")
    assert not differs_at(OURS, _apollo("Ann"), "data.me")
    assert not differs_at(OURS, OURS, "data")


def test_divergent_paths_name_the_shallowest_differences() -> None:
    found = divergent_paths(OURS["data"], _apollo("Bob")["data"], same_json)
    assert found == ["data.items.@.book", "data.me.name"]
    assert divergent_paths(OURS["data"], None, same_json) == ["data"]
