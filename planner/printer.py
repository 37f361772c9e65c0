"""Query plans in Apollo's text format, byte for byte.

``format_query_plan`` prints what ``prettyFormatQueryPlan`` of ``@apollo/query-planner``
prints, so plans can be compared with Apollo's as strings and asserted as dedented
snapshots. The selections inside fetches are re-printed from each fetch's ``operation``
with graphql-js 16's printer rules (``print`` from the ``graphql`` package, which Apollo
uses), not graphql-core's: graphql-core 3.3 wraps long lists and pads object values.
Rewrites are not printed, as in Apollo.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql import parse
from graphql.language import ast
from graphql.language.block_string import print_block_string
from graphql.language.print_string import print_string

from planner.query_plan import (
    Condition,
    Defer,
    DeferredBlock,
    Fetch,
    Flatten,
    Parallel,
    PlanNode,
    QueryPlan,
    RequiredField,
    RequiredSelection,
    Sequence,
    Subscription,
    apollo_path,
)

__all__ = ["format_query_plan", "print_selections"]

_INDENT = "  "
# graphql-js breaks a field's arguments onto several lines past this many UTF-16 units.
_MAX_LINE_LENGTH = 80


def format_query_plan(plan: QueryPlan) -> str:
    """The plan as ``prettyFormatQueryPlan`` prints it (no trailing newline)."""
    return "QueryPlan {" + _nodes([plan.node] if plan.node else [], "") + "}"


def print_selections(operation: str) -> str:
    """The selection a fetch shows for ``operation``: the root selection set, or for an
    ``_entities`` query the selection inside ``_entities``; named fragments follow."""
    return _reindent(_print_operation_text(operation), "")


def _nodes(nodes: Iterable[PlanNode | None], indentation: str) -> str:
    present = [node for node in nodes if node is not None]
    if not present:
        return ""
    inner = indentation + _INDENT
    items = [inner + _node(node, inner) for node in present]
    return "\n" + ",\n".join(items) + ",\n" + indentation


def _node(node: PlanNode, indentation: str) -> str:
    inner = indentation + _INDENT
    if isinstance(node, Fetch):
        return _fetch(node, indentation)
    if isinstance(node, Flatten):
        return (
            f'Flatten(path: "{".".join(apollo_path(node.path))}") {{'
            + _nodes([node.node], indentation)
            + "}"
        )
    if isinstance(node, Sequence | Parallel):
        kind = "Sequence" if isinstance(node, Sequence) else "Parallel"
        if not node.nodes:
            return kind
        return kind + " {" + _nodes(node.nodes, indentation) + "}"
    if isinstance(node, Condition):
        return _condition(node, indentation, inner)
    if isinstance(node, Defer):
        return _defer(node, indentation, inner)
    return _subscription(node, inner)


def _fetch(fetch: Fetch, indentation: str) -> str:
    inner = indentation + _INDENT
    # Apollo's ids are strings, so id 0 is printed too.
    fetch_id = f", id: {fetch.id}" if fetch.id is not None else ""
    text = f'Fetch(service: "{fetch.service_name}"{fetch_id}) {{\n'
    if fetch.requires is not None:
        text += _reindent(_print_required(fetch.requires), inner) + " =>\n"
    text += _reindent(_print_operation_text(fetch.operation), inner)
    return text + "\n" + indentation + "}"


def _condition(node: Condition, indentation: str, inner: str) -> str:
    variable = node.condition
    if node.if_clause is not None and node.else_clause is not None:
        deeper = inner + _INDENT
        return (
            f"Condition(if: ${variable}) {{\n"
            f"{inner}Then {{\n{deeper}{_node(node.if_clause, deeper)}\n"
            f"{inner}}} Else {{\n{deeper}{_node(node.else_clause, deeper)}\n"
            f"{inner}}}\n{indentation}}}"
        )
    if node.if_clause is not None:
        body, word = node.if_clause, "Include"
    elif node.else_clause is not None:
        body, word = node.else_clause, "Skip"
    else:
        return f"Skip(if: ${variable}) {{\n{indentation}}}"
    return f"{word}(if: ${variable}) {{\n{inner}{_node(body, inner)}\n{indentation}}}"


def _defer(node: Defer, indentation: str, inner: str) -> str:
    deeper = inner + _INDENT
    primary = node.primary
    text = f"Defer {{\n{inner}Primary {{\n"
    text += (
        _reindent(_print_operation_text(primary.subselection), deeper)
        if primary.subselection
        else deeper
    ) + ":\n"
    if primary.node is not None:
        text += deeper + _node(primary.node, deeper) + "\n"
    text += inner + "}, [\n"
    blocks = [deeper + _deferred(block, deeper) for block in node.deferred]
    text += ",\n".join(blocks) + ("," if blocks else "") + "\n" + inner
    return text + "]\n" + indentation + "}"


def _deferred(block: DeferredBlock, indentation: str) -> str:
    inner = indentation + _INDENT
    depends = ", ".join(
        dep.id + (f':"{dep.defer_label}"' if dep.defer_label else "")
        for dep in block.depends
    )
    label = f', label: "{block.label}"' if block.label else ""
    text = f'Deferred(depends: [{depends}], path: "{"/".join(block.query_path)}"{label}) {{'
    if block.subselection:
        text += "\n" + _reindent(_print_operation_text(block.subselection), inner) + ":"
    if block.node is not None:
        text += "\n" + inner + _node(block.node, inner)
    return text + "\n" + indentation + "}"


def _subscription(node: Subscription, inner: str) -> str:
    deeper = inner + _INDENT
    text = (
        f"Subscription {{\n{inner}Primary: {{\n{deeper}{_node(node.primary, deeper)}"
        f"\n{inner}}},"
    )
    if node.rest is not None:
        text += f"\n{inner}Rest: {{\n{deeper}{_node(node.rest, deeper)}"
    # Apollo closes with one indent whatever the depth, and prints the "}" that ends
    # "Rest: {" even when there is no Rest.
    return text + f"\n{inner}}}\n{_INDENT}}}"


def _reindent(printed: str, indentation: str) -> str:
    """Apollo's AST serializer: a multi-line print is indented line by line."""
    lines = printed.strip().split("\n")
    if len(lines) == 1:
        return lines[0]
    return "\n".join(indentation + line for line in lines)


