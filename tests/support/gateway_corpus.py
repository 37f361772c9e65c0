"""The gateway differential's operations, and how two gateways' responses are compared.

Operations: the hand-written planner corpus (``tests/planner/corpus/*.yaml``) and
operations generated over the example supergraph (``tests/support/opgen.py`` with values
naming real records, ``mutation_share=0``). Queries and mutations are kept apart: the
queries are sent to both gateways concurrently against one set of subgraphs; mutations
change the orders subgraph, so they run in order, each gateway on its own fresh orders
process.

Comparison (``compare``):

- ``data`` must be equal as JSON, *key order included*: a GraphQL response map is
  ordered as the selection set asks (GraphQL spec, "Serialized Map Ordering"), and Apollo
  Gateway orders it so; so must we. Numbers compare by value (``1`` equals ``1.0``, as
  JSON has one number type), but a boolean never equals a number.
- errors are compared as the multiset of ``(path, extensions.code)``: messages are free
  text, and locations depend on which document a subgraph saw.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import OperationDefinitionNode, OperationType, parse

from bench.plan.corpus import (
    EXAMPLE_SUPERGRAPH,
    CorpusOperation,
    load_hand_written,
)
from support.excused_paths import matches, values_at, without_paths
from support.opgen import EXAMPLE_ARGUMENT_VALUES, Options, generate

__all__ = [
    "MIN_OPERATIONS",
    "Difference",
    "ErrorKey",
    "compare",
    "differs_at",
    "error_keys",
    "is_mutation",
    "mutation_operations",
    "query_operations",
    "same_json",
    "supergraph_at",
]

MIN_OPERATIONS = 300
_SEED = 4242
_GENERATED_QUERIES = 240
_GENERATED_MUTATIONS = 3

ErrorKey = tuple[tuple[str | int, ...] | None, str | None]


def is_mutation(operation: CorpusOperation) -> bool:
    """Whether the operation that ``operation`` runs is a mutation."""
    for definition in parse(operation.query).definitions:
        if isinstance(definition, OperationDefinitionNode) and (
            operation.operation_name is None
            or definition.name is None
            or definition.name.value == operation.operation_name
        ):
            return definition.operation == OperationType.MUTATION
    return False


def _example_schema() -> Any:
    from planner.supergraph import load_supergraph

    return load_supergraph(EXAMPLE_SUPERGRAPH.read_text(encoding="utf-8")).api_schema


def _generated(count: int, prefix: str, mutation_share: float) -> list[CorpusOperation]:
    options = Options(
        argument_values=EXAMPLE_ARGUMENT_VALUES,
        name_prefix=prefix,
        mutation_share=mutation_share,
    )
    return [
        CorpusOperation(
            name=op.name,
            query=op.document,
            source="generated",
            operation_name=op.name,
            variables=dict(op.variables),
        )
        for op in generate(_example_schema(), _SEED, count, options)
    ]


def query_operations() -> list[CorpusOperation]:
    """The read-only corpus: hand-written queries, then generated ones; seeded, so the
    same on every run."""
    hand_written = [op for op in load_hand_written() if not is_mutation(op)]
    count = max(_GENERATED_QUERIES, MIN_OPERATIONS - len(hand_written))
    return hand_written + _generated(count, "GatewayQuery", mutation_share=0)


def mutation_operations() -> list[CorpusOperation]:
    """The hand-written mutations, then a few generated ones, to run in this order."""
    hand_written = [op for op in load_hand_written() if is_mutation(op)]
    generated = _generated(_GENERATED_MUTATIONS, "GatewayMutation", mutation_share=1)
    return hand_written + [op for op in generated if is_mutation(op)]


def supergraph_at(urls: dict[str, str], source: Path = EXAMPLE_SUPERGRAPH) -> str:
    """The example supergraph with each subgraph's URL replaced by ``urls[name]``."""
    sdl = source.read_text(encoding="utf-8")

    def point(match: re.Match[str]) -> str:
        name = match.group(1)
        return f'@join__graph(name: "{name}", url: "{urls[name]}")'

    pointed, replaced = re.subn(
        r'@join__graph\(name: "(\w+)", url: "[^"]*"\)', point, sdl
    )
    if replaced != len(urls):
        raise ValueError(f"expected {len(urls)} @join__graph URLs, replaced {replaced}")
    return pointed


# -- comparing responses ---------------------------------------------------------------


def same_json(left: Any, right: Any) -> bool:
    """JSON equality with object key order; numbers by value, booleans apart."""
    if isinstance(left, dict):
        return (
            isinstance(right, dict)
            and list(left) == list(right)
            and all(same_json(left[key], right[key]) for key in left)
        )
    if isinstance(left, list):
        return (
            isinstance(right, list)
            and len(left) == len(right)
            and all(same_json(a, b) for a, b in zip(left, right, strict=True))
        )
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, int | float) and isinstance(right, int | float):
        return left == right
    return type(left) is type(right) and bool(left == right)


