"""Printing the supergraph model in Apollo's format, deterministically.

Layout and ordering follow `@apollo/composition`'s output so that diffs against it stay
small: definitions sorted by name in locale order, fields in merge order, type directives
on their own lines (`@join__implements`, `@join__type`, `@join__unionMember`, then
`@inaccessible`, `@tag`, then `@authenticated`/`@requiresScopes`/`@policy` as first
applied; on interfaces the requirements copied from implementations come before
`@tag`), element directives inline (`@inaccessible`, `@join__*`, the requirements in
link order, `@tag`, `@deprecated`). The `@tag`, `@inaccessible` and authorization links
follow the order in which subgraphs first apply them, as Apollo adds them.
"""

from __future__ import annotations

from collections.abc import Iterable

from graphql.language.block_string import print_block_string
from graphql.language.print_string import print_string

from planner.composition.authorization import (
    AUTHENTICATED_DEFINITION,
    AUTHENTICATED_LINK,
    POLICY_DEFINITION,
    POLICY_LINK,
    POLICY_SCALAR,
    REQUIRES_SCOPES_DEFINITION,
    REQUIRES_SCOPES_LINK,
    SCOPE_SCALAR,
    print_policies,
    print_scopes,
)
from planner.composition.merge import _sort_key
from planner.composition.subgraph_model import Applied
from planner.composition.supergraph_model import (
    JoinField,
    JoinType,
    MergedDirective,
    MergedField,
    MergedInputValue,
    MergedType,
    SupergraphModel,
)

__all__ = ["print_supergraph"]

_LOCATIONS_ALL = "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
_JOIN_FIELD_ARGS = {
    "0.3": "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean",
    "0.4": "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String",
    "0.5": "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean, overrideLabel: String, contextArguments: [join__ContextArgument!]",
}
_LINK_PURPOSE = '''enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}'''
_CONTEXT_ARGUMENT = """input join__ContextArgument {
  name: String!
  type: String!
  context: String!
  selection: join__FieldValue!
}"""


def print_supergraph(model: SupergraphModel) -> str:
    blocks = [_schema(model), *_directive_definitions(model)]
    definitions: dict[str, str] = {
        "join__FieldSet": "scalar join__FieldSet",
        "join__Graph": _graph_enum(model),
        "link__Import": "scalar link__Import",
        "link__Purpose": _LINK_PURPOSE,
    }
    if model.join_version != "0.3":
        definitions["join__DirectiveArguments"] = "scalar join__DirectiveArguments"
    if model.join_version == "0.5":
        definitions["join__ContextArgument"] = _CONTEXT_ARGUMENT
        definitions["join__FieldValue"] = "scalar join__FieldValue"
    if "requiresScopes" in model.auth_features:
        definitions["requiresScopes__Scope"] = SCOPE_SCALAR
    if "policy" in model.auth_features:
        definitions["policy__Policy"] = POLICY_SCALAR
    for name, t in model.types.items():
        definitions[name] = _type(t, tuple(model.auth_features))
    blocks.extend(definitions[name] for name in sorted(definitions, key=_sort_key))
    return "\n\n".join(blocks) + "\n"


def _schema(model: SupergraphModel) -> str:
    links = [
        '@link(url: "https://specs.apollo.dev/link/v1.0")',
        f'@link(url: "https://specs.apollo.dev/join/v{model.join_version}", for: EXECUTION)',
    ]
    feature_links = {
        "tag": '@link(url: "https://specs.apollo.dev/tag/v0.3")',
        "inaccessible": (
            '@link(url: "https://specs.apollo.dev/inaccessible/v0.2", for: SECURITY)'
        ),
        "authenticated": AUTHENTICATED_LINK,
        "requiresScopes": REQUIRES_SCOPES_LINK,
        "policy": POLICY_LINK,
    }
    used = [
        *(["tag"] if model.uses_tag else []),
        *(["inaccessible"] if model.uses_inaccessible else []),
        *model.auth_features,
    ]
    # In the order subgraphs first apply them; a feature no subgraph applies directly
    # keeps the fixed position.
    order = model.feature_order
    fixed = list(feature_links)
    used.sort(
        key=lambda f: order.index(f) if f in order else len(order) + fixed.index(f)
    )
    links.extend(feature_links[name] for name in used)
    for url, names in model.composed_links.items():
        imports = ", ".join(f'"@{n}"' for n in names)
        links.append(f"@link(url: {print_string(url)}, import: [{imports}])")
    roots = "\n".join(f"  {kind}: {name}" for kind, name in model.roots.items())
    return (
        "schema\n" + "\n".join(f"  {link}" for link in links) + "\n{\n" + roots + "\n}"
    )


