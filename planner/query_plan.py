"""Query plan nodes: what the planner produces and the executor walks.

Frozen dataclasses mirroring Apollo's plan format (QUERY_PLANNING.md §3), so plans print
in Apollo's text form (``planner.printer``) and serialise to Apollo's JSON form
(``planner.plan_json``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Condition",
    "Defer",
    "DeferredBlock",
    "DeferredDependency",
    "Fetch",
    "FetchRewrite",
    "Flatten",
    "KeyRenamer",
    "Parallel",
    "PlanNode",
    "PrimaryBlock",
    "QueryPlan",
    "RequiredField",
    "RequiredFragment",
    "RequiredSelection",
    "Sequence",
    "Subscription",
    "ValueSetter",
    "VariableCondition",
    "apollo_path",
    "fetches_in",
    "path_from_apollo",
]

_TYPE_STEP = "... on "

# ``(("skip", False), ("on", True))``: holds when $skip is false and $on is true.
VariableCondition = tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class RequiredField:
    """A field of a fetch's ``requires``: copied from stored data into a representation,
    read and written under its response name (an input ``KeyRenamer`` may rename it)."""

    name: str
    selections: tuple[RequiredSelection, ...] = ()
    alias: str | None = None
    # A @requires field fetched under @skip/@include: with the conditions off, the
    # representation goes without it (ours; not in Apollo's format).
    optional: bool = False
    # For an optional field, the variable values under which it is needed after all
    # (any one set holding, each set a conjunction of ``(variable, value)``): the field
    # that requires it is then selected, and an object without it (an earlier fetch
    # failed for it) gives no representation.
    needed_when: tuple[VariableCondition, ...] = ()

    @property
    def response_name(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True, slots=True)
class RequiredFragment:
    """``... on T { ... }`` in ``requires``: applies to objects whose ``__typename`` is T
    (or a subtype of T)."""

    type_condition: str | None
    selections: tuple[RequiredSelection, ...]


RequiredSelection = RequiredField | RequiredFragment


@dataclass(frozen=True, slots=True)
class ValueSetter:
    """Sets the value at ``path`` (``"... on T"`` steps match by ``__typename``)."""

    path: tuple[str, ...]
    set_value_to: object


@dataclass(frozen=True, slots=True)
class KeyRenamer:
    """Renames the key at ``path`` to ``rename_key_to``."""

    path: tuple[str, ...]
    rename_key_to: str


FetchRewrite = ValueSetter | KeyRenamer


@dataclass(frozen=True, slots=True)
class Fetch:
    """One subgraph request.

    Without ``requires`` it is a root fetch, merged at the cursor; with it, an
    ``_entities`` fetch whose representations are ``requires`` projected onto each object
    at the cursor. ``operation`` is the exact GraphQL text sent to the subgraph.
    """

    service_name: str
    operation: str
    operation_name: str | None
    operation_kind: Literal["query", "mutation", "subscription"]
    variable_usages: tuple[str, ...] = ()
    requires: tuple[RequiredSelection, ...] | None = None
    input_rewrites: tuple[FetchRewrite, ...] = ()
    output_rewrites: tuple[FetchRewrite, ...] = ()
    context_rewrites: tuple[FetchRewrite, ...] = ()
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Flatten:
    """Runs ``node`` on every object reached by ``path`` (``"@"`` = each list item,
    ``"... on T"`` = only the objects of type T there; Apollo writes ``@|[T]``)."""

    path: tuple[str, ...]
    node: PlanNode


@dataclass(frozen=True, slots=True)
class Sequence:
    """Children in order; each sees what earlier ones merged."""

    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class Parallel:
    """Children concurrently, on the same input data."""

    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class Condition:
    """Runs ``if_clause`` when the boolean variable ``condition`` is true, else
    ``else_clause`` (either may be absent)."""

    condition: str
    if_clause: PlanNode | None = None
    else_clause: PlanNode | None = None


@dataclass(frozen=True, slots=True)
class DeferredDependency:
    id: str
    defer_label: str | None = None


@dataclass(frozen=True, slots=True)
class PrimaryBlock:
    subselection: str | None = None
    node: PlanNode | None = None


@dataclass(frozen=True, slots=True)
class DeferredBlock:
    depends: tuple[DeferredDependency, ...]
    query_path: tuple[str, ...]
    label: str | None = None
    subselection: str | None = None
    node: PlanNode | None = None
    # The variable @skip/@include the part is under, (variable, included when): it is
    # sent only when all hold. Ours (Apollo's plans have none; not printed).
    conditions: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True, slots=True)
class Defer:
    """Incremental delivery (reserved: the planner does not emit it yet)."""

    primary: PrimaryBlock
    deferred: tuple[DeferredBlock, ...]


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription: ``primary`` opens the subgraph subscription, ``rest`` (a
    ``Sequence``) runs on each event's data before it goes to the client."""

    primary: Fetch
    rest: PlanNode | None = None


PlanNode = Sequence | Parallel | Fetch | Flatten | Condition | Defer | Subscription


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """A whole plan; ``node`` is None when nothing needs fetching (e.g. introspection).

    ``client_aliases``: the client's aliases the plan fetches under another response
    name (``shadowing_aliases``); the executor gives them back once every fetch is
    done."""

    node: PlanNode | None = None
    client_aliases: tuple[str, ...] = ()


def fetches_in(node: PlanNode | None) -> Iterator[Fetch]:
    """Every ``Fetch`` under ``node``, depth first in plan order (both branches of a
    ``Condition``, the primary and deferred blocks of a ``Defer``, a ``Subscription``'s
    primary fetch and the rest)."""
    if node is None:
        return
    if isinstance(node, Fetch):
        yield node
    elif isinstance(node, Flatten):
        yield from fetches_in(node.node)
    elif isinstance(node, Sequence | Parallel):
        for child in node.nodes:
            yield from fetches_in(child)
    elif isinstance(node, Condition):
        yield from fetches_in(node.if_clause)
        yield from fetches_in(node.else_clause)
    elif isinstance(node, Defer):
        yield from fetches_in(node.primary.node)
        for block in node.deferred:
            yield from fetches_in(block.node)
    elif isinstance(node, Subscription):
        yield node.primary
        yield from fetches_in(node.rest)


def apollo_path(path: tuple[str, ...]) -> list[str]:
    """A Flatten path as Apollo writes its elements: a type-condition step joins the
    element before it (``("items", "@", "... on Book", "product")`` is ``["items",
    "@|[Book]", "product"]``)."""
    elements: list[str] = []
    for step in path:
        if step.startswith(_TYPE_STEP) and elements:
            condition = step[len(_TYPE_STEP) :]
            last = elements[-1]
            if last.endswith("]") and "|[" in last:
                elements[-1] = f"{last[:-1]},{condition}]"
            else:
                elements[-1] = f"{last}|[{condition}]"
        else:
            elements.append(step)
    return elements


def path_from_apollo(elements: list[str]) -> tuple[str, ...]:
    """The inverse of ``apollo_path``."""
    path: list[str] = []
    for element in elements:
        name, bar, conditions = element.partition("|[")
        path.append(name)
        if bar:
            path.extend(
                _TYPE_STEP + condition for condition in conditions[:-1].split(",")
            )
    return tuple(path)
