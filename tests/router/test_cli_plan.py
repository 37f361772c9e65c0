"""`router plan`: what a user sees when asking for an operation's query plan.

Expected plans are Apollo's own, from the plan-format fixtures (their `example` graph is
the repository's supergraph). Most tests call `main()` in-process; two run the real
command, with a file and with stdin.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from planner.plan_json import plan_from_json
from router.cli import main

if TYPE_CHECKING:
    from conftest import Cli

REPO = Path(__file__).resolve().parents[2]
SUPERGRAPH = REPO / "supergraph.graphql"
PLAN_FIXTURES = REPO / "tests" / "planner" / "fixtures" / "plan_format"


def _apollo(graph: str, operation: str) -> dict[str, Any]:
    expected = json.loads((PLAN_FIXTURES / "expected" / f"{graph}.json").read_text())
    result: dict[str, Any] = expected[operation]
    return result


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory holding the example supergraph.graphql."""
    shutil.copy(SUPERGRAPH, tmp_path / "supergraph.graphql")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _query(folder: Path, text: str, name: str = "query.graphql") -> str:
    (folder / name).write_text(text, encoding="utf-8")
    return name


def test_plan_prints_apollos_text_format(cli: Cli, here: Path) -> None:
    apollo = _apollo("example", "single_fetch")
    result = cli("plan", _query(here, apollo["query"]), cwd=here)
    assert result.returncode == 0, result.stderr
    assert result.stdout == apollo["text"] + "\n"


