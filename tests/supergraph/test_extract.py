"""Subgraph extraction: each subgraph's Federation 2 SDL, checked rule by rule and by
re-composing it with Apollo's composer."""

from __future__ import annotations

import difflib
from collections.abc import Mapping

import pytest
from graphql import (
    DirectiveNode,
    DocumentNode,
    FieldDefinitionNode,
    SchemaExtensionNode,
    TypeDefinitionNode,
    parse,
    print_ast,
)

from planner.supergraph import (
    JoinField,
    Supergraph,
    extract_subgraphs,
    load_supergraph,
    print_sorted_schema,
)

from .conftest import CASES, Recomposition
from .test_load import model_of


def type_node(sdl: str, name: str) -> TypeDefinitionNode | None:
    document = parse(sdl)
    return next(
        (
            node
            for node in document.definitions
            if isinstance(node, TypeDefinitionNode) and node.name.value == name
        ),
        None,
    )


def directives(node: TypeDefinitionNode | FieldDefinitionNode | None) -> list[str]:
    assert node is not None
    applied: tuple[DirectiveNode, ...] = node.directives or ()
    return [print_ast(directive) for directive in applied]


def field(sdl: str, type_name: str, field_name: str) -> FieldDefinitionNode:
    node = type_node(sdl, type_name)
    found = next(
        f for f in getattr(node, "fields", None) or () if f.name.value == field_name
    )
    assert isinstance(found, FieldDefinitionNode)
    return found


def field_names(sdl: str, type_name: str) -> list[str]:
    return [
        f.name.value for f in getattr(type_node(sdl, type_name), "fields", None) or ()
    ]


def federation_link(sdl: str) -> str:
    document: DocumentNode = parse(sdl)
    extension = document.definitions[0]
    assert isinstance(extension, SchemaExtensionNode)
    return print_ast(extension)


@pytest.mark.parametrize("name", sorted(CASES))
def test_extracted_subgraphs_recompose_to_the_same_api_schema(
    name: str, supergraphs: Mapping[str, Supergraph], recomposition: Recomposition
) -> None:
    result = recomposition.recomposed[name]
    assert not result["errors"], result["errors"]
    original = print_sorted_schema(supergraphs[name].api_schema)
    again = print_sorted_schema(load_supergraph(result["supergraph"]).api_schema)
    assert again == original, "".join(
        difflib.unified_diff(original.splitlines(True), again.splitlines(True))
    )


@pytest.mark.parametrize("name", sorted(CASES))
def test_extracted_subgraphs_recompose_to_the_same_join_model(
    name: str, supergraphs: Mapping[str, Supergraph], recomposition: Recomposition
) -> None:
    def normalised(supergraph: Supergraph) -> dict[str, object]:
        # A used-but-overridden copy comes back as plain external: subgraph SDL has no way
        # to say "overridden but used", composition infers external. Join v0.2's implicit
        # enum values come back explicit (the recomposed supergraph is v0.3 or later).
        model = model_of(supergraph)
        for name, (
            kind,
            joins,
            fields,
            implements,
            members,
            values,
            contexts,
        ) in model.items():
            for field_name, field_join in fields.items():
                fields[field_name] = tuple(
                    JoinField(j.graph, external=True)
                    if j.used_overridden and not j.override_label
                    else j
                    for j in field_join.joins
                )
            values = {value: value_join.graphs for value, value_join in values.items()}
            model[name] = (kind, joins, fields, implements, members, values, contexts)
        return model

    result = recomposition.recomposed[name]
    assert not result["errors"], result["errors"]
    again = load_supergraph(result["supergraph"])
    assert dict(again.graphs) == dict(supergraphs[name].graphs)
    assert normalised(again) == normalised(supergraphs[name])


@pytest.mark.parametrize(
    "name", sorted(case for case in CASES if CASES[case].subgraphs)
)
def test_committed_fixture_is_what_apollo_composes_today(
    name: str, recomposition: Recomposition
) -> None:
    fresh = recomposition.fresh[name]
    assert not fresh["errors"], fresh["errors"]
    assert fresh["supergraph"] + "\n" == CASES[name].supergraph, (
        "run .venv/bin/python -m tests.supergraph.regenerate_fixtures"
    )


