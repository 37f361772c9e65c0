"""PathTree.from_paths with shared subtrees: the same tree as built alone, reusing
what earlier trees built from the same path objects."""

from __future__ import annotations

import itertools

from planner.planning.fetch_graph import PathTree, SharedSubtrees
from planner.planning.paths import GraphPath, RootJumpStep, Step, Vertex


def _path(*hops: str) -> GraphPath:
    steps = tuple(RootJumpStep(a, b, "Query") for a, b in itertools.pairwise(hops))
    return GraphPath(steps, Vertex("Query", hops[-1]), 0)


def _shape(tree: PathTree) -> list[tuple[Step, list[object]]]:
    return [(step, _shape(child)) for step, child in tree.children.items()]


def test_shared_subtrees_give_the_tree_built_alone() -> None:
    paths = [_path("a", "b", "c"), _path("x", "y"), _path("a", "b", "d"), _path("a")]
    shared: SharedSubtrees = {}
    assert _shape(PathTree.from_paths(paths, shared)) == _shape(
        PathTree.from_paths(paths)
    )


def test_a_subtree_of_the_same_path_objects_is_reused() -> None:
    kept, first, second = _path("a", "b", "c"), _path("x", "y"), _path("x", "z")
    shared: SharedSubtrees = {}
    one = PathTree.from_paths([kept, first], shared)
    two = PathTree.from_paths([kept, second], shared)
    step = kept.steps[0]
    assert one.children[step] is two.children[step]
    assert _shape(two) == _shape(PathTree.from_paths([kept, second]))