def _unordered_equal(left: Any, right: Any) -> bool:
    """JSON equality ignoring object key order (to tell an ordering slip apart)."""
    if isinstance(left, dict):
        return (
            isinstance(right, dict)
            and set(left) == set(right)
            and all(_unordered_equal(left[key], right[key]) for key in left)
        )
    if isinstance(left, list):
        return (
            isinstance(right, list)
            and len(left) == len(right)
            and all(_unordered_equal(a, b) for a, b in zip(left, right, strict=True))
        )
    return same_json(left, right)


def error_keys(response: Any) -> Counter[ErrorKey]:
    """The multiset of ``(path, extensions.code)`` of a response's errors."""
    keys: Counter[ErrorKey] = Counter()
    errors = response.get("errors") if isinstance(response, dict) else None
    for error in errors or ():
        path = error.get("path") if isinstance(error, dict) else None
        extensions = error.get("extensions") if isinstance(error, dict) else None
        code = extensions.get("code") if isinstance(extensions, dict) else None
        keys[(tuple(path) if isinstance(path, list) else None, code)] += 1
    return keys


@dataclass(frozen=True, slots=True)
class Difference:
    """How two responses differ: ``kind`` is ``"data"``, ``"order"`` (the same data
    with object keys in another order) or ``"errors"``; ``detail`` says where."""

    kind: str
    detail: str


def compare(ours: Any, apollo: Any, excused: Sequence[str] = ()) -> list[Difference]:
    """Every way ``ours`` differs from ``apollo`` (empty when they agree), leaving out
    the values at the ``excused`` paths and the errors at or under them."""
    differences: list[Difference] = []
    if not isinstance(ours, dict) or not isinstance(apollo, dict):
        return [Difference("data", "a response is not a JSON object")]
    if excused:
        ours, apollo = _excuse(ours, excused), _excuse(apollo, excused)
    ours_data, apollo_data = ours.get("data"), apollo.get("data")
    if ("data" in ours) != ("data" in apollo):
        differences.append(Difference("data", "only one response has a data entry"))
    elif not same_json(ours_data, apollo_data):
        if _unordered_equal(ours_data, apollo_data):
            where = _first_divergence(ours_data, apollo_data, (), ordered=True)
            differences.append(Difference("order", f"key order differs at {where}"))
        else:
            where = _first_divergence(ours_data, apollo_data, (), ordered=False)
            differences.append(Difference("data", f"first difference at {where}"))
    ours_errors, apollo_errors = error_keys(ours), error_keys(apollo)
    if ours_errors != apollo_errors:
        only_ours = sorted((ours_errors - apollo_errors).elements(), key=repr)
        only_apollo = sorted((apollo_errors - ours_errors).elements(), key=repr)
        differences.append(
            Difference(
                "errors", f"only ours: {only_ours}; only Apollo's: {only_apollo}"
            )
        )
    return differences


def _excuse(response: dict[str, Any], paths: Sequence[str]) -> dict[str, Any]:
    excused = dict(response)
    if "data" in excused:
        excused["data"] = without_paths(excused["data"], paths)
    if isinstance(excused.get("errors"), list):
        excused["errors"] = [
            error
            for error in excused["errors"]
            if not (
                isinstance(error, dict)
                and isinstance(error.get("path"), list)
                and any(matches(path, error["path"]) for path in paths)
            )
        ]
    return excused


def differs_at(ours: Any, apollo: Any, path: str) -> bool:
    """Whether two responses differ at ``path``: its values, or the errors under it."""
    if not isinstance(ours, dict) or not isinstance(apollo, dict):
        return True
    values = values_at(ours.get("data"), path), values_at(apollo.get("data"), path)
    if not same_json(*values):
        return True

    def errors_under(response: dict[str, Any]) -> Counter[ErrorKey]:
        return Counter(
            {
                key: count
                for key, count in error_keys(response).items()
                if key[0] is not None and matches(path, key[0])
            }
        )

    return errors_under(ours) != errors_under(apollo)


def _first_divergence(
    left: Any, right: Any, path: tuple[str | int, ...], *, ordered: bool
) -> str:
    """The path (``data.a.0.b``) where two JSON values first differ."""
    here = ".".join(["data", *map(str, path)])
    if isinstance(left, dict) and isinstance(right, dict):
        if ordered and list(left) != list(right) and set(left) == set(right):
            return f"{here} (ours {list(left)}, Apollo's {list(right)})"
        if set(left) != set(right):
            return f"{here} (keys ours {list(left)}, Apollo's {list(right)})"
        for key in left:
            if not (same_json if ordered else _unordered_equal)(left[key], right[key]):
                return _first_divergence(
                    left[key], right[key], (*path, key), ordered=ordered
                )
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            if not (same_json if ordered else _unordered_equal)(a, b):
                return _first_divergence(a, b, (*path, index), ordered=ordered)
    return f"{here} (ours {_short(left)}, Apollo's {_short(right)})"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."
