"""The API schema: the supergraph without feature machinery and without @inaccessible elements."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest
from graphql import (
    DirectiveDefinitionNode,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
)
from graphql.language import Node

from planner.supergraph import (
    Supergraph,
    load_supergraph,
    print_api_schema,
    print_sorted_schema,
)
from planner.supergraph.read_join import type_nodes_by_name

from .conftest import CASES, ERROR_CASES

_KEPT_DIRECTIVES = {"deprecated", "specifiedBy"}


def applied_directives(schema: GraphQLSchema) -> Iterator[str]:
    """Names of every directive applied anywhere in the schema's AST nodes."""
    nodes: list[Node | None] = [schema.ast_node, *schema.extension_ast_nodes]
    for type_ in schema.type_map.values():
        nodes.extend([type_.ast_node, *type_.extension_ast_nodes])
    for node in nodes:
        yield from _directive_names(node)


def _directive_names(node: object) -> Iterator[str]:
    if isinstance(node, Node):
        for key in node.keys:
            value = getattr(node, key)
            if key == "directives":
                yield from (directive.name.value for directive in value or ())
            for child in value if isinstance(value, tuple) else (value,):
                yield from _directive_names(child)


def inaccessible_coordinates(supergraph: Supergraph) -> set[str]:
    """Schema coordinates of every element the supergraph marks inaccessible."""
    link = supergraph.link("https://specs.apollo.dev/inaccessible")
    if link is None:
        return set()
    name = link.directive_name("inaccessible")

    def hidden(node: Node) -> bool:
        return any(
            d.name.value == name for d in getattr(node, "directives", None) or ()
        )

    found = set()
    for type_name, nodes in type_nodes_by_name(
        supergraph.document, supergraph.links
    ).items():
        for node in nodes:
            if hidden(node):
                found.add(type_name)
            for field in getattr(node, "fields", None) or ():
                if hidden(field):
                    found.add(f"{type_name}.{field.name.value}")
                for arg in getattr(field, "arguments", None) or ():
                    if hidden(arg):
                        found.add(f"{type_name}.{field.name.value}({arg.name.value}:)")
            for value in getattr(node, "values", None) or ():
                if hidden(value):
                    found.add(f"{type_name}.{value.name.value}")
    for definition in supergraph.document.definitions:
        if isinstance(definition, DirectiveDefinitionNode):
            for arg in definition.arguments or ():
                if hidden(arg):
                    found.add(f"@{definition.name.value}({arg.name.value}:)")
    return found


def api_coordinates(schema: GraphQLSchema) -> set[str]:
    """Schema coordinates of every element of a schema."""
    found = set()
    for name, type_ in schema.type_map.items():
        found.add(name)
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            for field_name, field in type_.fields.items():
                found.add(f"{name}.{field_name}")
                found.update(f"{name}.{field_name}({arg}:)" for arg in field.args)
        elif isinstance(type_, GraphQLInputObjectType):
            found.update(f"{name}.{field_name}" for field_name in type_.fields)
        elif isinstance(type_, GraphQLEnumType):
            found.update(f"{name}.{value}" for value in type_.values)
    for directive in schema.directives:
        found.update(f"@{directive.name}({arg}:)" for arg in directive.args)
    return found


@pytest.mark.parametrize("name", sorted(CASES))
def test_api_schema_has_no_feature_machinery(
    name: str, supergraphs: Mapping[str, Supergraph]
) -> None:
    supergraph = supergraphs[name]
    api = supergraph.api_schema
    for link in supergraph.links:
        assert not [d.name for d in api.directives if link.owns_directive(d.name)], (
            link.url
        )
        assert not [t for t in api.type_map if link.owns_type(t)], link.url
    assert set(applied_directives(api)) <= _KEPT_DIRECTIVES
    printed = print_api_schema(supergraph)
    for trace in (
        "join__",
        "link__",
        "@link",
        "@inaccessible",
        "@tag",
        "core__",
        "@core",
    ):
        assert trace not in printed


@pytest.mark.parametrize("name", sorted(CASES))
def test_api_schema_drops_every_inaccessible_element(
    name: str, supergraphs: Mapping[str, Supergraph]
) -> None:
    supergraph = supergraphs[name]
    hidden = inaccessible_coordinates(supergraph)
    api = supergraph.api_schema
    assert not hidden & api_coordinates(api)
    for type_ in api.type_map.values():
        if isinstance(type_, GraphQLUnionType):
            assert not {member.name for member in type_.types} & hidden, type_.name
        if isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            assert not {itf.name for itf in type_.interfaces} & hidden, type_.name


