"""Several ``_entities`` fetches to one subgraph as one request, and its answer split back.

Entity fetches that become ready together (same subgraph, same moment of one plan
execution) go out as one operation whose root fields are the members' ``_entities``
fields, aliased ``_0``, ``_1``, ...; each member keeps its own representations variable
and selection, so the subgraph resolves each exactly as it would alone. Hive Router's
``BatchFetch`` does the same (QUERY_PLANNING.md §2.12).

Combining parses the member operations, so it is done once per tuple of members and
cached; a repeated request only builds the variables and splits the answer. ``split``
gives each member the body it would have got alone: ``data._entities`` from its alias,
and errors whose path starts with its alias, with the alias turned back into
``_entities`` so ``subgraph_errors.entity_errors`` maps them as before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    VariableNode,
    Visitor,
    parse,
    visit,
)

from planner.query_plan import Fetch, QueryPlan, fetches_in

__all__ = ["BatchOperation", "batch_operation", "batchable", "batched_services"]

_MAX_CACHED = 4096


@dataclass(frozen=True, slots=True)
class _Edit:
    """Replace ``source[start:end]`` by ``text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class _Template:
    """One entity fetch's operation, taken apart where a batch must rename things.

    ``variables`` maps each client variable to the text of its definition after the name
    (``:Int=3``). ``selection`` is the ``_entities`` selection set's span;
    ``fragments`` the fragment definitions' spans and names; ``renames`` every variable
    reference and fragment name in those spans (kind, start, end, name).
    """

    source: str
    representations: str
    variables: tuple[tuple[str, str], ...]
    selection: tuple[int, int]
    fragments: tuple[tuple[str, int, int], ...]
    renames: tuple[tuple[str, int, int, str], ...]


