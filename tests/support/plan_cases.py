"""The planner conformance scenarios: `tests/planner/scenarios/<NN-name>/` read into cases.

A scenario folder holds `case.yaml` and, per operation, the plan Apollo's query planner
prints for it (`plan.txt` for a single unnamed operation, `plan-<id>.txt` otherwise).
Its supergraph is either its own (`subgraphs:` lists `<name>.graphql` files in the
folder) or a shared one (`supergraph: <name>` names `scenarios/_supergraphs/<name>/`,
whose `graph.yaml` lists the subgraphs). Either way the folder of the SDLs also holds
`supergraph.graphql`, composed by Apollo (`tests/planner/scenarios/regenerate.py`).

`case.yaml` keys:

- `title` (required): the scenario's sentence from QUERY_PLANNING.md §5;
- `supergraph` or `subgraphs` (exactly one);
- `operations` (required): a list of `{id?, query, operation_name?, override_labels?}`;
  `id` is required when there are several and names the plan file;
- `expect`: `plan_text` (default: our printed plan equals the file) or `valid_plan`
  (planning returns a plan within `max_seconds`, required then);
- `port_note`: why we deliberately differ from Apollo, if we do;
- `apollo_note`: where Apollo's plan is not the shape the sentence describes, and why;
- `fetch_details: true`: the point is in what the text form does not print (variable
  usages, input and output rewrites), so Apollo's JSON plan is kept too (`plan.json`,
  `plan-<id>.json`) and each fetch's details are compared with ours;
- `execution`: runs of the plan against mock subgraphs, for the runtime tests. Each run
  names its `operation` (id), optionally a `name` and client `variables`, lists the
  subgraph `requests` in plan order (`service`; `variables` the request must carry,
  `representations` in full and in order; the canned `response` body; `http_status`,
  200 unless given) and the client `response` expected: `data` exactly, key order
  included, and `errors` one for one, each matching on the keys it gives (`message`,
  `path`, `extensions` entries); `{}` matches any error.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypedDict

import pytest
import yaml

from support.corpus import Subgraph, subgraph_url
from support.oracle import ORACLE_DIR, REPO_ROOT, require_oracle

__all__ = [
    "BATCH_PLAN_SCRIPT",
    "ORACLE_PLAN_SCRIPT",
    "SCENARIOS_DIR",
    "SHARED_GRAPHS_DIR",
    "ApolloPlan",
    "GraphSource",
    "PlanOperation",
    "ScenarioCase",
    "load_graph",
    "load_scenario",
    "load_scenarios",
    "plan_with_apollo",
    "shared_graphs",
]

SCENARIOS_DIR = REPO_ROOT / "tests" / "planner" / "scenarios"
SHARED_GRAPHS_DIR = SCENARIOS_DIR / "_supergraphs"
SUPERGRAPH_FILE = "supergraph.graphql"
ORACLE_PLAN_SCRIPT = ORACLE_DIR / "plan.mjs"
# oracle/plan.mjs's twin for many supergraphs in one process (node start-up dominates).
BATCH_PLAN_SCRIPT = SCENARIOS_DIR / "plan_batches.mjs"
_TIMEOUT_SECONDS = 240

_REQUIRED_KEYS = {"title", "operations"}
_OPTIONAL_KEYS = {
    "supergraph",
    "subgraphs",
    "expect",
    "max_seconds",
    "port_note",
    "apollo_note",
    "fetch_details",
    "execution",
}
_OPERATION_KEYS = {"id", "query", "operation_name", "override_labels"}
_RUN_KEYS = {"operation", "name", "variables", "requests", "response"}
_REQUEST_KEYS = {"service", "variables", "response", "http_status"}

Expectation = Literal["plan_text", "valid_plan"]


@dataclass(frozen=True, slots=True)
class GraphSource:
    """Subgraph SDLs and the supergraph Apollo composed from them, in one folder."""

    name: str
    path: Path
    subgraphs: tuple[Subgraph, ...]

    @property
    def supergraph_path(self) -> Path:
        return self.path / SUPERGRAPH_FILE

    def supergraph_sdl(self) -> str:
        return self.supergraph_path.read_text(encoding="utf-8")

    def oracle_input(self) -> list[dict[str, str]]:
        return [{"name": s.name, "url": s.url, "sdl": s.sdl} for s in self.subgraphs]


@dataclass(frozen=True, slots=True)
class PlanOperation:
    """One client operation of a scenario and the file holding Apollo's plan for it."""

    id: str
    query: str
    operation_name: str | None
    override_labels: frozenset[str]
    plan_path: Path

    @property
    def plan_json_path(self) -> Path:
        return self.plan_path.with_suffix(".json")

    def expected_plan(self) -> str:
        return self.plan_path.read_text(encoding="utf-8")

    def expected_plan_json(self) -> dict[str, Any]:
        plan: dict[str, Any] = json.loads(self.plan_json_path.read_text("utf-8"))
        return plan

    def oracle_input(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"query": self.query}
        if self.operation_name is not None:
            entry["operationName"] = self.operation_name
        if self.override_labels:
            entry["overrideLabels"] = sorted(self.override_labels)
        return entry


