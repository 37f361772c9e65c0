"""Query plans in Apollo's JSON form, both ways.

``plan_to_json`` gives what ``@apollo/query-planner`` 2.x serialises a ``QueryPlan`` to
(``JSON.stringify``): the same keys, in the same order, with absent members left out.
``plan_from_json`` reads that form back; ``plan_from_json(plan_to_json(p)) == p`` for
every plan, and ``plan_to_json(plan_from_json(j)) == j`` for every plan Apollo emits.
Input that is not a plan raises ``PlanJsonError`` naming the JSON path of the fault.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from planner.query_plan import (
    Condition,
    Defer,
    DeferredBlock,
    DeferredDependency,
    Fetch,
    FetchRewrite,
    Flatten,
    KeyRenamer,
    Parallel,
    PlanNode,
    PrimaryBlock,
    QueryPlan,
    RequiredField,
    RequiredFragment,
    RequiredSelection,
    Sequence,
    Subscription,
    ValueSetter,
    VariableCondition,
    apollo_path,
    path_from_apollo,
)

__all__ = ["PlanJsonError", "plan_from_json", "plan_to_json"]

JsonObject = dict[str, Any]
_T = TypeVar("_T")


class PlanJsonError(ValueError):
    """The JSON is not a query plan; ``path`` locates the fault (``$.node.nodes[0]``)."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


# ---------------------------------------------------------------- plan -> JSON


def plan_to_json(plan: QueryPlan) -> JsonObject:
    """The plan as a JSON-ready dict in Apollo's shape."""
    out: JsonObject = {"kind": "QueryPlan"}
    if plan.node is not None:
        out["node"] = _node_to_json(plan.node)
    if plan.client_aliases:
        # PORT_NOTE: ours alone (Apollo fetches such an alias as the client wrote it).
        out["clientAliases"] = list(plan.client_aliases)
    return out


def _node_to_json(node: PlanNode) -> JsonObject:
    if isinstance(node, Fetch):
        return _fetch_to_json(node)
    if isinstance(node, Flatten):
        return {
            "kind": "Flatten",
            "path": apollo_path(node.path),
            "node": _node_to_json(node.node),
        }
    if isinstance(node, Sequence | Parallel):
        return {
            "kind": type(node).__name__,
            "nodes": [_node_to_json(child) for child in node.nodes],
        }
    if isinstance(node, Condition):
        out: JsonObject = {"kind": "Condition", "condition": node.condition}
        if node.if_clause is not None:
            out["ifClause"] = _node_to_json(node.if_clause)
        if node.else_clause is not None:
            out["elseClause"] = _node_to_json(node.else_clause)
        return out
    if isinstance(node, Defer):
        return {
            "kind": "Defer",
            "primary": _block_to_json(node.primary.subselection, node.primary.node),
            "deferred": [_deferred_to_json(block) for block in node.deferred],
        }
    out = {"kind": "Subscription", "primary": _fetch_to_json(node.primary)}
    if node.rest is not None:
        out["rest"] = _node_to_json(node.rest)
    return out


def _fetch_to_json(fetch: Fetch) -> JsonObject:
    out: JsonObject = {"kind": "Fetch"}
    if fetch.id is not None:
        out["id"] = str(fetch.id)
    out["serviceName"] = fetch.service_name
    if fetch.requires is not None:
        out["requires"] = [_selection_to_json(s) for s in fetch.requires]
    out["variableUsages"] = list(fetch.variable_usages)
    out["operation"] = fetch.operation
    out["operationKind"] = fetch.operation_kind
    if fetch.operation_name is not None:
        out["operationName"] = fetch.operation_name
    for key, rewrites in (
        ("inputRewrites", fetch.input_rewrites),
        ("outputRewrites", fetch.output_rewrites),
        ("contextRewrites", fetch.context_rewrites),
    ):
        if rewrites:
            out[key] = [_rewrite_to_json(rewrite) for rewrite in rewrites]
    return out


