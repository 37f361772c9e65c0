"""The planner's own supergraphs as oracle worlds: the scenarios and the corpus.

- ``scenario_graphs()``: every supergraph of ``tests/planner/scenarios`` (its own or a
  shared one) with every operation of every scenario using it;
- ``gateway_excused_graph()``: the operations where the gateway differential excuses
  Apollo Gateway, over the example supergraph;
- ``corpus_graphs()``: the planner differential corpus (``bench/plan/corpus.py``): the
  hand-written and generated operations over the example supergraph, and the generated
  ones over each scenario supergraph.

Each supergraph gets records from ``oracle.synthesise``, over several seeds; the
supergraph Apollo composed is served as it is, only its subgraph URLs pointing at the
oracle's subgraph server. Every operation then runs through our router and the monolith.

- Operations the oracle cannot serve are excluded, each with its reason (``exclusion``).
- Variables without a value or a default get values (``variable_runs``): a ``Boolean``
  both ways, other types one value.
- ``scenario_disagreements.yaml`` lists the known disagreements (run label -> note).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from graphql import (
    GraphQLEnumType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    OperationType,
    parse,
    type_from_ast,
)
from support.plan_cases import load_scenarios

from oracle.harness import CheckedOperation
from oracle.synthesise import synthesise_world
from oracle.world import World
from planner.supergraph import Supergraph, load_supergraph

__all__ = [
    "CORPUS_SEEDS",
    "KNOWN_DISAGREEMENTS_FILE",
    "SEEDS",
    "GraphOperation",
    "OracleGraph",
    "Run",
    "corpus_graphs",
    "exclusion",
    "gateway_excused_graph",
    "gateway_excused_names",
    "known_disagreements",
    "scenario_graphs",
    "variable_runs",
]

KNOWN_DISAGREEMENTS_FILE = Path(__file__).with_name("scenario_disagreements.yaml")
# Each supergraph is checked over this many worlds (seeds): records differ in which
# fields are null, which lists are empty and which entity each reference names.
SEEDS = (1, 2, 3)
# The corpus is larger (over 200 operations on the example graph): one world each.
CORPUS_SEEDS = (1,)

_JOIN_GRAPH_URL = re.compile(r'(@join__graph\(name: "([^"]+)", url: )"[^"]*"')


@dataclass(frozen=True)
class GraphOperation:
    """An operation as its source gives it: ``variables`` None means none given."""

    label: str
    query: str
    operation_name: str | None = None
    variables: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Run:
    """One run of an operation, with the variables the router gets."""

    label: str
    checked: CheckedOperation


@dataclass
class OracleGraph:
    """A supergraph and the operations to check over it."""

    name: str  # the world's name: a URL path segment
    supergraph_sdl: str
    operations: list[GraphOperation] = field(default_factory=list)
    scenarios: set[str] = field(default_factory=set)
    seeds: tuple[int, ...] = SEEDS

    def supergraph(self, server_url: str) -> Supergraph:
        text = _JOIN_GRAPH_URL.sub(
            lambda m: f'{m.group(1)}"{server_url}/worlds/{self.name}/{m.group(2)}"',
            self.supergraph_sdl,
        )
        return load_supergraph(text)

    def world(self, supergraph: Supergraph, seed: int) -> World:
        return synthesise_world(self.name, supergraph, seed)

    def runs(self, schema: GraphQLSchema) -> tuple[list[Run], dict[str, str]]:
        """The runs to check, and the excluded operations (label -> reason)."""
        runs: list[Run] = []
        excluded: dict[str, str] = {}
        for operation in self.operations:
            reason = exclusion(operation.query, operation.operation_name)
            if reason is not None:
                excluded[operation.label] = reason
                continue
            for variables in variable_runs(operation, schema):
                checked = CheckedOperation(
                    operation.query, variables, operation.operation_name
                )
                suffix = ",".join(
                    f"{k}={_short(v)}"
                    for k, v in sorted(variables.items())
                    if operation.variables is None
                )
                label = operation.label + (f"[{suffix}]" if suffix else "")
                runs.append(Run(label, checked))
        return runs, excluded


def scenario_graphs() -> list[OracleGraph]:
    """Every supergraph the scenarios use, with its scenarios' operations."""
    graphs: dict[Path, OracleGraph] = {}
    for case in load_scenarios():
        name = "scenario_" + re.sub(r"\W+", "_", case.graph.name.strip("_"))
        graph = graphs.setdefault(
            case.graph.path, OracleGraph(name, case.graph.supergraph_sdl())
        )
        graph.scenarios.add(case.name)
        graph.operations.extend(
            GraphOperation(f"{case.name}/{op.id}", op.query, op.operation_name)
            for op in case.operations
        )
    return list(graphs.values())