@dataclass(frozen=True, slots=True)
class ScenarioCase:
    """One conformance scenario: a supergraph, its operations and what to expect."""

    name: str
    path: Path
    title: str
    graph: GraphSource
    operations: tuple[PlanOperation, ...]
    expect: Expectation
    max_seconds: float | None
    port_note: str | None
    apollo_note: str | None
    fetch_details: bool
    execution: tuple[Mapping[str, Any], ...]

    @property
    def number(self) -> int:
        return int(self.name.split("-", 1)[0])


class ApolloPlan(TypedDict):
    """What `oracle/plan.mjs` prints for one operation."""

    text: str | None
    plan: dict[str, Any] | None
    error: str | None
    ms: float


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    if not isinstance(spec, dict):
        raise ValueError(f"{path}: expected a mapping")
    return spec


def _read_subgraphs(path: Path, names: object, where: Path) -> tuple[Subgraph, ...]:
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(n, str) for n in names)
        or len(set(names)) != len(names)
    ):
        raise ValueError(f"{where}: subgraphs must be a non-empty list of unique names")
    return tuple(
        Subgraph(
            name=name,
            url=subgraph_url(name),
            sdl=(path / f"{name}.graphql").read_text(encoding="utf-8"),
        )
        for name in names
    )


def load_graph(path: Path) -> GraphSource:
    """A shared graph folder: `graph.yaml` (`description`, `subgraphs`) and the SDLs."""
    spec_path = path / "graph.yaml"
    spec = _read_yaml(spec_path)
    if set(spec) != {"description", "subgraphs"}:
        raise ValueError(f"{spec_path}: keys must be exactly description, subgraphs")
    return GraphSource(
        name=f"_supergraphs/{path.name}",
        path=path,
        subgraphs=_read_subgraphs(path, spec["subgraphs"], spec_path),
    )


def shared_graphs() -> list[GraphSource]:
    return [
        load_graph(path)
        for path in sorted(SHARED_GRAPHS_DIR.iterdir())
        if (path / "graph.yaml").is_file()
    ]


def _read_operations(path: Path, raw: object, where: Path) -> tuple[PlanOperation, ...]:
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: operations must be a non-empty list")
    operations = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, dict) or "query" not in entry:
            raise ValueError(f"{where}: operation {index} must be a mapping with query")
        unknown = set(entry) - _OPERATION_KEYS
        if unknown:
            raise ValueError(
                f"{where}: operation {index}: unknown keys {sorted(unknown)}"
            )
        op_id = entry.get("id")
        if op_id is None:
            if len(raw) > 1:
                raise ValueError(f"{where}: operation {index} needs an id")
            plan_path = path / "plan.txt"
            op_id = "main"
        elif not isinstance(op_id, str) or not op_id:
            # YAML reads `on`, `off`, `yes`, `1`... as other types: insist on text.
            raise ValueError(f"{where}: operation {index}: id must be a string")
        else:
            plan_path = path / f"plan-{op_id}.txt"
        labels = entry.get("override_labels") or []
        if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
            raise ValueError(f"{where}: override_labels must be a list of labels")
        name = entry.get("operation_name")
        operations.append(
            PlanOperation(
                id=str(op_id),
                query=str(entry["query"]),
                operation_name=None if name is None else str(name),
                override_labels=frozenset(labels),
                plan_path=plan_path,
            )
        )
    ids = [op.id for op in operations]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{where}: operation ids must be unique, got {ids}")
    return tuple(operations)


