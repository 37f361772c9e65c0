"""The supergraph fixtures: where they live, how the derived ones are made.

``fixtures/<case>/supergraph.graphql`` is one supergraph. Composed cases also keep the
subgraphs Apollo's composer made it from (``fixtures/<case>/subgraphs/<name>.graphql``,
composed in file-name order, url ``http://<name>:4000/graphql``). Derived cases are
another case's supergraph rewritten by text rules (renamed links and imports), hand-written
cases are committed as they are. ``fixtures/errors/*.graphql`` are refused supergraphs whose
first lines say ``# expect: CODE`` and ``# message: text the message must contain``.

Run ``.venv/bin/python -m tests.supergraph.regenerate_fixtures`` after editing subgraphs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DERIVED",
    "FIXTURES_DIR",
    "ErrorCase",
    "SupergraphCase",
    "derive",
    "error_cases",
    "supergraph_cases",
]

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"

_JOIN_V03 = '@link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)'
_LINK_V10 = '@link(url: "https://specs.apollo.dev/link/v1.0")'

# case -> (base case, ordered (old, new) text replacements, header comment)
DERIVED: dict[str, tuple[str, tuple[tuple[str, str], ...], str]] = {
    "renamed_links": (
        "inaccessible",
        (
            (
                _JOIN_V03,
                '@link(url: "https://specs.apollo.dev/join/v0.3", as: "j", for: EXECUTION)',
            ),
            ("join__", "j__"),
            (
                '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)',
                '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", as: "hidden", for: SECURITY)',
            ),
            ("@inaccessible", "@hidden"),
            (
                '@link(url: "https://specs.apollo.dev/tag/v0.3")',
                '@link(url: "https://specs.apollo.dev/tag/v0.3", import: [{name: "@tag", as: "@label"}])',
            ),
            ("@tag(", "@label("),
        ),
        'the inaccessible case with join linked as: "j", inaccessible as: "hidden" and @tag '
        "imported as @label",
    ),
    "imported_join": (
        "entities",
        (
            (
                _JOIN_V03,
                '@link(url: "https://specs.apollo.dev/join/v0.3", as: "fed", for: EXECUTION, '
                'import: ["@field", {name: "@type", as: "@participant"}, "Graph"])',
            ),
            ("@join__field", "@field"),
            ("@join__type", "@participant"),
            ("join__Graph", "Graph"),
            ("join__", "fed__"),
        ),
        'the entities case with join linked as: "fed", importing @field, @type as '
        "@participant, and Graph",
    ),
    "core_v02": (
        "join_v02",
        (
            (
                _LINK_V10,
                '@core(feature: "https://specs.apollo.dev/core/v0.2")',
            ),
            (
                '@link(url: "https://specs.apollo.dev/join/v0.2", for: EXECUTION)',
                '@core(feature: "https://specs.apollo.dev/join/v0.2", for: EXECUTION)',
            ),
            (
                '@link(url: "https://specs.apollo.dev/tag/v0.2")',
                '@core(feature: "https://specs.apollo.dev/tag/v0.1")',
            ),
            (
                '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)',
                '@core(feature: "https://specs.apollo.dev/inaccessible/v0.1", for: SECURITY)',
            ),
            (
                "directive @link(url: String, as: String, for: link__Purpose, import: "
                "[link__Import]) repeatable on SCHEMA",
                "directive @core(feature: String!, as: String, for: core__Purpose) "
                "repeatable on SCHEMA",
            ),
            ("scalar link__Import\n\n", ""),
            ("enum link__Purpose", "enum core__Purpose"),
            (
                "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION | "
                "ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | "
                "INPUT_FIELD_DEFINITION",
                "directive @inaccessible on FIELD_DEFINITION | OBJECT | INTERFACE | UNION",
            ),
            (
                "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | "
                "INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | "
                "INPUT_OBJECT | INPUT_FIELD_DEFINITION",
                "directive @tag(name: String!) repeatable on FIELD_DEFINITION | OBJECT | "
                "INTERFACE | UNION",
            ),
        ),
        "the join_v02 case in the older @core(feature:) form of Federation 2 previews",
    ),
}


@dataclass(frozen=True)
class SupergraphCase:
    """One fixture supergraph, with the subgraphs it was composed from (if composed)."""

    name: str
    supergraph: str
    subgraphs: tuple[dict[str, str], ...]

    @property
    def path(self) -> Path:
        return FIXTURES_DIR / self.name / "supergraph.graphql"


@dataclass(frozen=True)
class ErrorCase:
    """A supergraph the loader must refuse with ``code``, saying ``message``."""

    name: str
    supergraph: str
    code: str
    message: str


def read_subgraphs(case_dir: Path) -> tuple[dict[str, str], ...]:
    """The composition input of a composed case (empty for other cases)."""
    return tuple(
        {
            "name": path.stem,
            "url": f"http://{path.stem}:4000/graphql",
            "sdl": path.read_text(),
        }
        for path in sorted((case_dir / "subgraphs").glob("*.graphql"))
    )


def supergraph_cases() -> list[SupergraphCase]:
    """Every accepted fixture, by name."""
    return [
        SupergraphCase(
            path.name, (path / "supergraph.graphql").read_text(), read_subgraphs(path)
        )
        for path in sorted(FIXTURES_DIR.iterdir())
        if (path / "supergraph.graphql").is_file()
    ]


def error_cases() -> list[ErrorCase]:
    """Every refused fixture."""
    cases = []
    for path in sorted((FIXTURES_DIR / "errors").glob("*.graphql")):
        text = path.read_text()
        code = re.search(r"^# expect: (\w+)$", text, re.MULTILINE)
        message = re.search(r"^# message: (.+)$", text, re.MULTILINE)
        assert code and message, (
            f"{path} needs '# expect: CODE' and '# message: ...' lines"
        )
        cases.append(ErrorCase(path.stem, text, code[1], message[1]))
    return cases


def derive(name: str) -> str:
    """The derived case's supergraph, made from its base case's committed supergraph."""
    base, replacements, summary = DERIVED[name]
    text = (FIXTURES_DIR / base / "supergraph.graphql").read_text()
    text = "".join(line for line in text.splitlines(True) if not line.startswith("#"))
    for old, new in replacements:
        assert old in text, f"{name}: {old!r} not found in {base}"
        text = text.replace(old, new)
    header = f"# Derived by tests/supergraph/fixtures.py: {summary}.\n"
    return header + text