def _print_operation_text(operation: str) -> str:
    document = parse(operation, no_location=True)
    parts = []
    for definition in document.definitions:
        if isinstance(definition, ast.OperationDefinitionNode):
            parts.append(_selection_set(_shown_selection_set(definition)))
        elif isinstance(definition, ast.FragmentDefinitionNode):
            parts.append(_fragment_definition(definition))
    return "\n\n".join(part for part in parts if part)


def _shown_selection_set(
    operation: ast.OperationDefinitionNode,
) -> ast.SelectionSetNode:
    first = operation.selection_set.selections[0]
    if (
        operation.operation is ast.OperationType.QUERY
        and isinstance(first, ast.FieldNode)
        and first.name.value == "_entities"
        and first.selection_set is not None
    ):
        return first.selection_set
    return operation.selection_set


def _print_required(selections: tuple[RequiredSelection, ...]) -> str:
    return _block([_required(selection) for selection in selections])


def _required(selection: RequiredSelection) -> str:
    body = _block([_required(child) for child in selection.selections])
    if isinstance(selection, RequiredField):
        name = (
            f"{selection.alias}: {selection.name}"
            if selection.alias
            else selection.name
        )
        return _join([name, body], " ")
    condition = f"on {selection.type_condition}" if selection.type_condition else ""
    return _join(["...", condition, body], " ")


# graphql-js 16 `print`, for executable definitions only.


def _join(parts: Iterable[str], separator: str = "") -> str:
    return separator.join(part for part in parts if part)


def _wrap(start: str, text: str, end: str = "") -> str:
    return start + text + end if text else ""


def _indent(text: str) -> str:
    return _wrap(_INDENT, text.replace("\n", "\n" + _INDENT))


def _block(items: Iterable[str]) -> str:
    return _wrap("{\n", _indent(_join(items, "\n")), "\n}")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _selection_set(node: ast.SelectionSetNode | None) -> str:
    if node is None:
        return ""
    return _block([_selection(selection) for selection in node.selections])


def _selection(node: ast.SelectionNode) -> str:
    if isinstance(node, ast.FieldNode):
        prefix = (
            _wrap("", node.alias.value if node.alias else "", ": ") + node.name.value
        )
        arguments = [_argument(argument) for argument in node.arguments or ()]
        line = prefix + _wrap("(", _join(arguments, ", "), ")")
        if _utf16_length(line) > _MAX_LINE_LENGTH:
            line = prefix + _wrap("(\n", _indent(_join(arguments, "\n")), "\n)")
        return _join(
            [line, _directives(node.directives), _selection_set(node.selection_set)],
            " ",
        )
    if isinstance(node, ast.InlineFragmentNode):
        condition = node.type_condition.name.value if node.type_condition else ""
        return _join(
            [
                "...",
                _wrap("on ", condition),
                _directives(node.directives),
                _selection_set(node.selection_set),
            ],
            " ",
        )
    assert isinstance(node, ast.FragmentSpreadNode)
    return "..." + node.name.value + _wrap(" ", _directives(node.directives))


def _fragment_definition(node: ast.FragmentDefinitionNode) -> str:
    return (
        f"fragment {node.name.value} on {node.type_condition.name.value} "
        + _wrap("", _directives(node.directives), " ")
        + _selection_set(node.selection_set)
    )


def _directives(directives: Iterable[ast.DirectiveNode] | None) -> str:
    return _join(
        (
            "@"
            + directive.name.value
            + _wrap("(", _join(map(_argument, directive.arguments or ()), ", "), ")")
            for directive in directives or ()
        ),
        " ",
    )


def _argument(node: ast.ArgumentNode | ast.ObjectFieldNode) -> str:
    return node.name.value + ": " + _value(node.value)


def _value(node: ast.ValueNode) -> str:
    if isinstance(node, ast.VariableNode):
        return "$" + node.name.value
    if isinstance(node, ast.StringValueNode):
        return (
            print_block_string(node.value) if node.block else print_string(node.value)
        )
    if isinstance(node, ast.BooleanValueNode):
        return "true" if node.value else "false"
    if isinstance(node, ast.NullValueNode):
        return "null"
    if isinstance(node, ast.ListValueNode):
        return "[" + _join(map(_value, node.values), ", ") + "]"
    if isinstance(node, ast.ObjectValueNode):
        return "{" + _join(map(_argument, node.fields), ", ") + "}"
    assert isinstance(node, ast.IntValueNode | ast.FloatValueNode | ast.EnumValueNode)
    return node.value