@dataclass(frozen=True, slots=True)
class BatchOperation:
    """The combined operation of ``members`` and how to fill and split it.

    ``members`` keeps the fetches alive while the entry is cached, so the identities the
    cache is keyed by cannot be reused by other objects.
    """

    members: tuple[Fetch, ...]
    query: str
    operation_name: str | None
    aliases: tuple[str, ...]
    representations: tuple[str, ...]
    # Per member: (client variable, its name in the combined operation).
    variables: tuple[tuple[tuple[str, str], ...], ...]

    def payload(self, member_variables: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The request body; ``member_variables[i]`` is what member i would send alone
        (its client variables and ``representations``)."""
        variables: dict[str, Any] = {}
        for sent, names, name in zip(
            member_variables, self.variables, self.representations, strict=True
        ):
            variables[name] = sent["representations"]
            for own, combined in names:
                if own in sent:
                    variables[combined] = sent[own]
        payload: dict[str, Any] = {"query": self.query, "variables": variables}
        if self.operation_name:
            payload["operationName"] = self.operation_name
        return payload

    def split(self, body: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Each member's body, as if it had been sent alone.

        An error whose path does not start with an alias cannot be placed: with data it
        goes to the first member only (one error, not one per member); without data every
        member failed and each reports it.
        """
        data = body.get("data")
        errors = body.get("errors")
        count = len(self.aliases)
        own: list[list[Any]] = [[] for _ in range(count)]
        unplaced: list[Any] = []
        if type(errors) is list:
            index_of = {alias: i for i, alias in enumerate(self.aliases)}
            for raw in errors:
                path = raw.get("path") if type(raw) is dict else None
                head = path[0] if type(path) is list and path else None
                index = index_of.get(head) if type(head) is str else None
                if index is None:
                    unplaced.append(raw)
                else:
                    assert type(path) is list
                    own[index].append({**raw, "path": ["_entities", *path[1:]]})
        bodies: list[dict[str, Any]] = []
        for i, alias in enumerate(self.aliases):
            member: dict[str, Any] = {}
            if type(data) is dict:
                member["data"] = {"_entities": data[alias]} if alias in data else {}
            elif "data" in body:
                member["data"] = data
            member_errors = own[i]
            if unplaced and (i == 0 or type(data) is not dict):
                member_errors = [*member_errors, *unplaced]
            if member_errors or "errors" in body:
                member["errors"] = member_errors
            bodies.append(member)
        return bodies


_templates: dict[int, tuple[Fetch, _Template | None]] = {}
_operations: dict[tuple[int, ...], BatchOperation] = {}


def batchable(fetch: Fetch) -> bool:
    """Whether ``fetch`` can be a member of a batch: a query of one unaliased
    ``_entities`` field, as every planner writes entity fetches."""
    return _template(fetch) is not None


def batch_operation(members: Sequence[Fetch]) -> BatchOperation:
    """The combined operation of ``members`` (all ``batchable``, one subgraph), cached by
    the members' identities."""
    key = tuple(map(id, members))
    cached = _operations.get(key)
    if cached is not None and all(
        a is b for a, b in zip(cached.members, members, strict=True)
    ):
        return cached
    operation = _combine(tuple(members))
    if len(_operations) >= _MAX_CACHED:
        _operations.clear()
    _operations[key] = operation
    return operation


def _template(fetch: Fetch) -> _Template | None:
    cached = _templates.get(id(fetch))
    if cached is not None and cached[0] is fetch:
        return cached[1]
    template = (
        _parse_template(fetch.operation)
        if fetch.requires is not None and fetch.operation_kind == "query"
        else None
    )
    if len(_templates) >= _MAX_CACHED:
        _templates.clear()
    _templates[id(fetch)] = (fetch, template)
    return template


def _parse_template(source: str) -> _Template | None:
    try:
        document = parse(source)
    except GraphQLError:
        return None
    operations = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    fragments = [
        d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    ]
    if len(operations) != 1 or len(operations) + len(fragments) != len(
        document.definitions
    ):
        return None
    operation = operations[0]
    if operation.operation is not OperationType.QUERY or operation.directives:
        return None
    roots = operation.selection_set.selections
    if len(roots) != 1 or not isinstance(roots[0], FieldNode):
        return None
    field = roots[0]
    arguments = field.arguments or ()
    if (
        field.name.value != "_entities"
        or field.alias is not None
        or field.directives
        or field.selection_set is None
        or len(arguments) != 1
        or arguments[0].name.value != "representations"
        or not isinstance(arguments[0].value, VariableNode)
    ):
        return None
    representations = arguments[0].value.name.value
    variables: list[tuple[str, str]] = []
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name == representations:
            continue
        assert definition.loc is not None and definition.variable.loc is not None
        variables.append(
            (name, source[definition.variable.loc.end : definition.loc.end])
        )
    collector = _Renames()
    visit(field.selection_set, collector)
    spans: list[tuple[str, int, int]] = []
    for fragment in fragments:
        visit(fragment, collector)
        assert fragment.loc is not None
        spans.append((fragment.name.value, fragment.loc.start, fragment.loc.end))
    assert field.selection_set.loc is not None
    return _Template(
        source,
        representations,
        tuple(variables),
        (field.selection_set.loc.start, field.selection_set.loc.end),
        tuple(spans),
        tuple(sorted(collector.found, key=lambda found: found[1])),
    )


class _Renames(Visitor):
    """Collects variable references and fragment names, with their source spans."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, int, int, str]] = []

    def enter_variable_definition(self, *_: Any) -> Any:
        return self.SKIP  # definitions are rebuilt, not edited

    def enter_variable(self, node: VariableNode, *_: Any) -> None:
        assert node.loc is not None
        self.found.append(("$", node.loc.start, node.loc.end, node.name.value))

    def enter_fragment_spread(self, node: FragmentSpreadNode, *_: Any) -> None:
        self._name(node.name.loc, node.name.value)

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
        self._name(node.name.loc, node.name.value)

    def _name(self, loc: Any, name: str) -> None:
        assert loc is not None
        self.found.append(("...", loc.start, loc.end, name))


def _unique(name: str, taken: set[str]) -> str:
    while name in taken:
        name = f"_{name}"
    taken.add(name)
    return name


def _combine(members: tuple[Fetch, ...]) -> BatchOperation:
    templates = [_template(fetch) for fetch in members]
    # Client variables keep their names when every member defines them alike.
    definitions: dict[str, str] = {}
    taken: set[str] = set()
    for template in templates:
        assert template is not None
        for name, rest in template.variables:
            if definitions.setdefault(name, rest) == rest:
                taken.add(name)
    declared: dict[str, str] = {}  # combined name -> definition
    member_variables: list[tuple[tuple[str, str], ...]] = []
    representations: list[str] = []
    fragment_names: set[str] = set()
    aliases: list[str] = []
    fields: list[str] = []
    fragment_texts: list[str] = []
    for i, template in enumerate(templates):
        assert template is not None
        names: dict[str, str] = {}
        for name, rest in template.variables:
            combined = (
                name if definitions[name] == rest else _unique(f"{name}_{i}", taken)
            )
            names[name] = combined
            declared[combined] = rest
        representation = _unique(f"r{i}", taken)
        names[template.representations] = representation
        representations.append(representation)
        renamed_fragments = {
            fragment: _unique(
                fragment if fragment not in fragment_names else f"{fragment}_{i}",
                fragment_names,
            )
            for fragment, _, _ in template.fragments
        }
        edits = [
            _Edit(start, end, "$" + names.get(name, name))
            if kind == "$"
            else _Edit(start, end, renamed_fragments.get(name, name))
            for kind, start, end, name in template.renames
        ]
        alias = f"_{i}"
        aliases.append(alias)
        start, end = template.selection
        fields.append(
            f"{alias}:_entities(representations:${representation})"
            + _render(template.source, start, end, edits)
        )
        fragment_texts.extend(
            _render(template.source, start, end, edits)
            for _, start, end in template.fragments
        )
        member_variables.append(
            tuple(
                (name, names[name])
                for name, _ in template.variables
                if name != template.representations
            )
        )
    header = "".join(f"${name}:[_Any!]!" for name in representations) + "".join(
        f"${name}{rest}" for name, rest in declared.items()
    )
    operation_name = _batch_name([fetch.operation_name for fetch in members])
    head = f"query {operation_name}" if operation_name else "query"
    query = f"{head}({header}){{{' '.join(fields)}}}" + "".join(fragment_texts)
    return BatchOperation(
        members,
        query,
        operation_name,
        tuple(aliases),
        tuple(representations),
        tuple(member_variables),
    )


def _render(source: str, start: int, end: int, edits: Sequence[_Edit]) -> str:
    """``source[start:end]`` with the (sorted, disjoint) ``edits`` inside it applied."""
    parts: list[str] = []
    at = start
    for edit in edits:
        if edit.start < start or edit.end > end:
            continue
        parts.append(source[at : edit.start])
        parts.append(edit.text)
        at = edit.end
    parts.append(source[at:end])
    return "".join(parts)


def _batch_name(names: Sequence[str | None]) -> str | None:
    """``Op__products__2`` and ``Op__products__6`` give ``Op__products__2_6``: stable
    for the same members and telling a subgraph's logs which fetches it carries; names
    of another form give the first name with ``__batch``."""
    first = names[0]
    if first is None or any(name is None for name in names):
        return None
    prefix, _, suffix = first.rpartition("__")
    suffixes = [suffix]
    for name in names[1:]:
        assert name is not None
        other_prefix, _, other = name.rpartition("__")
        if not prefix or other_prefix != prefix:
            return f"{first}__batch"
        suffixes.append(other)
    return f"{prefix}__{'_'.join(suffixes)}"


_services: dict[int, tuple[QueryPlan, frozenset[str]]] = {}


def batched_services(plan: QueryPlan) -> frozenset[str]:
    """The subgraphs with two or more batchable entity fetches in ``plan``: only their
    entity fetches wait one event-loop step for company."""
    cached = _services.get(id(plan))
    if cached is not None and cached[0] is plan:
        return cached[1]
    counts: dict[str, int] = {}
    for fetch in fetches_in(plan.node):
        if batchable(fetch):
            counts[fetch.service_name] = counts.get(fetch.service_name, 0) + 1
    services = frozenset(name for name, count in counts.items() if count > 1)
    if len(_services) >= _MAX_CACHED:
        _services.clear()
    _services[id(plan)] = (plan, services)
    return services