def _selection_to_json(selection: RequiredSelection) -> JsonObject:
    children = [_selection_to_json(child) for child in selection.selections]
    if isinstance(selection, RequiredField):
        out: JsonObject = {"kind": "Field", "name": selection.name}
        if selection.alias is not None:
            out["alias"] = selection.alias
        if selection.optional:
            out["optional"] = True
            if selection.needed_when:
                out["neededWhen"] = [
                    [{"variable": name, "value": value} for name, value in condition]
                    for condition in selection.needed_when
                ]
        if children:
            out["selections"] = children
        return out
    out = {"kind": "InlineFragment"}
    if selection.type_condition is not None:
        out["typeCondition"] = selection.type_condition
    out["selections"] = children
    return out


def _rewrite_to_json(rewrite: FetchRewrite) -> JsonObject:
    if isinstance(rewrite, ValueSetter):
        return {
            "kind": "ValueSetter",
            "path": list(rewrite.path),
            "setValueTo": rewrite.set_value_to,
        }
    return {
        "kind": "KeyRenamer",
        "path": list(rewrite.path),
        "renameKeyTo": rewrite.rename_key_to,
    }


def _block_to_json(subselection: str | None, node: PlanNode | None) -> JsonObject:
    out: JsonObject = {}
    if subselection is not None:
        out["subselection"] = subselection
    if node is not None:
        out["node"] = _node_to_json(node)
    return out


def _deferred_to_json(block: DeferredBlock) -> JsonObject:
    depends = []
    for dependency in block.depends:
        dep: JsonObject = {"id": dependency.id}
        if dependency.defer_label is not None:
            dep["deferLabel"] = dependency.defer_label
        depends.append(dep)
    out: JsonObject = {"depends": depends}
    if block.label is not None:
        out["label"] = block.label
    out["queryPath"] = list(block.query_path)
    if block.conditions:
        out["conditions"] = [
            {"variable": name, "value": value} for name, value in block.conditions
        ]
    out.update(_block_to_json(block.subselection, block.node))
    return out


# ---------------------------------------------------------------- JSON -> plan


