"""`compose()`: subgraph SDLs in, a supergraph SDL or Apollo-coded errors out."""

from __future__ import annotations

from collections.abc import Sequence

from planner.collector import collector_paused
from planner.composition.errors import error
from planner.composition.join_view import join_view
from planner.composition.merge import merge_subgraphs
from planner.composition.print_supergraph import print_supergraph
from planner.composition.read_subgraph import read_subgraph
from planner.composition.result import (
    CompositionError,
    CompositionHint,
    CompositionResult,
    SubgraphInput,
)
from planner.composition.satisfiability import check_satisfiability
from planner.composition.subgraph_model import Subgraph
from planner.composition.supergraph_model import SupergraphModel
from planner.composition.validate_authorization import (
    check_requirements_on_interfaces,
)
from planner.composition.validate_subgraph import validate_subgraph
from planner.composition.validate_supergraph import validate_supergraph

__all__ = ["compose", "merged_model"]


def compose(subgraphs: Sequence[SubgraphInput]) -> CompositionResult:
    """Composes subgraphs the way Apollo Federation 2 does; never raises on bad input."""
    with collector_paused():
        return _compose(subgraphs)


def _compose(subgraphs: Sequence[SubgraphInput]) -> CompositionResult:
    model, errors, hints = merged_model(subgraphs)
    if errors or model is None:
        return CompositionResult(None, tuple(errors), tuple(hints))
    unreachable = check_satisfiability(join_view(model))
    if unreachable:
        return CompositionResult(None, tuple(unreachable), tuple(hints))
    return CompositionResult(print_supergraph(model), (), tuple(hints))


def merged_model(
    subgraphs: Sequence[SubgraphInput],
) -> tuple[SupergraphModel | None, list[CompositionError], list[CompositionHint]]:
    """The merged model and every error and hint up to satisfiability (which runs on
    the model: ``compose``)."""
    errors: list[CompositionError] = list(_check_names(subgraphs))
    if errors:
        return None, errors, []
    read: list[Subgraph] = []
    for inp in subgraphs:
        subgraph, problems = read_subgraph(inp)
        errors.extend(problems)
        if subgraph is not None:
            problems = validate_subgraph(subgraph)
            problems.extend(check_requirements_on_interfaces(subgraph))
            errors.extend(problems)
            read.append(subgraph)
    if errors:
        return None, errors, []
    model, merge_errors, hints = merge_subgraphs(read)
    errors.extend(merge_errors)
    if model is not None:
        errors.extend(validate_supergraph(model, read))
    return model, errors, list(hints)


def _check_names(subgraphs: Sequence[SubgraphInput]) -> list[CompositionError]:
    errors: list[CompositionError] = []
    seen: set[str] = set()
    for inp in subgraphs:
        if inp.name == "_":
            errors.append(
                error(
                    "INVALID_SUBGRAPH_NAME",
                    f"[{inp.name}] Invalid name {inp.name} for a subgraph: this name is reserved",
                    (inp.name,),
                )
            )
        elif not inp.name.strip():
            errors.append(
                error("INVALID_SUBGRAPH_NAME", "A subgraph name cannot be empty", ())
            )
        elif inp.name in seen:
            errors.append(
                error(
                    "INVALID_SUBGRAPH_NAME",
                    f'A subgraph named "{inp.name}" is given more than once',
                    (inp.name,),
                )
            )
        seen.add(inp.name)
    if not subgraphs:
        errors.append(
            error(
                "NO_QUERIES",
                "No subgraphs to compose: a supergraph must have a query root type.",
                (),
            )
        )
    return errors