def _read_execution(
    raw: object, operations: Sequence[PlanOperation], where: Path
) -> tuple[Mapping[str, Any], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{where}: execution must be a non-empty list of runs")
    ids = {op.id for op in operations}
    for index, run in enumerate(raw):
        if not isinstance(run, dict) or run.get("operation") not in ids:
            raise ValueError(f"{where}: execution run {index} needs an operation id")
        unknown = set(run) - _RUN_KEYS
        if unknown or not isinstance(run.get("response"), dict):
            raise ValueError(
                f"{where}: execution run {index}: unknown keys {sorted(unknown)} "
                "or no response"
            )
        requests = run.get("requests")
        if not isinstance(requests, list) or not all(
            isinstance(r, dict)
            and isinstance(r.get("service"), str)
            and "response" in r
            and not set(r) - _REQUEST_KEYS
            for r in requests
        ):
            raise ValueError(
                f"{where}: execution run {index}: requests must be mappings with "
                f"service and response (keys among {sorted(_REQUEST_KEYS)})"
            )
    return tuple(raw)


def load_scenario(path: Path) -> ScenarioCase:
    """Read one scenario folder; a malformed one raises ValueError naming the file."""
    spec_path = path / "case.yaml"
    spec = _read_yaml(spec_path)
    missing = _REQUIRED_KEYS - set(spec)
    unknown = set(spec) - _REQUIRED_KEYS - _OPTIONAL_KEYS
    if missing or unknown:
        raise ValueError(
            f"{spec_path}: missing keys {sorted(missing)}, unknown keys {sorted(unknown)}"
        )
    if ("supergraph" in spec) == ("subgraphs" in spec):
        raise ValueError(f"{spec_path}: give exactly one of supergraph and subgraphs")
    if "supergraph" in spec:
        shared = SHARED_GRAPHS_DIR / str(spec["supergraph"])
        if not (shared / "graph.yaml").is_file():
            raise ValueError(
                f"{spec_path}: no shared supergraph {spec['supergraph']!r}"
            )
        graph = load_graph(shared)
    else:
        graph = GraphSource(
            name=path.name,
            path=path,
            subgraphs=_read_subgraphs(path, spec["subgraphs"], spec_path),
        )
    expect = spec.get("expect", "plan_text")
    if expect not in ("plan_text", "valid_plan"):
        raise ValueError(f"{spec_path}: expect must be plan_text or valid_plan")
    max_seconds = spec.get("max_seconds")
    if (expect == "valid_plan") != (max_seconds is not None):
        raise ValueError(f"{spec_path}: max_seconds goes with expect: valid_plan")
    operations = _read_operations(path, spec["operations"], spec_path)
    execution = _read_execution(spec.get("execution"), operations, spec_path)
    return ScenarioCase(
        name=path.name,
        path=path,
        title=str(spec["title"]),
        graph=graph,
        operations=operations,
        expect=expect,
        max_seconds=None if max_seconds is None else float(max_seconds),
        port_note=spec.get("port_note"),
        apollo_note=spec.get("apollo_note"),
        fetch_details=bool(spec.get("fetch_details", False)),
        execution=execution,
    )


def load_scenarios() -> list[ScenarioCase]:
    """Every scenario, in folder-name (scenario number) order."""
    return [
        load_scenario(path)
        for path in sorted(SCENARIOS_DIR.iterdir())
        if (path / "case.yaml").is_file()
    ]


APOLLO_PLANNER_CONFIG = {"incrementalDelivery": {"enableDefer": True}}


def plan_with_apollo(
    batches: Sequence[tuple[str, Sequence[PlanOperation]]],
    script: Path = BATCH_PLAN_SCRIPT,
) -> list[list[ApolloPlan]]:
    """Plan operations with `@apollo/query-planner`, all in one node process.

    Each batch is (supergraph SDL, operations); results come back in the order of
    `batches`, then of each batch's operations. `script` may be `oracle/plan.mjs` for a
    single batch (it takes one supergraph).
    """
    node = require_oracle()
    # @defer is planned into Defer nodes, as our planner does by default.
    requests = [
        {
            "supergraph": sdl,
            "operations": [op.oracle_input() for op in operations],
            "config": APOLLO_PLANNER_CONFIG,
        }
        for sdl, operations in batches
    ]
    if script == BATCH_PLAN_SCRIPT:
        payload = json.dumps({"batches": requests})
    elif len(requests) == 1:
        payload = json.dumps(requests[0])
    else:
        raise ValueError(f"{script.name} plans one supergraph per run")
    try:
        proc = subprocess.run(
            [node, str(script)],
            input=payload,
            capture_output=True,
            text=True,
            cwd=ORACLE_DIR,
            timeout=_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{script.name} took more than {_TIMEOUT_SECONDS}s", pytrace=False)
    if proc.returncode != 0:
        pytest.fail(
            f"{script.name} exited with status {proc.returncode}:\n{proc.stderr[-4000:]}",
            pytrace=False,
        )
    results = json.loads(proc.stdout)["results"]
    if script != BATCH_PLAN_SCRIPT:
        results = [results]
    plans: list[list[ApolloPlan]] = results
    if [len(p) for p in plans] != [len(r["operations"]) for r in requests]:
        pytest.fail(f"{script.name} returned a wrong number of plans", pytrace=False)
    return plans