def _directive_definitions(model: SupergraphModel) -> list[str]:
    defs = {
        "join__enumValue": "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
        "join__field": f"directive @join__field({_JOIN_FIELD_ARGS[model.join_version]}) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION",
        "join__graph": "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
        "join__implements": "directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT | INTERFACE",
        "join__type": "directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR",
        "join__unionMember": "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION",
        "link": "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA",
    }
    if model.join_version != "0.3":
        defs["join__directive"] = (
            "directive @join__directive(graphs: [join__Graph!], name: String!, args: join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION"
        )
    defs.update({name: _directive(d) for name, d in model.directives.items()})
    if model.uses_inaccessible:
        defs["inaccessible"] = f"directive @inaccessible on {_LOCATIONS_ALL}"
    if "authenticated" in model.auth_features:
        defs["authenticated"] = AUTHENTICATED_DEFINITION
    if "requiresScopes" in model.auth_features:
        defs["requiresScopes"] = REQUIRES_SCOPES_DEFINITION
    if "policy" in model.auth_features:
        defs["policy"] = POLICY_DEFINITION
    if model.uses_tag:
        defs["tag"] = (
            f"directive @tag(name: String!) repeatable on {_LOCATIONS_ALL} | SCHEMA"
        )
    return [defs[name] for name in sorted(defs, key=_sort_key)]


def _directive(d: MergedDirective) -> str:
    args = _arguments(list(d.args.values()), "")
    repeatable = " repeatable" if d.repeatable else ""
    return (
        _description(d.description, "")
        + f"directive @{d.name}{args}{repeatable} on {' | '.join(d.locations)}"
    )


def _arguments(values: list[MergedInputValue], indent: str) -> str:
    """An argument list, on one line unless an argument has a description (then one
    argument a line, as graphql-js prints them)."""
    if not values:
        return ""
    if not any(a.description for a in values):
        return "(" + ", ".join(_input_value(a) for a in values) + ")"
    inner = "\n".join(
        _description(a.description, indent + "  ", i == 0)
        + indent
        + "  "
        + _input_value(a)
        for i, a in enumerate(values)
    )
    return "(\n" + inner + "\n" + indent + ")"


def _graph_enum(model: SupergraphModel) -> str:
    values = "\n".join(
        f"  {value} @join__graph(name: {print_string(name)}, url: {print_string(url)})"
        for value, name, url in model.graphs
    )
    return "enum join__Graph {\n" + values + "\n}"


def _description(text: str | None, indent: str, first: bool = True) -> str:
    """A description; one that is not first in its block gets a blank line before it."""
    if not text:
        return ""
    block = print_block_string(text)
    printed = (
        "\n".join(indent + line if line else line for line in block.split("\n")) + "\n"
    )
    return printed if first else "\n" + printed


def _type(t: MergedType, auth_order: tuple[str, ...]) -> str:
    keyword = {
        "OBJECT": "type",
        "INTERFACE": "interface",
        "UNION": "union",
        "ENUM": "enum",
        "INPUT_OBJECT": "input",
        "SCALAR": "scalar",
    }[t.kind]
    head = f"{keyword} {t.name}"
    if t.interfaces:
        head += " implements " + " & ".join(t.interfaces)
    directives = [
        *(
            f'@join__implements(graph: {g}, interface: "{i}")'
            for g, i in t.join_implements
        ),
        *(_join_type(j) for j in t.join_types),
        *(f'@join__unionMember(graph: {g}, member: "{m}")' for g, m in t.join_members),
        *_applied_type(t, auth_order),
    ]
    if t.specified_by:
        directives.append(f"@specifiedBy(url: {print_string(t.specified_by)})")
    text = _description(t.description, "") + head
    if directives:
        text += "\n" + "\n".join(f"  {d}" for d in directives)
    if t.kind == "SCALAR":
        return text
    if t.kind == "UNION":
        members = " | ".join(t.members)
        return text + ("\n = " if directives else " = ") + members
    body = _body(t, auth_order)
    return text + ("\n{\n" if directives else " {\n") + body + "\n}"


