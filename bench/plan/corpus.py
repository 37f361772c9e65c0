"""The planning corpus: which operations, over which supergraphs.

One definition shared by the planner differential test (``tests/planner/
test_differential.py``) and the planning benchmark, so both measure the same thing:

- the hand-written operations of ``tests/planner/corpus/*.yaml`` over the example
  supergraph (``supergraph.graphql``);
- operations from ``tests/support/opgen.py`` over the example supergraph;
- a few generated operations over every supergraph found under
  ``tests/planner/scenarios/`` (any ``*.graphql`` there holding a ``@join__graph``),
  discovered when the corpus is built, so new scenarios join it without an edit here.

Generated operations are seeded: the corpus is the same on every run and machine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tests.support.opgen import EXAMPLE_ARGUMENT_VALUES, Options, generate

__all__ = [
    "CORPUS_DIR",
    "EXAMPLE_SUPERGRAPH",
    "MIN_OPERATIONS",
    "SCENARIOS_DIR",
    "CorpusGraph",
    "CorpusOperation",
    "build_corpus",
    "load_hand_written",
    "scenario_supergraphs",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_SUPERGRAPH = REPO_ROOT / "supergraph.graphql"
CORPUS_DIR = REPO_ROOT / "tests" / "planner" / "corpus"
SCENARIOS_DIR = REPO_ROOT / "tests" / "planner" / "scenarios"

MIN_OPERATIONS = 300
_SEED = 2026
_PER_SCENARIO = 6
_MIN_EXAMPLE_GENERATED = 120
_ENTRY_KEYS = {"name", "query", "variables"}


@dataclass(frozen=True, slots=True)
class CorpusOperation:
    """One operation to plan. ``name`` is unique across the corpus and is also the
    operation's name in ``query`` when it has one."""

    name: str
    query: str
    source: str  # "hand-written", "generated"
    operation_name: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CorpusGraph:
    """A supergraph and the operations planned over it."""

    name: str
    supergraph_sdl: str
    operations: tuple[CorpusOperation, ...]
    load_error: str | None = None  # our loader refused the supergraph: no operations


def load_hand_written(corpus_dir: Path = CORPUS_DIR) -> list[CorpusOperation]:
    """Every entry of ``corpus_dir/*.yaml``, in file then list order."""
    operations: list[CorpusOperation] = []
    names: set[str] = set()
    for path in sorted(corpus_dir.glob("*.yaml")):
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(entries, list):
            raise ValueError(f"{path.name}: expected a list of operations")
        for entry in entries:
            unknown = set(entry) - _ENTRY_KEYS
            if unknown or "name" not in entry or "query" not in entry:
                raise ValueError(
                    f"{path.name}: entry {entry.get('name')!r} needs name and query "
                    f"(unknown keys: {sorted(unknown)})"
                )
            name = entry["name"]
            if name in names:
                raise ValueError(f"{path.name}: duplicate operation name {name!r}")
            names.add(name)
            operations.append(
                CorpusOperation(
                    name=name,
                    query=entry["query"],
                    source="hand-written",
                    operation_name=name,
                    variables=dict(entry.get("variables") or {}),
                )
            )
    return operations


def scenario_supergraphs(scenarios_dir: Path = SCENARIOS_DIR) -> dict[str, str]:
    """Supergraph SDLs under ``scenarios_dir``, duplicates dropped.

    Each is named by its path relative to ``scenarios_dir``, without ``.graphql``, or
    by its folder's path for a ``supergraph.graphql``.
    """
    found: dict[str, str] = {}
    seen: set[str] = set()
    if not scenarios_dir.is_dir():
        return found
    for path in sorted(scenarios_dir.rglob("*.graphql")):
        sdl = path.read_text(encoding="utf-8")
        if "@join__graph" not in sdl or sdl in seen:
            continue
        seen.add(sdl)
        relative = path.relative_to(scenarios_dir)
        if relative.name == "supergraph.graphql" and relative.parent.parts:
            relative = relative.parent  # name it after its folder
        found[relative.with_suffix("").as_posix()] = sdl
    return found


def build_corpus(
    quick: bool = False, scenarios_dir: Path = SCENARIOS_DIR
) -> list[CorpusGraph]:
    """The whole corpus, example supergraph first; at least ``MIN_OPERATIONS`` in all.

    ``quick`` keeps the hand-written operations and a handful of generated ones, for
    smoke tests.
    """
    from planner.supergraph import load_supergraph

    hand_written = load_hand_written()
    scenarios = {} if quick else scenario_supergraphs(scenarios_dir)
    per_scenario = 0 if quick else _PER_SCENARIO
    if quick:
        example_count = 10
    else:
        remaining = MIN_OPERATIONS - len(hand_written) - per_scenario * len(scenarios)
        example_count = max(_MIN_EXAMPLE_GENERATED, remaining)

    example_sdl = EXAMPLE_SUPERGRAPH.read_text(encoding="utf-8")
    example_schema = load_supergraph(example_sdl).api_schema
    options = Options(argument_values=EXAMPLE_ARGUMENT_VALUES, name_prefix="Example")
    example_ops = hand_written + _generated(
        example_schema, _SEED, example_count, options
    )
    graphs = [CorpusGraph("example", example_sdl, tuple(example_ops))]
    for index, (name, sdl) in enumerate(scenarios.items()):
        try:
            schema = load_supergraph(sdl).api_schema
        except Exception as error:  # reported by the differential test, not fatal here
            graphs.append(
                CorpusGraph(name, sdl, (), f"{type(error).__name__}: {error}")
            )
            continue
        prefix = f"Scenario{index + 1}Op"
        ops = _generated(
            schema, _SEED + index + 1, per_scenario, Options(name_prefix=prefix)
        )
        graphs.append(CorpusGraph(name, sdl, tuple(ops)))
    return graphs


def _generated(
    schema: Any, seed: int, count: int, options: Options
) -> list[CorpusOperation]:
    return [
        CorpusOperation(
            name=op.name,
            query=op.document,
            source="generated",
            operation_name=op.name,
            variables=dict(op.variables),
        )
        for op in generate(schema, seed, count, options)
    ]