def test_inaccessible_case_hides_every_kind_of_element(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    hidden = inaccessible_coordinates(supergraphs["inaccessible"])
    assert {
        "Ad",  # object type, and union member of FeedItem
        "Audited",  # interface, implemented by Account
        "HiddenUnion",
        "HiddenEnum",
        "HiddenInput",
        "InternalKey",  # scalar
        "Account.email",  # field
        "Query.account(debug:)",  # argument
        "FeedKind.ADS",  # enum value
        "FeedFilter.internalFlag",  # input field
        "@lowercase(strict:)",  # directive argument
    } <= hidden
    api = supergraphs["inaccessible"].api_schema
    account = api.type_map["Account"]
    assert isinstance(account, GraphQLObjectType)
    assert [itf.name for itf in account.interfaces] == ["Node"]
    feed_item = api.type_map["FeedItem"]
    assert isinstance(feed_item, GraphQLUnionType)
    assert [member.name for member in feed_item.types] == ["Post"]


def test_api_schema_keeps_descriptions_deprecations_specified_by_and_defaults(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    printed = print_api_schema(supergraphs["value_types"])
    assert '"""The root of all catalog queries."""\ntype Query {' in printed
    assert (
        '"""Everything for sale."""\n  items(filter: ItemFilter, order: SortOrder = ASC)'
        in printed
    )
    assert 'legacyItems: [Item] @deprecated(reason: "Use `items`.")' in printed
    assert 'RETIRED @deprecated(reason: "Nobody uses it")' in printed
    assert (
        'scalar DateTime @specifiedBy(url: "https://tools.ietf.org/html/rfc3339")'
        in printed
    )
    assert 'tags: [String!] = ["new"]' in printed
    assert "maxPrice: Int = 100" in printed


def test_api_schema_keeps_executable_directives(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    lowercase = supergraphs["inaccessible"].api_schema.get_directive("lowercase")
    assert lowercase is not None
    assert (
        lowercase.description
        == "Directive kept in the API schema because it is executable."
    )
    assert lowercase.args == {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_api_schema_matches_apollos(
    name: str,
    supergraphs: Mapping[str, Supergraph],
    apollo_api: Mapping[str, dict[str, str]],
) -> None:
    apollo = apollo_api[name]
    assert "error" not in apollo, apollo.get("error")
    expected = print_sorted_schema(build_schema(apollo["api"]))
    assert print_sorted_schema(supergraphs[name].api_schema) == expected


def test_print_sorted_schema_sorts_definitions_but_keeps_member_order() -> None:
    schema = build_schema(
        """
        directive @zeta on FIELD
        directive @alpha on FIELD
        schema { query: Root }
        type Root { zebra: Int, apple: B }
        type B implements Y & X { b: Int }
        interface Y { b: Int }
        interface X { b: Int }
        """
    )
    printed = print_sorted_schema(schema)
    assert printed.index("@alpha") < printed.index("@zeta")
    assert printed.index("type B ") < printed.index("type Root")
    assert printed.index("interface X") < printed.index("interface Y")
    assert "type Root {\n  zebra: Int\n  apple: B\n}" in printed
    assert "type B implements Y & X" in printed
    assert printed.startswith("schema {\n  query: Root\n}\n\n")


def test_inaccessible_root_type_takes_its_operation_with_it() -> None:
    # Composition refuses this (DISALLOWED_INACCESSIBLE); Apollo's loader drops the root.
    sdl = (
        ERROR_CASES["referenced_inaccessible"]
        .supergraph.replace(
            "  query: Query\n", "  query: Query\n  mutation: Mutation\n"
        )
        .replace('key: "id")\n  @inaccessible\n', 'key: "id")\n')
    )
    sdl += "\ntype Mutation\n  @join__type(graph: USERS)\n  @inaccessible\n{\n  x: Int\n}\n"
    supergraph = load_supergraph(sdl)
    assert supergraph.schema.mutation_type is not None
    assert supergraph.api_schema.mutation_type is None
    assert "Mutation" not in supergraph.api_schema.type_map
