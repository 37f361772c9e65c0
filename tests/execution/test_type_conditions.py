"""Subtype answers are shared per schema without keeping a replaced schema alive."""

from __future__ import annotations

import gc
import weakref

from graphql import build_schema

from router.execution.type_conditions import type_conditions_for

SDL = """
interface Node { id: ID! }
type User implements Node { id: ID! }
type Post { id: ID! }
union Result = User | Post
type Query { node: Node result: Result }
"""


def test_answers_follow_the_schema() -> None:
    schema = build_schema(SDL)
    conditions = type_conditions_for(schema)
    assert conditions.matches("User", "Node")
    assert conditions.matches("Post", "Result")
    assert not conditions.matches("Post", "Node")
    assert conditions.is_object("User") and not conditions.is_object("Node")


def test_a_schema_no_longer_served_is_freed() -> None:
    # As after a reload: the old generation's schema asked for, then a new one.
    old = build_schema(SDL)
    assert type_conditions_for(old).matches("User", "Node")
    freed = weakref.ref(old)
    new = build_schema(SDL)
    assert type_conditions_for(new).matches("User", "Node")
    del old
    gc.collect()
    assert freed() is None
    assert type_conditions_for(new).matches("User", "Node")
