"""How the gateway differential compares two responses (``support.gateway_corpus``)."""

from __future__ import annotations

from support.gateway_corpus import compare


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