def test_plan_reads_the_query_from_stdin(cli: Cli, here: Path) -> None:
    import subprocess
    import sys

    apollo = _apollo("example", "single_fetch")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "router.cli",
            "plan",
            "-",
            "--supergraph",
            str(SUPERGRAPH),
        ],
        input=apollo["query"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=here,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == apollo["text"] + "\n"


def test_plan_json_format_is_apollos_json_plan(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    apollo = _apollo("example", "single_fetch")
    assert main(["plan", "--format", "json", _query(here, apollo["query"])]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == apollo["plan"]
    plan_from_json(printed)


def test_plan_override_labels_choose_the_new_owner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    supergraph = str(PLAN_FIXTURES / "supergraphs" / "override.graphql")
    query = _query(tmp_path, _apollo("override", "label_on")["query"])
    argv = ["plan", "--supergraph", supergraph, query]
    assert main([*argv, "--override-label", "newTotals"]) == 0
    assert capsys.readouterr().out == _apollo("override", "label_on")["text"] + "\n"
    assert main(argv) == 0
    assert capsys.readouterr().out == _apollo("override", "label_off")["text"] + "\n"


def test_plan_defaults_to_router_yaml_supergraph_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "graphs").mkdir()
    shutil.copy(SUPERGRAPH, tmp_path / "graphs" / "composed.graphql")
    (tmp_path / "router.yaml").write_text(
        "supergraph:\n  file: graphs/composed.graphql\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    apollo = _apollo("example", "single_fetch")
    assert main(["plan", _query(tmp_path, apollo["query"])]) == 0
    assert capsys.readouterr().out == apollo["text"] + "\n"


def test_plan_of_a_syntax_error_prints_parse_failed_with_its_location(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", _query(here, "{ me { name }")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        "error[GRAPHQL_PARSE_FAILED]: Syntax Error: Expected Name, found <EOF>.\n"
        "  --> query.graphql:1:14\n"
    )


def test_plan_of_an_invalid_query_prints_every_validation_error(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = "{ me { zzz } product { name } }"
    assert main(["plan", _query(here, query)]) == 1
    err = capsys.readouterr().err
    assert err.count("error[GRAPHQL_VALIDATION_FAILED]") == 2
    assert "Cannot query field 'zzz' on type 'User'." in err
    assert "  --> query.graphql:1:8" in err
    assert "'Query.product(upc:)' of type 'String!' is required" in err
    assert "  --> query.graphql:1:14" in err


def test_plan_hides_inaccessible_fields_like_the_router(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = '{ product(upc: "1") { costPrice } }'
    assert main(["plan", _query(here, query)]) == 1
    assert "Cannot query field 'costPrice'" in capsys.readouterr().err


def test_plan_errors_in_json_format_are_graphql_errors_on_stdout(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--format", "json", _query(here, "{ me { zzz } }")]) == 1
    printed = json.loads(capsys.readouterr().out)
    assert printed == {
        "errors": [
            {
                "message": "Cannot query field 'zzz' on type 'User'.",
                "locations": [{"line": 1, "column": 8}],
                "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"},
            }
        ]
    }


def test_plan_of_an_unknown_operation_name_fails(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = _query(here, "query A { me { name } }")
    assert main(["plan", query, "--operation-name", "B"]) == 1
    assert capsys.readouterr().err == (
        'error[GRAPHQL_UNKNOWN_OPERATION_NAME]: Unknown operation named "B".\n'
    )


def test_plan_of_several_operations_needs_an_operation_name(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = _query(here, "query A { me { name } } query B { me { id } }")
    assert main(["plan", query]) == 1
    assert "Must provide operation name" in capsys.readouterr().err


def test_plan_of_a_missing_query_file_fails(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "nope.graphql"]) == 1
    assert capsys.readouterr().err == (
        "router plan: nope.graphql: cannot read: No such file or directory\n"
    )


def test_plan_without_a_supergraph_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["plan", _query(tmp_path, "{ me { name } }")]) == 1
    assert capsys.readouterr().err == (
        "router plan: supergraph supergraph.graphql: cannot read: "
        "No such file or directory\n"
    )


def test_plan_with_a_broken_supergraph_names_the_supergraph_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.graphql").write_text("type Query { a: Int }\n", encoding="utf-8")
    argv = ["plan", "--supergraph", "bad.graphql", _query(tmp_path, "{ a }")]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("router plan: supergraph bad.graphql: ")
    assert err.rstrip().endswith(")")


def test_plan_accepts_defer_and_prints_the_defer_node(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    query = '{ product(upc: "UPC-0001") { name ... @defer(label: "r") { reviews { body } } } }'
    assert main(["plan", _query(here, query)]) == 0
    printed = capsys.readouterr().out
    assert "  Defer {\n    Primary {" in printed
    assert 'Deferred(depends: [0], path: "product", label: "r")' in printed


BENCH = REPO / "bench" / "gateway" / "inputs"


def _bench_here(tmp_path: Path, router_yaml: str) -> Path:
    shutil.copy(BENCH / "supergraph.graphql", tmp_path / "supergraph.graphql")
    shutil.copy(BENCH / "query.graphql", tmp_path / "query.graphql")
    (tmp_path / "router.yaml").write_text(router_yaml, encoding="utf-8")
    return tmp_path


def test_plan_lays_out_stages_as_router_yaml_says(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The plan printed is the one the router runs: with same-level stages off in
    router.yaml, Apollo's shape; by default, the staged plan."""
    (tmp_path / "staged").mkdir()
    (tmp_path / "apollo").mkdir()
    staged_dir = _bench_here(tmp_path / "staged", "supergraph: {}\n")
    monkeypatch.chdir(staged_dir)
    assert main(["plan", "query.graphql"]) == 0
    staged = capsys.readouterr().out

    off = "supergraph:\n  query_planning:\n    merge_same_level_fetches: false\n"
    apollo_dir = _bench_here(tmp_path / "apollo", off)
    monkeypatch.chdir(apollo_dir)
    assert main(["plan", "query.graphql"]) == 0
    apollo_shape = capsys.readouterr().out
    # --config names the file explicitly, from anywhere.
    monkeypatch.chdir(staged_dir)
    config = str(apollo_dir / "router.yaml")
    assert main(["plan", "--config", config, "query.graphql"]) == 0
    assert capsys.readouterr().out == apollo_shape

    # Staged: four stages, the entity fetches of a stage side by side.
    assert staged.startswith("QueryPlan {\n  Sequence {\n    Parallel {\n")
    assert staged.count("Flatten(") == apollo_shape.count("Flatten(")
    assert staged != apollo_shape
    # Apollo's shape nests each entity fetch under the fetch it depends on.
    assert apollo_shape.count("Sequence {") > staged.count("Sequence {")


def test_plan_without_defer_support_refuses_defer_as_the_router_does(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "router.yaml").write_text(
        "supergraph:\n  file: supergraph.graphql\n  defer_support: false\n",
        encoding="utf-8",
    )
    query = '{ product(upc: "UPC-0001") { name ... @defer { reviews { body } } } }'
    assert main(["plan", "--format", "json", _query(here, query)]) == 1
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert [e["extensions"]["code"] for e in errors] == ["GRAPHQL_VALIDATION_FAILED"]
    assert "defer" in errors[0]["message"]


def test_plan_with_a_bad_config_names_the_config_error(
    here: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (here / "router.yaml").write_text(
        "supergraph:\n  query_planning:\n    merge_same_level_fetches: sometimes\n",
        encoding="utf-8",
    )
    assert main(["plan", _query(here, "{ topProducts { name } }")]) == 1
    assert "merge_same_level_fetches" in capsys.readouterr().err