def corpus_graphs() -> list[OracleGraph]:
    """The planner differential corpus, by supergraph."""
    from bench.plan.corpus import build_corpus

    graphs = []
    for corpus_graph in build_corpus():
        if corpus_graph.load_error is not None:
            continue
        name = "corpus_" + re.sub(r"\W+", "_", corpus_graph.name)
        graphs.append(
            OracleGraph(
                name,
                corpus_graph.supergraph_sdl,
                [
                    GraphOperation(
                        f"corpus:{corpus_graph.name}/{op.name}",
                        op.query,
                        op.operation_name,
                        op.variables,
                    )
                    for op in corpus_graph.operations
                ],
                seeds=CORPUS_SEEDS,
            )
        )
    return graphs


def gateway_excused_names() -> set[str]:
    """The operations ``tests/gateway/known_differences.yaml`` excuses."""
    known = Path(__file__).parents[1] / "gateway" / "known_differences.yaml"
    return {
        name
        for entry in yaml.safe_load(known.read_text(encoding="utf-8")) or []
        for name in entry["operations"]
    }


def gateway_excused_graph() -> OracleGraph:
    """The example supergraph with the operations the gateway differential excuses
    (``tests/gateway/known_differences.yaml``): where Apollo Gateway is not the
    reference, the monolith is."""
    from support.gateway_corpus import query_operations

    excused = gateway_excused_names()
    from bench.plan.corpus import EXAMPLE_SUPERGRAPH

    return OracleGraph(
        "gateway_excused",
        EXAMPLE_SUPERGRAPH.read_text(encoding="utf-8"),
        [
            GraphOperation(
                f"gateway:{op.name}", op.query, op.operation_name, op.variables
            )
            for op in query_operations()
            if op.name in excused
        ],
    )


def exclusion(query: str, operation_name: str | None) -> str | None:
    """Why the oracle cannot check this operation, or None."""
    document = parse(query)
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if (
            operation_name is not None
            and definition.name is not None
            and definition.name.value != operation_name
        ):
            continue
        if definition.operation is OperationType.MUTATION:
            return "mutation: the oracle's records are read-only"
        if definition.operation is OperationType.SUBSCRIPTION:
            return "subscription: the oracle serves no subscriptions"
    return None


def variable_runs(
    operation: GraphOperation, schema: GraphQLSchema
) -> list[dict[str, Any]]:
    """Variable values to run ``operation`` with: the given ones if any; else a
    variable with a default is left to it, a ``Boolean`` is tried both ways, any other
    type gets one value."""
    if operation.variables is not None:
        return [dict(operation.variables)]
    document = parse(operation.query)
    choices: list[list[tuple[str, Any]]] = []
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        if (
            operation.operation_name is not None
            and definition.name is not None
            and definition.name.value != operation.operation_name
        ):
            continue
        for variable in definition.variable_definitions or ():
            if variable.default_value is not None:
                continue
            type_ = type_from_ast(schema, variable.type)  # type: ignore[arg-type]
            name = variable.variable.name.value
            choices.append([(name, value) for value in _values_for(type_)])
    return [dict(combination) for combination in itertools.product(*choices)]


def _values_for(type_: Any) -> list[Any]:
    if isinstance(type_, GraphQLNonNull):
        return _values_for(type_.of_type)
    if isinstance(type_, GraphQLList):
        return [[]]
    if isinstance(type_, GraphQLEnumType):
        return [next(iter(type_.values))]
    name = getattr(type_, "name", "")
    if name == "Boolean":
        return [True, False]
    if name == "Int":
        return [2]
    if name == "Float":
        return [1.5]
    if name in ("String", "ID"):
        return ["1"]
    raise ValueError(f"no value for a variable of type {type_}")


def known_disagreements() -> dict[str, str]:
    """Run label -> what is wrong and where (``scenario_disagreements.yaml``)."""
    if not KNOWN_DISAGREEMENTS_FILE.is_file():
        return {}
    raw = yaml.safe_load(KNOWN_DISAGREEMENTS_FILE.read_text(encoding="utf-8")) or []
    return {entry["run"]: entry["note"] for entry in raw}


def _short(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