def _body(t: MergedType, auth_order: tuple[str, ...]) -> str:
    lines: list[str] = []
    if t.kind in ("OBJECT", "INTERFACE"):
        for i, f in enumerate(t.fields.values()):
            lines.append(
                _description(f.description, "  ", i == 0) + "  " + _field(f, auth_order)
            )
    elif t.kind == "INPUT_OBJECT":
        for i, v in enumerate(t.input_fields.values()):
            lines.append(
                _description(v.description, "  ", i == 0) + "  " + _input_value(v)
            )
    elif t.kind == "ENUM":
        for i, value in enumerate(t.values.values()):
            directives = _inline(
                value.applied, [f"@join__enumValue(graph: {g})" for g in value.graphs]
            )
            lines.append(
                _description(value.description, "  ", i == 0)
                + f"  {value.name}{directives}"
            )
    return "\n".join(lines)


def _field(f: MergedField, auth_order: tuple[str, ...]) -> str:
    args = _arguments(list(f.args.values()), "  ")
    joins = [_join_field(j) for j in f.join_fields]
    if f.from_interface_object:
        # Apollo copies the interface field's directives, then adds `@join__field`.
        copied = _inline(f.applied, [], auth_order, auth_first=True)
        return f"{f.name}{args}: {f.type}{copied}" + "".join(" " + j for j in joins)
    return f"{f.name}{args}: {f.type}{_inline(f.applied, joins, auth_order)}"


def _input_value(v: MergedInputValue) -> str:
    default = f" = {v.default}" if v.default is not None else ""
    return f"{v.name}: {v.type}{default}{_inline(v.applied, [_join_field(j) for j in v.join_fields])}"


def _inline(
    applied: Applied,
    joins: Iterable[str],
    auth_order: tuple[str, ...] = (),
    auth_first: bool = False,
) -> str:
    # Apollo merges the access-control directives of fields first, in the order their
    # specs were added to the supergraph.
    auth = _auth(applied, auth_order)
    parts: list[str] = list(auth) if auth_first else []
    if applied.inaccessible:
        parts.append("@inaccessible")
    parts.extend(joins)
    if not auth_first:
        parts.extend(auth)
    parts.extend(applied.composed)
    parts.extend(f"@tag(name: {print_string(tag)})" for tag in applied.tags)
    if applied.deprecated:
        if applied.deprecation_reason is None:
            parts.append("@deprecated")
        else:
            parts.append(
                f"@deprecated(reason: {print_string(applied.deprecation_reason)})"
            )
    return "".join(" " + p for p in parts)


def _applied_type(t: MergedType, auth_order: tuple[str, ...]) -> list[str]:
    applied = t.applied
    parts = ["@inaccessible"] if applied.inaccessible else []
    if t.kind == "INTERFACE":
        # Interfaces get requirements only from their implementations, merged first.
        parts.extend(_auth(applied, auth_order))
    parts.extend(applied.composed)
    parts.extend(f"@tag(name: {print_string(tag)})" for tag in applied.tags)
    if t.kind != "INTERFACE":
        parts.extend(_auth(applied, applied.auth_order))
    return parts


def _auth(applied: Applied, order: Iterable[str]) -> list[str]:
    """`@authenticated` and the merged `@requiresScopes` and `@policy`, in `order`."""
    parts: list[str] = []
    for name in order:
        if name == "authenticated" and applied.authenticated:
            parts.append("@authenticated")
        elif name == "requiresScopes" and applied.scopes:
            parts.append(print_scopes(applied.scopes))
        elif name == "policy" and applied.policies:
            parts.append(print_policies(applied.policies))
    return parts


def _join_type(j: JoinType) -> str:
    args = [f"graph: {j.graph}"]
    if j.key is not None:
        args.append(f"key: {print_string(j.key)}")
    if j.extension:
        args.append("extension: true")
    if not j.resolvable:
        args.append("resolvable: false")
    if j.interface_object:
        args.append("isInterfaceObject: true")
    return f"@join__type({', '.join(args)})"


def _join_field(j: JoinField) -> str:
    if j.graph is None:
        return "@join__field"
    args = [f"graph: {j.graph}"]
    if j.requires is not None:
        args.append(f"requires: {print_string(j.requires)}")
    if j.provides is not None:
        args.append(f"provides: {print_string(j.provides)}")
    if j.type is not None:
        args.append(f"type: {print_string(j.type)}")
    if j.external:
        args.append("external: true")
    if j.override is not None:
        args.append(f"override: {print_string(j.override)}")
    if j.used_overridden:
        args.append("usedOverridden: true")
    if j.override_label is not None:
        args.append(f"overrideLabel: {print_string(j.override_label)}")
    return f"@join__field({', '.join(args)})"
