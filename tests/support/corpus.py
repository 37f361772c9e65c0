"""The composition corpus: `tests/composition/cases/<NNN-name>/` read into `Case`s.

Each case directory holds `case.yaml` (`description`, `subgraphs` in order, `expect`:
`ok` or a list of error codes), one `<subgraph>.graphql` per subgraph and, for `ok`
cases once recorded, our expected `supergraph.graphql`. The example subgraphs listed by
`router.yaml` are read into a `Case` too, so they go through the same comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from support.oracle import REPO_ROOT

__all__ = [
    "CASES_DIR",
    "ROUTER_YAML",
    "SNAPSHOT_FILE",
    "Case",
    "Subgraph",
    "load_case",
    "load_cases",
    "load_router_yaml_case",
    "subgraph_url",
]

CASES_DIR = REPO_ROOT / "tests" / "composition" / "cases"
ROUTER_YAML = REPO_ROOT / "router.yaml"
SNAPSHOT_FILE = "supergraph.graphql"
_CASE_KEYS = {"description", "subgraphs", "expect"}


@dataclass(frozen=True, slots=True)
class Subgraph:
    name: str
    url: str
    sdl: str


@dataclass(frozen=True, slots=True)
class Case:
    """One composition input and its verdict: `expected_codes` is empty for `ok`."""

    name: str
    path: Path
    description: str
    subgraphs: tuple[Subgraph, ...]
    expected_codes: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.expected_codes

    @property
    def snapshot(self) -> Path:
        return self.path / SNAPSHOT_FILE

    def oracle_input(self) -> list[dict[str, str]]:
        return [{"name": s.name, "url": s.url, "sdl": s.sdl} for s in self.subgraphs]


def subgraph_url(name: str) -> str:
    """The routing URL corpus subgraphs are composed with (it lands in join__Graph)."""
    return f"http://{name}/graphql"


def load_case(path: Path) -> Case:
    """Read one case directory; a malformed case raises ValueError naming the file."""
    spec_path = path / "case.yaml"
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    if not isinstance(spec, dict) or set(spec) != _CASE_KEYS:
        raise ValueError(f"{spec_path}: keys must be exactly {sorted(_CASE_KEYS)}")
    names = spec["subgraphs"]
    if not isinstance(names, list) or not names or len(set(names)) != len(names):
        raise ValueError(f"{spec_path}: subgraphs must be a non-empty list of names")
    expect = spec["expect"]
    if expect == "ok":
        codes: tuple[str, ...] = ()
    elif (
        isinstance(expect, list) and expect and all(isinstance(c, str) for c in expect)
    ):
        codes = tuple(expect)
    else:
        raise ValueError(f"{spec_path}: expect must be `ok` or a list of error codes")
    subgraphs = tuple(
        Subgraph(
            name=str(name),
            url=subgraph_url(str(name)),
            sdl=(path / f"{name}.graphql").read_text(encoding="utf-8"),
        )
        for name in names
    )
    return Case(
        name=path.name,
        path=path,
        description=str(spec["description"]),
        subgraphs=subgraphs,
        expected_codes=codes,
    )


def load_cases() -> list[Case]:
    """Every case of the corpus, in directory-name order."""
    return [
        load_case(path)
        for path in sorted(CASES_DIR.iterdir())
        if (path / "case.yaml").is_file()
    ]


def load_router_yaml_case() -> tuple[Case | None, str]:
    """The subgraphs `router.yaml` lists with `schema: {file: ...}`, as an `ok` case.

    Returns (None, reason) when there is nothing to compare yet.
    """
    if not ROUTER_YAML.is_file():
        return None, "router.yaml is not in the repository yet"
    config = yaml.safe_load(ROUTER_YAML.read_text(encoding="utf-8")) or {}
    entries = config.get("subgraphs") or {}
    subgraphs = []
    for name, entry in entries.items():
        schema = (entry or {}).get("schema") or {}
        if "file" not in schema:
            continue
        subgraphs.append(
            Subgraph(
                name=str(name),
                url=str(entry.get("routing_url", subgraph_url(str(name)))),
                sdl=(REPO_ROOT / schema["file"]).read_text(encoding="utf-8"),
            )
        )
    if not subgraphs:
        return None, "router.yaml lists no subgraph with `schema: {file: ...}`"
    case = Case(
        name="router.yaml",
        path=ROUTER_YAML.parent,
        description="The example subgraphs listed in router.yaml.",
        subgraphs=tuple(subgraphs),
        expected_codes=(),
    )
    return case, ""
