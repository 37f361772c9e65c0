"""`router compose`: what a user sees, running the real command in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conftest import Cli


REPO = Path(__file__).resolve().parents[2]
COMMITTED = REPO / "supergraph.graphql"

_ALPHA_AND_BETA = """\
subgraphs:
  alpha:
    routing_url: http://127.0.0.1:4011/graphql
    schema: { file: alpha.graphql }
  beta:
    routing_url: http://127.0.0.1:4012/graphql
    schema: { file: beta.graphql }
"""
_HELLO = """\
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])

type Query {
  hello: String
}
"""


def _alpha_and_beta(folder: Path, beta_sdl: str | None = _HELLO) -> None:
    (folder / "router.yaml").write_text(_ALPHA_AND_BETA, encoding="utf-8")
    (folder / "alpha.graphql").write_text(_HELLO, encoding="utf-8")
    if beta_sdl is not None:
        (folder / "beta.graphql").write_text(beta_sdl, encoding="utf-8")


def test_compose_of_the_repository_registry_prints_the_committed_supergraph(
    cli: Cli,
) -> None:
    result = cli("compose", "--config", str(REPO / "router.yaml"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.encode() == COMMITTED.read_bytes()


def test_compose_output_option_writes_the_supergraph_file(
    cli: Cli, tmp_path: Path
) -> None:
    result = cli("compose", "--config", str(REPO / "router.yaml"), "-o", "out.graphql")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "wrote out.graphql (5 subgraphs)" in result.stderr
    assert (tmp_path / "out.graphql").read_bytes() == COMMITTED.read_bytes()


def test_compose_of_a_non_shareable_field_in_two_subgraphs_fails(
    cli: Cli, tmp_path: Path
) -> None:
    _alpha_and_beta(tmp_path)
    result = cli("compose")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "error[INVALID_FIELD_SHARING] (alpha, beta)" in result.stderr
    assert '"Query.hello"' in result.stderr
    assert "composition failed with 1 error(s)" in result.stderr


def test_compose_with_a_missing_schema_file_names_the_key(
    cli: Cli, tmp_path: Path
) -> None:
    _alpha_and_beta(tmp_path, beta_sdl=None)
    result = cli("compose")
    assert result.returncode == 1
    assert "router compose: subgraphs.beta.schema.file: cannot read" in result.stderr
    assert "beta.graphql" in result.stderr


def test_compose_with_an_unknown_key_names_it(cli: Cli, tmp_path: Path) -> None:
    _alpha_and_beta(tmp_path)
    with (tmp_path / "router.yaml").open("a", encoding="utf-8") as config:
        config.write("trafic_shaping: {}\n")
    result = cli("compose")
    assert result.returncode == 1
    assert "router.yaml: trafic_shaping: unknown key" in result.stderr


def test_compose_introspects_a_running_subgraph(
    cli: Cli, examples: Callable[..., Path], live_subgraph: Callable[[str], str]
) -> None:
    url = live_subgraph("products")
    config = examples()
    text = config.read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:4002/graphql", url)
    text = text.replace(
        "schema: { file: products/schema.graphql }", "schema: { introspect: true }"
    )
    config.write_text(text, encoding="utf-8")
    (
        config.parent / "products" / "schema.graphql"
    ).unlink()  # only the live subgraph can answer

    result = cli("compose")

    assert result.returncode == 0, result.stderr
    expected = COMMITTED.read_text(encoding="utf-8").replace(
        "http://127.0.0.1:4002/graphql", url
    )
    assert result.stdout == expected
