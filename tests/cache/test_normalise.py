"""The safelist's body comparison, on Apollo Router's own cases
(freeform_graphql_behavior.rs, `safelist_body_normalization`): ignored tokens and the
order of definitions do not matter, the order of fields does, and a body that does not
parse matches only itself.
"""

from __future__ import annotations

import pytest

from router.cache.normalise import normalised_text

LISTED = "fragment A on T { a }    query SomeOp { ...A ...B }    fragment,,, B on U{b c  } # yeah"


@pytest.mark.parametrize(
    "body",
    [
        LISTED,
        "#comment\n  fragment, B on U  , { b    c }    query SomeOp {  ...A ...B }  "
        "fragment    \nA on T { a }",
    ],
    ids=["same-text", "reformatted-and-reordered"],
)
def test_bodies_equal_but_for_ignored_tokens_and_definition_order_match(
    body: str,
) -> None:
    assert normalised_text(body) == normalised_text(LISTED)


def test_reordered_operations_match() -> None:
    assert normalised_text("query Op2 { b a } query Op1 { a b }") == normalised_text(
        "query Op1 { a b } query Op2 { b a }"
    )


def test_reordered_fields_do_not_match() -> None:
    reordered = "fragment A on T { a } query SomeOp { ...A ...B } fragment B on U{c b}"
    assert normalised_text(reordered) != normalised_text(LISTED)


def test_unparsable_bodies_match_only_byte_for_byte() -> None:
    assert normalised_text("}}}") == "}}}"
    assert normalised_text("}}}}") != normalised_text("}}}")