def test_types_are_in_the_subgraphs_that_join_them(
    extracted: Mapping[str, dict[str, str]],
) -> None:
    subgraphs = extracted["entities"]
    assert list(subgraphs) == ["accounts", "inventory", "products", "reviews"]
    assert type_node(subgraphs["accounts"], "Product") is None
    assert type_node(subgraphs["reviews"], "Review") is not None
    # inventory declares no root field: its Query would be empty, so it is left out.
    assert type_node(subgraphs["inventory"], "Query") is None
    assert type_node(subgraphs["products"], "Query") is not None


def test_keys_and_resolvable_false(extracted: Mapping[str, dict[str, str]]) -> None:
    subgraphs = extracted["entities"]
    assert directives(type_node(subgraphs["accounts"], "User")) == [
        '@key(fields: "id")',
        '@key(fields: "username")',
    ]
    assert directives(type_node(subgraphs["reviews"], "Product")) == [
        '@key(fields: "upc", resolvable: false)'
    ]


def test_field_directives_come_from_join_field(
    extracted: Mapping[str, dict[str, str]],
) -> None:
    inventory = extracted["entities"]["inventory"]
    assert directives(field(inventory, "Product", "weight")) == ["@external"]
    assert directives(field(inventory, "Product", "shippingEstimate")) == [
        '@requires(fields: "price weight")'
    ]
    assert directives(field(inventory, "Product", "inStock")) == [
        '@override(from: "products")'
    ]
    reviews = extracted["entities"]["reviews"]
    assert directives(field(reviews, "Review", "author")) == [
        '@provides(fields: "username")'
    ]
    assert directives(field(reviews, "User", "username")) == ["@external"]
    # Overridden but still used by products' key on sku: external, as Apollo marks it.
    products = extracted["entities"]["products"]
    assert directives(field(products, "Product", "sku")) == [
        '@external(reason: "[overridden]")'
    ]
    assert "inStock" not in field_names(products, "Product")


def test_fields_shared_by_several_subgraphs_are_shareable(
    extracted: Mapping[str, dict[str, str]],
) -> None:
    catalog, pricing = (
        extracted["value_types"]["catalog"],
        extracted["value_types"]["pricing"],
    )
    for sdl in (catalog, pricing):
        assert directives(field(sdl, "Money", "currency")) == ["@shareable"]
        assert "@shareable" in directives(field(sdl, "Money", "amount"))
        assert directives(field(sdl, "Item", "id")) == ["@shareable"]
    # Resolved by one subgraph only: not shareable.
    assert directives(field(catalog, "Item", "title")) == []
    # A provided external copy counts as a second resolver (the other one must be shareable).
    authors = extracted["join_v02"]["authors"]
    assert directives(field(authors, "Author", "name")) == ["@shareable"]


def test_field_type_override_per_subgraph(
    extracted: Mapping[str, dict[str, str]],
) -> None:
    catalog, pricing = (
        extracted["value_types"]["catalog"],
        extracted["value_types"]["pricing"],
    )
    assert print_ast(field(catalog, "Money", "amount").type) == "Int!"
    assert print_ast(field(pricing, "Money", "amount").type) == "Int"


def test_per_subgraph_implements_members_and_values(
    extracted: Mapping[str, dict[str, str]],
) -> None:
    catalog, pricing = (
        extracted["value_types"]["catalog"],
        extracted["value_types"]["pricing"],
    )
    assert "union SearchResult = Item | Category" in catalog
    assert "union SearchResult = Item | Deal" in pricing
    assert "type Deal implements Node {" in pricing
    status = type_node(pricing, "Status")
    assert [v.name.value for v in getattr(status, "values", None) or ()] == [
        "AVAILABLE",
        "ON_SALE",
    ]
    assert (
        '"""No longer sold."""\n  RETIRED @deprecated(reason: "Nobody uses it")'
        in catalog
    )


