"""`router.usage.coordinates`: the schema coordinates an operation uses, in the form
`router check` names changes."""

from __future__ import annotations

from graphql import OperationDefinitionNode, build_schema, parse

from router.usage.coordinates import operation_coordinates

SCHEMA = build_schema(
    """
    enum Sort { NEWEST OLDEST }
    input Filter { author: String, since: Int }
    type Review { id: ID!, body: String!, rating: Int! }
    type Query {
      reviews(sort: Sort, filter: Filter, first: Int): [Review!]!
      review(id: ID!): Review
    }
    """
)


def coordinates(text: str, name: str) -> set[str]:
    document = parse(text)
    [operation] = [
        d
        for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == name
    ]
    return set(operation_coordinates(SCHEMA, document, operation))


def test_fields_arguments_enum_values_and_input_fields_are_recorded() -> None:
    used = coordinates(
        'query A($n: Int) { reviews(sort: NEWEST, filter: {author: "x"}, first: $n) '
        "{ ...R __typename } } fragment R on Review { body }",
        "A",
    )
    assert used == {
        "Query",
        "Query.reviews",
        "Query.reviews(sort:)",
        "Query.reviews(filter:)",
        "Query.reviews(first:)",
        "Sort.NEWEST",
        "Filter",
        "Filter.author",
        "Int",
        "Review",
        "Review.body",
    }


def test_other_operations_and_their_fragments_are_not_counted() -> None:
    text = (
        "query A { review(id: 1) { id } } query B { reviews { ...R } } "
        "fragment R on Review { rating }"
    )
    assert coordinates(text, "A") == {
        "Query",
        "Query.review",
        "Query.review(id:)",
        "Review",
        "Review.id",
    }
