"""The join model says what the supergraph's @join__* applications say."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import pytest

from planner.supergraph import (
    ContextArgument,
    EnumValueJoin,
    JoinField,
    JoinImplements,
    JoinType,
    JoinUnionMember,
    Supergraph,
    TypeContext,
    TypeKind,
)


def test_field_without_join_field_belongs_to_every_graph_of_its_type(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    product = supergraphs["entities"].types["Product"]
    upc = product.fields["upc"]
    assert upc.implicit
    assert upc.graphs == product.graphs == ("inventory", "products", "reviews")
    assert upc.joins == tuple(JoinField(graph) for graph in product.graphs)


def test_field_with_join_field_belongs_only_to_listed_graphs(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    name = supergraphs["entities"].types["Product"].fields["name"]
    assert not name.implicit
    assert name.graphs == ("products",)
    assert name.in_graph("reviews") is None


def test_join_type_records_keys_and_resolvable(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    types = supergraphs["entities"].types
    assert types["Product"].joins == (
        JoinType("inventory", key="upc"),
        JoinType("products", key="upc"),
        JoinType("products", key="sku"),
        JoinType("reviews", key="upc", resolvable=False),
    )
    assert [join.key for join in types["User"].keys("accounts")] == ["id", "username"]
    assert types["Query"].keys("accounts") == ()
    assert types["Review"].kind is TypeKind.OBJECT


def test_join_field_records_requires_provides_and_external(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    types = supergraphs["entities"].types
    assert types["Product"].fields["shippingEstimate"].joins == (
        JoinField("inventory", requires="price weight"),
    )
    assert types["Review"].fields["author"].joins == (
        JoinField("reviews", provides="username"),
    )
    assert types["User"].fields["username"].joins == (
        JoinField("accounts"),
        JoinField("reviews", external=True),
    )


def test_override_and_used_overridden(supergraphs: Mapping[str, Supergraph]) -> None:
    fields = supergraphs["entities"].types["Product"].fields
    assert fields["inStock"].joins == (JoinField("inventory", override="products"),)
    assert fields["sku"].joins == (
        JoinField("inventory", override="products"),
        JoinField("products", used_overridden=True),
    )


def test_progressive_override_label_from_join_v04(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    fields = supergraphs["progressive_override"].types["Order"].fields
    assert fields["total"].joins == (
        JoinField("legacy", override_label="percent(25)"),
        JoinField("orders", override="legacy", override_label="percent(25)"),
    )
    assert fields["number"].joins == (
        JoinField("legacy", used_overridden=True, override_label="newNumbers"),
        JoinField("orders", override="legacy", override_label="newNumbers"),
    )
    assert fields["status"].joins == (JoinField("orders", override="legacy"),)


def test_context_arguments_and_type_contexts_from_join_v05(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    types = supergraphs["context"].types
    assert types["Store"].contexts == (TypeContext("shop", "storeCtx"),)
    assert types["Product"].fields["price"].joins == (
        JoinField(
            "shop",
            context_arguments=(
                ContextArgument(
                    name="currency",
                    type="String",
                    context="shop__storeCtx",
                    selection=" { currency }",
                ),
            ),
        ),
    )


def test_interface_object_and_graphless_join_field(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    types = supergraphs["interface_object"].types
    media = types["Media"]
    assert media.kind is TypeKind.INTERFACE
    assert media.joins == (
        JoinType("media", key="id"),
        JoinType("ratings", key="id", is_interface_object=True),
    )
    assert media.is_interface_object("ratings") and not media.is_interface_object(
        "media"
    )
    # The interface object contributes `stars`; no subgraph of Movie resolves it directly.
    stars = types["Movie"].fields["stars"]
    assert stars.joins == (JoinField(None),)
    assert stars.graphs == ()
    assert types["Movie"].implements == (JoinImplements("media", "Media"),)


def test_field_type_per_graph(supergraphs: Mapping[str, Supergraph]) -> None:
    amount = supergraphs["value_types"].types["Money"].fields["amount"]
    assert amount.joins == (
        JoinField("catalog", type="Int!"),
        JoinField("pricing", type="Int"),
    )


def test_union_members_and_enum_values_per_graph(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    types = supergraphs["value_types"].types
    search = types["SearchResult"]
    assert search.members_in("catalog") == ("Item", "Category")
    assert search.members_in("pricing") == ("Item", "Deal")
    assert types["Status"].enum_values == {
        "AVAILABLE": EnumValueJoin("AVAILABLE", ("catalog", "pricing")),
        "RETIRED": EnumValueJoin("RETIRED", ("catalog",)),
        "ON_SALE": EnumValueJoin("ON_SALE", ("pricing",)),
    }
    assert types["Deal"].interfaces_in("pricing") == ("Node",)
    assert types["Item"].interfaces_in("catalog") == ("Node",)


def test_join_v02_members_and_values_belong_to_every_graph_that_has_them(
    supergraphs: Mapping[str, Supergraph],
) -> None:
    types = supergraphs["join_v02"].types
    assert types["ShelfItem"].union_members == (
        JoinUnionMember("books", "Book"),
        JoinUnionMember("books", "Magazine"),
    )
    assert types["Format"].enum_values["HARDCOVER"] == EnumValueJoin(
        "HARDCOVER", ("books",), implicit=True
    )
    assert types["Book"].fields["id"].joins == (JoinField("books"),)


@pytest.mark.parametrize("name", ["entities", "inaccessible", "security"])
def test_feature_types_are_not_in_the_model(
    name: str, supergraphs: Mapping[str, Supergraph]
) -> None:
    assert not [t for t in supergraphs[name].types if "__" in t]


def test_model_records_are_frozen(supergraphs: Mapping[str, Supergraph]) -> None:
    supergraph = supergraphs["entities"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        supergraph.types["Product"].joins[0].key = "other"  # type: ignore[misc]
    fields: Any = supergraph.types["Product"].fields
    with pytest.raises(TypeError):
        fields["upc"] = fields["name"]