def test_interface_object(extracted: Mapping[str, dict[str, str]]) -> None:
    ratings, media = (
        extracted["interface_object"]["ratings"],
        extracted["interface_object"]["media"],
    )
    assert 'type Media @key(fields: "id") @interfaceObject {' in ratings
    assert 'interface Media @key(fields: "id") {' in media
    assert "stars" not in field_names(media, "Movie")
    assert federation_link(ratings) == (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
        'import: ["@interfaceObject", "@key"])'
    )


def test_progressive_override_keeps_both_copies_with_the_label(
    extracted: Mapping[str, dict[str, str]],
) -> None:
    orders, legacy = (
        extracted["progressive_override"]["orders"],
        extracted["progressive_override"]["legacy"],
    )
    assert directives(field(orders, "Order", "total")) == [
        '@override(from: "legacy", label: "percent(25)")',
        "@shareable",
    ]
    assert directives(field(legacy, "Order", "total")) == ["@shareable"]
    assert directives(field(legacy, "Order", "number")) == []
    assert "https://specs.apollo.dev/federation/v2.7" in federation_link(orders)
    assert "https://specs.apollo.dev/federation/v2.0" in federation_link(legacy)


def test_context_and_from_context(extracted: Mapping[str, dict[str, str]]) -> None:
    shop = extracted["context"]["shop"]
    assert 'type Store @key(fields: "id") @context(name: "storeCtx") {' in shop
    assert (
        'price(currency: String @fromContext(field: "$storeCtx { currency }")): Int'
        in shop
    )
    assert "https://specs.apollo.dev/federation/v2.8" in federation_link(shop)


def test_inaccessible_and_tag_use_the_subgraph_names(
    extracted: Mapping[str, dict[str, str]],
) -> None:
    assert extracted["renamed_links"] == extracted["inaccessible"]
    main = extracted["inaccessible"]["main"]
    assert (
        'account(id: ID!, debug: Boolean @inaccessible): Account @tag(name: "public")'
        in main
    )
    assert "directive @lowercase(strict: Boolean @inaccessible) on FIELD" in main
    assert extracted["imported_join"] == extracted["entities"]
    assert extracted["core_v02"] == extracted["join_v02"]


_HAND_MADE = """
schema
  @link(url: "https://specs.apollo.dev/link/v1.0")
  @link(url: "https://specs.apollo.dev/join/v0.3", for: EXECUTION)
{
  query: Query
}

directive @join__field(graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, external: Boolean, override: String, usedOverridden: Boolean) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION
directive @join__graph(name: String!, url: String!) on ENUM_VALUE
directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR
directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) repeatable on SCHEMA
scalar join__FieldSet
scalar link__Import
enum link__Purpose { SECURITY EXECUTION }
enum join__Graph {
  A @join__graph(name: "a", url: "http://a")
  B @join__graph(name: "b", url: "http://b")
}

type Query @join__type(graph: A) @join__type(graph: B) {
  product: Product @join__field(graph: A)
  note: Note @join__field(graph: B, provides: "text")
}

type Product @join__type(graph: A, key: "upc") @join__type(graph: B, key: "upc") {
  upc: String! @join__field(graph: A)
  weight: Int @join__field(graph: A)
  shipping: Int @join__field(graph: B, requires: "weight")
}

type Note @join__type(graph: A) @join__type(graph: B) {
  text: String @join__field(graph: A) @join__field(graph: B, external: true)
}
"""


def test_key_and_requires_fields_a_subgraph_lacks_are_added_as_external() -> None:
    b = extract_subgraphs(load_supergraph(_HAND_MADE))["b"]
    assert field_names(b, "Product") == ["shipping", "upc", "weight"]
    assert directives(field(b, "Product", "upc")) == ["@external"]
    assert directives(field(b, "Product", "weight")) == ["@external"]


def test_type_whose_only_fields_are_external_is_kept() -> None:
    b = extract_subgraphs(load_supergraph(_HAND_MADE))["b"]
    assert field_names(b, "Note") == ["text"]
    assert directives(field(b, "Note", "text")) == ["@external"]
    assert directives(
        field(extract_subgraphs(load_supergraph(_HAND_MADE))["a"], "Note", "text")
    ) == ["@shareable"]
