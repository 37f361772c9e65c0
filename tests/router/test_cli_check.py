"""`router check`: composition errors and client-facing changes, as a user sees them.

Each test copies the example subgraphs' SDL and the committed supergraph into a
temporary folder, edits one subgraph, and runs the real command there.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import Cli

PAGES = "  pages: Int!\n"
REMOVE_PAGES = (PAGES, "")
ADD_ISBN = ("  author: String!\n", "  author: String!\n  isbn: String\n")
CHANGE_DEFAULT = ("topProducts(first: Int! = 5)", "topProducts(first: Int! = 10)")


@pytest.fixture
def edit(examples: Callable[..., Path]) -> Callable[..., None]:
    """Writes the example registry, then applies (old, new) replacements to one SDL."""
    folder = examples().parent

    def apply(subgraph: str, *replacements: tuple[str, str]) -> None:
        path = folder / subgraph / "schema.graphql"
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert old in text, f"{old!r} not in {subgraph}'s SDL"
            text = text.replace(old, new, 1)
        path.write_text(text, encoding="utf-8")

    return apply


def test_check_without_changes_exits_0(cli: Cli, edit: Callable[..., None]) -> None:
    edit("products")
    result = cli("check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "composition succeeded" in result.stdout
    assert "0 breaking, 0 dangerous, 0 safe change(s)" in result.stdout


def test_check_reports_a_removed_field_as_breaking(
    cli: Cli, edit: Callable[..., None]
) -> None:
    edit("products", REMOVE_PAGES)
    result = cli("check")
    assert result.returncode == 1
    changes = [
        line for line in result.stdout.splitlines() if line.startswith("BREAKING")
    ]
    assert changes == [line for line in changes if "FIELD_REMOVED Book.pages: " in line]
    assert len(changes) == 1
    assert "1 breaking, 0 dangerous, 0 safe change(s)" in result.stdout


def test_check_allow_breaking_exits_0_on_breaking_changes(
    cli: Cli, edit: Callable[..., None]
) -> None:
    edit("products", REMOVE_PAGES)
    result = cli("check", "--allow-breaking")
    assert result.returncode == 0
    assert "BREAKING FIELD_REMOVED Book.pages" in result.stdout


def test_check_reports_an_added_field_as_safe(
    cli: Cli, edit: Callable[..., None]
) -> None:
    edit("products", ADD_ISBN)
    result = cli("check")
    assert result.returncode == 0, result.stdout
    assert "SAFE FIELD_ADDED Book.isbn: " in result.stdout
    assert "0 breaking, 0 dangerous, 1 safe change(s)" in result.stdout


def test_check_json_format_has_errors_hints_changes_and_counts(
    cli: Cli, edit: Callable[..., None]
) -> None:
    edit("products", REMOVE_PAGES, ADD_ISBN, CHANGE_DEFAULT)
    result = cli("check", "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["errors"] == []
    # The example graph's one hint, which Apollo's composer gives too.
    assert [h["code"] for h in report["hints"]] == ["OVERRIDDEN_FIELD_CAN_BE_REMOVED"]
    assert report["hints"][0]["coordinate"] == "Product.stockCount"
    assert report["counts"] == {"BREAKING": 1, "DANGEROUS": 1, "SAFE": 1}
    assert {
        (c["criticality"], c["code"], c["coordinate"]) for c in report["changes"]
    } == {
        ("BREAKING", "FIELD_REMOVED", "Book.pages"),
        ("SAFE", "FIELD_ADDED", "Book.isbn"),
        ("DANGEROUS", "ARG_DEFAULT_CHANGED", "Query.topProducts(first:)"),
    }
    assert (report["ok"], report["composed"]) == (False, True)


def test_check_github_format_annotates_each_change(
    cli: Cli, edit: Callable[..., None]
) -> None:
    edit("products", REMOVE_PAGES, ADD_ISBN, CHANGE_DEFAULT)
    result = cli("check", "--format", "github")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("::error title=BREAKING FIELD_REMOVED::Book.pages: ")
        for line in lines
    )
    assert any(
        line.startswith(
            "::warning title=DANGEROUS ARG_DEFAULT_CHANGED::Query.topProducts(first:): "
        )
        for line in lines
    )
    assert any(
        line.startswith("::notice title=SAFE FIELD_ADDED::Book.isbn: ")
        for line in lines
    )


def test_check_github_format_locates_composition_errors_in_the_schema_file(
    cli: Cli, edit: Callable[..., None], tmp_path: Path
) -> None:
    edit("products", (PAGES, "  pages(: Int!\n"))
    line = (tmp_path / "products" / "schema.graphql").read_text(
        encoding="utf-8"
    ).splitlines().index("  pages(: Int!") + 1
    result = cli("check", "--format", "github")
    assert result.returncode == 1
    errors = [
        line for line in result.stdout.splitlines() if line.startswith("::error ")
    ]
    assert len(errors) == 1
    assert errors[0].startswith(
        f"::error file=products/schema.graphql,line={line},col=9,title=INVALID_GRAPHQL::"
    )


def test_check_fails_on_a_composition_error(
    cli: Cli, edit: Callable[..., None]
) -> None:
    edit(
        "reviews",
        ("  review(id: ID!): Review\n", "  review(id: ID!): Review\n  me: User!\n"),
    )
    result = cli("check")
    assert result.returncode == 1
    assert "error[INVALID_FIELD_SHARING] (reviews, users)" in result.stdout
    assert "composition failed with 1 error(s)" in result.stdout
