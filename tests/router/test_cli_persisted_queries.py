"""`router persisted-queries check` and `router check` with manifests, as CI runs them.

Each test copies the example subgraphs' SDL and the committed supergraph into a
temporary folder (the `examples` fixture), writes a manifest there and runs the real
command.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Cli

PAGES = "query BookPages { productItems(first: 2) { id ... on Book { pages } } }"
TOP = "query Top { topProducts(first: 2) { upc name } }"
TYPO = "query Typo { topProducts { upc nme } }"
REMOVE_PAGES = ("  pages: Int!\n", "")


def manifest(folder: Path, name: str, operations: dict[str, str]) -> Path:
    path = folder / name
    path.write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [
                    {"id": id_, "body": body, "name": body.split()[1], "type": "query"}
                    for id_, body in operations.items()
                ],
            }
        ),
        encoding="utf-8",
    )
    return path


def remove_pages(folder: Path) -> None:
    path = folder / "products" / "schema.graphql"
    text = path.read_text(encoding="utf-8")
    assert REMOVE_PAGES[0] in text
    path.write_text(text.replace(*REMOVE_PAGES, 1), encoding="utf-8")


def enable_list(config: Path, *files: str) -> None:
    with config.open("a", encoding="utf-8") as out:
        out.write(
            "persisted_queries:\n  enabled: true\n"
            f"  local_manifests: [{', '.join(files)}]\n"
        )


def test_check_passes_when_every_operation_validates(
    cli: Cli, examples: Callable[..., Path]
) -> None:
    folder = examples().parent
    manifest(folder, "m.json", {"a": TOP, "b": PAGES})
    result = cli("persisted-queries", "check", "m.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 operation(s) checked against" in result.stdout
    assert "2 valid, 0 invalid" in result.stdout


def test_check_names_each_operation_that_does_not_validate(
    cli: Cli, examples: Callable[..., Path]
) -> None:
    folder = examples().parent
    manifest(folder, "m.json", {"a": TOP, "typo-id": TYPO})
    result = cli("persisted-queries", "check", "m.json")
    assert result.returncode == 1
    assert (
        "error[GRAPHQL_VALIDATION_FAILED] Typo (id typo-id, m.json operations[1]): "
        "Cannot query field 'nme' on type 'Product'." in result.stdout
    )
    assert "--> m.json operations[1] body:1:32" in result.stdout
    assert "1 valid, 1 invalid" in result.stdout


def test_check_reads_the_list_and_supergraph_router_yaml_serves(
    cli: Cli, examples: Callable[..., Path]
) -> None:
    config = examples()
    (config.parent / "relay.json").write_text(json.dumps({"r1": TYPO}), "utf-8")
    enable_list(config, "relay.json")
    result = cli("persisted-queries", "check", "--format", "json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["supergraph"].endswith("supergraph.graphql")
    (invalid,) = report["invalid"]
    assert (invalid["id"], invalid["name"], invalid["where"]) == (
        "r1",
        "Typo",
        '["r1"]',
    )
    assert invalid["manifest"] == "persisted_queries.local_manifests[0]"
    assert invalid["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"


def test_check_refuses_a_malformed_manifest_naming_where(
    cli: Cli, examples: Callable[..., Path]
) -> None:
    folder = examples().parent
    (folder / "m.json").write_text(
        json.dumps(
            {
                "format": "apollo-persisted-query-manifest",
                "version": 1,
                "operations": [{"id": "a", "body": TOP}, {"id": "b"}],
            }
        ),
        "utf-8",
    )
    result = cli("persisted-queries", "check", "m.json")
    assert result.returncode == 1
    assert "m.json: operations[1].body: must be a string" in result.stderr


def test_router_check_fails_a_change_that_breaks_a_manifest_operation(
    cli: Cli, examples: Callable[..., Path]
) -> None:
    folder = examples().parent
    manifest(folder, "m.json", {"top-id": TOP, "pages-id": PAGES})
    remove_pages(folder)
    result = cli("check", "--manifest", "m.json", "--allow-breaking")
    assert result.returncode == 1
    assert "BREAKING FIELD_REMOVED Book.pages" in result.stdout
    assert (
        "BREAKING PERSISTED_QUERY_INVALID BookPages (id pages-id, --manifest m.json "
        "operations[1]): Cannot query field 'pages' on type 'Book'." in result.stdout
    )
    assert "Top (id top-id" not in result.stdout
    assert "1 persisted-query operation(s) no longer validate" in result.stdout


def test_router_check_passes_a_breaking_change_no_manifest_operation_uses(
    cli: Cli, examples: Callable[..., Path]
) -> None:
    folder = examples().parent
    manifest(folder, "m.json", {"top-id": TOP})
    remove_pages(folder)
    result = cli("check", "--manifest", "m.json", "--allow-breaking")
    assert result.returncode == 0, result.stdout
    assert "PERSISTED_QUERY_INVALID" not in result.stdout


def test_router_check_reads_router_yaml_manifests_and_reports_them_in_json(
    cli: Cli, examples: Callable[..., Path]
) -> None:
    config = examples()
    manifest(config.parent, "m.json", {"pages-id": PAGES})
    enable_list(config, "m.json")
    remove_pages(config.parent)
    result = cli("check", "--format", "json", "--allow-breaking")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["ok"] is False
    (invalid,) = report["persisted_queries"]["invalid"]
    assert (invalid["id"], invalid["name"]) == ("pages-id", "BookPages")


def test_router_check_annotates_a_broken_operation_for_github(
    cli: Cli, examples: Callable[..., Path]
) -> None:
    folder = examples().parent
    manifest(folder, "m.json", {"pages-id": PAGES})
    remove_pages(folder)
    result = cli("check", "--manifest", "m.json", "--format", "github")
    assert result.returncode == 1
    assert (
        "::error title=BREAKING PERSISTED_QUERY_INVALID::BookPages (id pages-id"
        in result.stdout
    )