def plan_from_json(data: object) -> QueryPlan:
    """Reads Apollo's JSON form of a plan; raises ``PlanJsonError`` on anything else."""
    obj = _object(data, "$", {"kind", "node", "clientAliases"})
    _kind(obj, "$", "QueryPlan")
    node = obj.get("node")
    aliases = obj.get("clientAliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise PlanJsonError("$.clientAliases", "expected a list of strings")
    return QueryPlan(None if node is None else _node(node, "$.node"), tuple(aliases))


_FETCH_KEYS = {
    "kind",
    "id",
    "serviceName",
    "requires",
    "variableUsages",
    "operation",
    "operationKind",
    "operationName",
    "inputRewrites",
    "outputRewrites",
    "contextRewrites",
}


def _node(data: object, path: str) -> PlanNode:
    obj = _object(data, path)
    kind = obj.get("kind")
    reader = _NODE_READERS.get(kind) if isinstance(kind, str) else None
    if reader is None:
        raise PlanJsonError(
            f"{path}.kind",
            f"expected one of {', '.join(sorted(_NODE_READERS))}, got {kind!r}",
        )
    return reader(obj, path)


def _fetch(obj: JsonObject, path: str) -> Fetch:
    _object(obj, path, _FETCH_KEYS)
    kind = _field(obj, path, "operationKind", str)
    if kind not in ("query", "mutation", "subscription"):
        raise PlanJsonError(
            f"{path}.operationKind",
            f"expected query, mutation or subscription, got {kind!r}",
        )
    raw_id = _optional(obj, path, "id", str)
    if raw_id is not None and not raw_id.isdigit():
        raise PlanJsonError(f"{path}.id", f"expected a decimal string, got {raw_id!r}")
    requires = obj.get("requires")
    return Fetch(
        service_name=_field(obj, path, "serviceName", str),
        operation=_field(obj, path, "operation", str),
        operation_name=_optional(obj, path, "operationName", str),
        operation_kind=cast("Any", kind),
        variable_usages=tuple(
            _list(obj.get("variableUsages", []), f"{path}.variableUsages", _string)
        ),
        requires=None
        if requires is None
        else tuple(_list(requires, f"{path}.requires", _selection)),
        input_rewrites=_rewrites(obj, path, "inputRewrites"),
        output_rewrites=_rewrites(obj, path, "outputRewrites"),
        context_rewrites=_rewrites(obj, path, "contextRewrites"),
        id=None if raw_id is None else int(raw_id),
    )


def _flatten(obj: JsonObject, path: str) -> Flatten:
    _object(obj, path, {"kind", "path", "node"})
    return Flatten(
        path=path_from_apollo(
            _list(_required(obj, path, "path"), f"{path}.path", _string)
        ),
        node=_node(_required(obj, path, "node"), f"{path}.node"),
    )


def _children(obj: JsonObject, path: str) -> tuple[PlanNode, ...]:
    _object(obj, path, {"kind", "nodes"})
    return tuple(_list(_required(obj, path, "nodes"), f"{path}.nodes", _node))


def _sequence(obj: JsonObject, path: str) -> Sequence:
    return Sequence(_children(obj, path))


def _parallel(obj: JsonObject, path: str) -> Parallel:
    return Parallel(_children(obj, path))


def _condition(obj: JsonObject, path: str) -> Condition:
    _object(obj, path, {"kind", "condition", "ifClause", "elseClause"})
    if_clause, else_clause = obj.get("ifClause"), obj.get("elseClause")
    return Condition(
        condition=_field(obj, path, "condition", str),
        if_clause=None if if_clause is None else _node(if_clause, f"{path}.ifClause"),
        else_clause=None
        if else_clause is None
        else _node(else_clause, f"{path}.elseClause"),
    )


def _defer(obj: JsonObject, path: str) -> Defer:
    _object(obj, path, {"kind", "primary", "deferred"})
    primary = _object(
        _required(obj, path, "primary"), f"{path}.primary", {"subselection", "node"}
    )
    node = primary.get("node")
    return Defer(
        primary=PrimaryBlock(
            subselection=_optional(primary, f"{path}.primary", "subselection", str),
            node=None if node is None else _node(node, f"{path}.primary.node"),
        ),
        deferred=tuple(
            _list(_required(obj, path, "deferred"), f"{path}.deferred", _deferred)
        ),
    )


def _deferred(data: object, path: str) -> DeferredBlock:
    obj = _object(
        data,
        path,
        {"depends", "label", "queryPath", "conditions", "subselection", "node"},
    )
    node = obj.get("node")
    return DeferredBlock(
        depends=tuple(
            _list(_required(obj, path, "depends"), f"{path}.depends", _dependency)
        ),
        query_path=tuple(
            _list(_required(obj, path, "queryPath"), f"{path}.queryPath", _string)
        ),
        label=_optional(obj, path, "label", str),
        subselection=_optional(obj, path, "subselection", str),
        node=None if node is None else _node(node, f"{path}.node"),
        conditions=_condition_set(obj.get("conditions", []), f"{path}.conditions"),
    )


def _dependency(data: object, path: str) -> DeferredDependency:
    obj = _object(data, path, {"id", "deferLabel"})
    return DeferredDependency(
        id=_field(obj, path, "id", str),
        defer_label=_optional(obj, path, "deferLabel", str),
    )


def _subscription(obj: JsonObject, path: str) -> Subscription:
    _object(obj, path, {"kind", "primary", "rest"})
    primary = _object(_required(obj, path, "primary"), f"{path}.primary")
    _kind(primary, f"{path}.primary", "Fetch")
    rest = obj.get("rest")
    return Subscription(
        primary=_fetch(primary, f"{path}.primary"),
        rest=None if rest is None else _node(rest, f"{path}.rest"),
    )


_NODE_READERS: dict[str, Callable[[JsonObject, str], PlanNode]] = {
    "Fetch": _fetch,
    "Flatten": _flatten,
    "Sequence": _sequence,
    "Parallel": _parallel,
    "Condition": _condition,
    "Defer": _defer,
    "Subscription": _subscription,
}


def _selection(data: object, path: str) -> RequiredSelection:
    obj = _object(data, path)
    kind = obj.get("kind")
    if kind == "Field":
        _object(
            obj, path, {"kind", "name", "alias", "optional", "neededWhen", "selections"}
        )
        return RequiredField(
            name=_field(obj, path, "name", str),
            selections=tuple(
                _list(obj.get("selections", []), f"{path}.selections", _selection)
            ),
            alias=_optional(obj, path, "alias", str),
            optional=_optional(obj, path, "optional", bool) or False,
            needed_when=tuple(
                _list(obj.get("neededWhen", []), f"{path}.neededWhen", _condition_set)
            ),
        )
    if kind == "InlineFragment":
        _object(obj, path, {"kind", "typeCondition", "selections"})
        return RequiredFragment(
            type_condition=_optional(obj, path, "typeCondition", str),
            selections=tuple(
                _list(
                    _required(obj, path, "selections"), f"{path}.selections", _selection
                )
            ),
        )
    raise PlanJsonError(
        f"{path}.kind", f"expected Field or InlineFragment, got {kind!r}"
    )


def _rewrites(obj: JsonObject, path: str, key: str) -> tuple[FetchRewrite, ...]:
    return tuple(_list(obj.get(key, []), f"{path}.{key}", _rewrite))


def _rewrite(data: object, path: str) -> FetchRewrite:
    obj = _object(data, path)
    kind = obj.get("kind")
    if kind == "ValueSetter":
        _object(obj, path, {"kind", "path", "setValueTo"})
        if "setValueTo" not in obj:
            raise PlanJsonError(f"{path}.setValueTo", "missing")
        return ValueSetter(
            path=tuple(_list(_required(obj, path, "path"), f"{path}.path", _string)),
            set_value_to=obj["setValueTo"],
        )
    if kind == "KeyRenamer":
        _object(obj, path, {"kind", "path", "renameKeyTo"})
        return KeyRenamer(
            path=tuple(_list(_required(obj, path, "path"), f"{path}.path", _string)),
            rename_key_to=_field(obj, path, "renameKeyTo", str),
        )
    raise PlanJsonError(
        f"{path}.kind", f"expected ValueSetter or KeyRenamer, got {kind!r}"
    )


# ---------------------------------------------------------------- checked access


def _object(data: object, path: str, keys: set[str] | None = None) -> JsonObject:
    if not isinstance(data, Mapping):
        raise PlanJsonError(path, f"expected an object, got {_describe(data)}")
    if keys is not None:
        unknown = sorted(str(key) for key in data if key not in keys)
        if unknown:
            raise PlanJsonError(f"{path}.{unknown[0]}", "unknown key")
    return cast("JsonObject", data)


def _kind(obj: JsonObject, path: str, expected: str) -> None:
    if obj.get("kind") != expected:
        raise PlanJsonError(
            f"{path}.kind", f"expected {expected!r}, got {obj.get('kind')!r}"
        )


def _required(obj: JsonObject, path: str, key: str) -> object:
    if key not in obj:
        raise PlanJsonError(f"{path}.{key}", "missing")
    return obj[key]


def _field(obj: JsonObject, path: str, key: str, kind: type[_T]) -> _T:
    value = _required(obj, path, key)
    if not isinstance(value, kind):
        raise PlanJsonError(
            f"{path}.{key}", f"expected a {_TYPE_NAMES[kind]}, got {_describe(value)}"
        )
    return value


def _optional(obj: JsonObject, path: str, key: str, kind: type[_T]) -> _T | None:
    if obj.get(key) is None:
        return None
    return _field(obj, path, key, kind)


def _list(data: object, path: str, item: Callable[[object, str], _T]) -> list[_T]:
    if not isinstance(data, list):
        raise PlanJsonError(path, f"expected a list, got {_describe(data)}")
    return [item(value, f"{path}[{index}]") for index, value in enumerate(data)]


def _condition_set(data: object, path: str) -> VariableCondition:
    return tuple(_list(data, path, _variable_value))


def _variable_value(data: object, path: str) -> tuple[str, bool]:
    obj = _object(data, path, {"variable", "value"})
    return _field(obj, path, "variable", str), _field(obj, path, "value", bool)


def _string(data: object, path: str) -> str:
    if not isinstance(data, str):
        raise PlanJsonError(path, f"expected a string, got {_describe(data)}")
    return data


_TYPE_NAMES: dict[type, str] = {str: "string", bool: "boolean"}


def _describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object" if isinstance(value, Mapping) else type(value).__name__
