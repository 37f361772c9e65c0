"""`@defer` through `router serve` over the example subgraphs: accepted under
`supergraph.defer_support` (the default), answered to a client without multipart in one
merged response equal to the operation without `@defer` (streamed to one with it:
test_defer_multipart.py), and refused as an unknown directive when defer support is off
(as Apollo Router does). Issue 16.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    StringValueNode,
    parse,
    print_ast,
)
from multipart_harness import CONTENT_TYPE, Stream, merge_parts
from server_harness import Router, write_config
from support.gateway_corpus import is_mutation

from bench.plan.corpus import CorpusOperation, load_hand_written

_SEED = 1616
_VARIANTS = 3


@pytest.fixture(scope="module")
def router(
    subgraph_urls: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Router]:
    folder = tmp_path_factory.mktemp("defer")
    config = write_config(
        folder,
        subgraph_urls,
        "include_subgraph_errors:\n  all: true\n",
        introspection=True,
    )
    started = Router(["--config", str(config), "--listen", "127.0.0.1:0"], folder)
    try:
        yield started.wait_ready()
    finally:
        started.stop()


def _same_answer(
    router: Router, deferred: str, plain: str, variables: Any = None
) -> Any:
    """Both operations' responses, asserted equal (key order included); returns one.
    `variables` go to the deferred operation only."""
    got = router.query(deferred, variables)
    want = router.query(plain)
    assert json.dumps(got) == json.dumps(want), (deferred, got, want)
    return got


def test_deferred_entity_field_from_another_subgraph_answers(router: Router) -> None:
    body = _same_answer(
        router,
        '{ product(upc: "UPC-0001") { name ... @defer(label: "r") { reviews { body } } } }',
        '{ product(upc: "UPC-0001") { name reviews { body } } }',
    )
    assert "errors" not in body
    assert body["data"]["product"]["reviews"], body


def test_one_merged_response_to_a_client_without_multipart(router: Router) -> None:
    query = '{ product(upc: "UPC-0001") { name ... @defer { reviews { body } } } }'
    for accept in (
        "application/json",
        "application/graphql-response+json",
        "multipart/mixed;deferSpec=20220824;q=0, application/json",
    ):
        reply = router.post({"query": query}, accept=accept)
        assert reply.status == 200
        assert reply.headers["content-type"].split(";")[0] in (
            "application/json",
            "application/graphql-response+json",
        )
        assert reply.json()["data"]["product"]["reviews"]


@pytest.mark.parametrize("value", [True, False])
def test_defer_if_variable_either_way(router: Router, value: bool) -> None:
    body = _same_answer(
        router,
        "query($v: Boolean!) { topProducts(first: 2) { upc "
        "... @defer(if: $v) { name reviews { rating author { name } } } } }",
        "{ topProducts(first: 2) { upc name reviews { rating author { name } } } }",
        variables={"v": value},
    )
    assert len(body["data"]["topProducts"]) == 2


def test_nested_defer(router: Router) -> None:
    body = _same_answer(
        router,
        '{ product(upc: "UPC-0001") { upc ... @defer(label: "outer") { name reviews { body '
        '... @defer(label: "inner") { author { name email } } } } } }',
        '{ product(upc: "UPC-0001") { upc name reviews { body author { name email } } } }',
    )
    assert "errors" not in body


def test_defer_inside_a_list(router: Router) -> None:
    body = _same_answer(
        router,
        "{ latestReviews(first: 4) { id ... @defer { product { name price } "
        "author { username } } } }",
        "{ latestReviews(first: 4) { id product { name price } author { username } } }",
    )
    assert len(body["data"]["latestReviews"]) == 4


def test_defer_on_a_fragment_of_an_abstract_type(router: Router) -> None:
    body = _same_answer(
        router,
        'query { productItems(first: 4) { id ...Details @defer(label: "d") '
        "... on Book @defer { author topReview { body } } } "
        'search(text: "oak", first: 5) { ... on Product @defer { upc name } '
        "... on Furniture { material } } } "
        "fragment Details on ProductItem { title reviewCount product { name } }",
        "query { productItems(first: 4) { id ...Details "
        "... on Book { author topReview { body } } } "
        'search(text: "oak", first: 5) { ... on Product { upc name } '
        "... on Furniture { material } } } "
        "fragment Details on ProductItem { title reviewCount product { name } }",
    )
    assert body["data"]["productItems"]


# Client aliases named like a key or a @requires field (Product is keyed by `upc`,
# `shippingEstimate` requires `price weight`): the planner fetches them under another
# name, so the deferred fetches read the planner's value, not the client's.
_SHADOWING_ALIASES = [
    (
        '{ product(upc: "UPC-0001") { upc: name ... @defer { reviews { body } '
        "shippingEstimate } } }",
        '{ product(upc: "UPC-0001") { upc: name reviews { body } shippingEstimate } }',
    ),
    (
        '{ product(upc: "UPC-0001") { price: name weight ... @defer '
        "{ shippingEstimate } } }",
        '{ product(upc: "UPC-0001") { price: name weight shippingEstimate } }',
    ),
    (
        "{ topProducts(first: 3) { upc: name ... @defer { weight: price "
        "price: weight shippingEstimate inStock } } }",
        "{ topProducts(first: 3) { upc: name weight: price price: weight "
        "shippingEstimate inStock } }",
    ),
    (
        '{ upc: product(upc: "UPC-0001") { name ... @defer(label: "r") '
        "{ reviews { id: body author { name } } } } }",
        '{ upc: product(upc: "UPC-0001") { name reviews { id: body author { name } } } }',
    ),
]


@pytest.mark.parametrize(("deferred", "plain"), _SHADOWING_ALIASES)
def test_alias_named_like_a_planner_field_streams_the_plain_answer(
    router: Router, deferred: str, plain: str
) -> None:
    want = router.query(plain)
    assert "errors" not in want, want
    stream = Stream(router.url, deferred)
    assert stream.response.getheader("content-type") == CONTENT_TYPE
    payloads = stream.rest()
    assert len(payloads) >= 2, payloads
    assert merge_parts(payloads) == {"data": want["data"], "errors": []}, payloads


@pytest.mark.parametrize(("deferred", "plain"), _SHADOWING_ALIASES)
def test_alias_named_like_a_planner_field_answers_merged(
    router: Router, deferred: str, plain: str
) -> None:
    _same_answer(router, deferred, plain)


def test_introspection_lists_defer(router: Router) -> None:
    body = router.query("{ __schema { directives { name args { name } locations } } }")
    (defer,) = [
        d for d in body["data"]["__schema"]["directives"] if d["name"] == "defer"
    ]
    assert [arg["name"] for arg in defer["args"]] == ["label", "if"]
    assert defer["locations"] == ["FRAGMENT_SPREAD", "INLINE_FRAGMENT"]


def test_defer_support_off_refuses_defer_as_unknown(
    subgraph_urls: dict[str, str], tmp_path: Path
) -> None:
    config = write_config(tmp_path, subgraph_urls, introspection=True)
    text = config.read_text(encoding="utf-8")
    assert text.count("supergraph:\n") == 1
    config.write_text(
        text.replace("supergraph:\n", "supergraph:\n  defer_support: false\n"),
        encoding="utf-8",
    )
    router = Router(["--config", str(config), "--listen", "127.0.0.1:0"], tmp_path)
    try:
        router.wait_ready()
        body = router.query('{ product(upc: "UPC-0001") { ... @defer { name } } }')
        assert body.get("data") is None
        (error,) = body["errors"]
        assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert "@defer" in error["message"]
        directives = router.query("{ __schema { directives { name } } }")
        names = {d["name"] for d in directives["data"]["__schema"]["directives"]}
        assert "defer" not in names
    finally:
        router.stop()


# -- the differential: corpus operations with @defer added at random ------------------


def _defer(labels: Iterator[str], rng: random.Random) -> DirectiveNode:
    arguments = []
    if rng.random() < 0.3:
        arguments.append(
            ArgumentNode(
                name=NameNode(value="label"), value=StringValueNode(value=next(labels))
            )
        )
    if rng.random() < 0.2:
        arguments.append(
            ArgumentNode(
                name=NameNode(value="if"),
                value=BooleanValueNode(value=rng.random() < 0.5),
            )
        )
    return DirectiveNode(name=NameNode(value="defer"), arguments=tuple(arguments))


def _add_defers(
    selection_set: SelectionSetNode,
    rng: random.Random,
    labels: Iterator[str],
    share: float,
) -> tuple[SelectionSetNode, int]:
    """`selection_set` with `@defer` on some fragments and some fields wrapped in
    `... @defer { }`, and how many it added."""
    added = 0
    selections = []
    for selection in selection_set.selections:
        if getattr(selection, "selection_set", None) is not None:
            inner, count = _add_defers(selection.selection_set, rng, labels, share)
            selection = replace(selection, selection_set=inner)
            added += count
        if isinstance(selection, InlineFragmentNode | FragmentSpreadNode):
            if rng.random() < share * 2:
                directives = (*(selection.directives or ()), _defer(labels, rng))
                selection = replace(selection, directives=directives)
                added += 1
        elif isinstance(selection, FieldNode) and rng.random() < share:
            selection = InlineFragmentNode(
                type_condition=None,
                directives=(_defer(labels, rng),),
                selection_set=SelectionSetNode(selections=(selection,)),
            )
            added += 1
        selections.append(selection)
    return replace(selection_set, selections=tuple(selections)), added


def deferred_variant(query: str, rng: random.Random) -> str | None:
    """`query` with `@defer` on random fragments and around random fields (at least
    one), or None when it has no operation to defer in."""
    labels = (f"l{n}" for n in range(10_000))
    for share in (0.15, 0.4, 1.0):
        document: DocumentNode = parse(query, no_location=True)
        definitions = []
        added = 0
        for definition in document.definitions:
            if isinstance(definition, FragmentDefinitionNode) or (
                isinstance(definition, OperationDefinitionNode)
                and definition.operation is OperationType.QUERY
            ):
                inner, count = _add_defers(definition.selection_set, rng, labels, share)
                definition = replace(definition, selection_set=inner)
                added += count
            definitions.append(definition)
        if added:
            return print_ast(replace(document, definitions=tuple(definitions)))
    return None


def _corpus() -> list[tuple[CorpusOperation, str]]:
    """The planner corpus's queries over the example graph, each with up to
    `_VARIANTS` different deferred variants; seeded, so the same on every run."""
    rng = random.Random(_SEED)
    pairs = []
    for operation in load_hand_written():
        if is_mutation(operation):
            continue
        variants = {deferred_variant(operation.query, rng) for _ in range(_VARIANTS)}
        pairs += [(operation, v) for v in sorted(filter(None, variants))]
    return pairs


def test_deferred_corpus_answers_as_the_plain_operations(router: Router) -> None:
    """Every other deferred variant as one JSON response (equal to the plain answer,
    key order included), the others streamed as multipart: the payloads, merged as a
    client merges them, hold the plain answer's data and errors. The pairs go out a few
    at a time (queries only: their answers do not depend on one another)."""
    pairs = _corpus()
    assert len(pairs) >= 200
    with ThreadPoolExecutor(max_workers=_IN_FLIGHT) as pool:
        outcomes = list(
            pool.map(
                lambda pair: _compare_deferred(router, *pair),
                [(index, op, deferred) for index, (op, deferred) in enumerate(pairs)],
            )
        )
    differing = [difference for _, difference in outcomes if difference is not None]
    streamed = sum(1 for was_streamed, _ in outcomes if was_streamed)
    assert not differing, differing[:3]
    assert streamed >= 60


_IN_FLIGHT = 4


def _compare_deferred(
    router: Router, index: int, operation: CorpusOperation, deferred: str
) -> tuple[bool, tuple[Any, ...] | None]:
    """(whether the answer was streamed, the difference from the plain answer or
    None); odd pairs are streamed, even ones asked for one JSON response."""
    fields: dict[str, Any] = {"operationName": operation.operation_name}
    if operation.variables:
        fields["variables"] = operation.variables
    want = router.query(operation.query, **fields)
    if index % 2:
        streamed = False
        stream = Stream(router.url, deferred, fields=fields)
        if stream.response.getheader("content-type") == CONTENT_TYPE:
            streamed = True
            payloads = stream.rest()
            try:
                got = merge_parts(payloads)
            except (KeyError, IndexError, TypeError):  # an item at a path not sent
                return streamed, (operation.name, deferred, payloads, want)
        else:  # nothing deferred after all (at the root, `if: false`): JSON
            got = json.loads(stream.response.read())
            stream.connection.close()
        if got.get("data") != want.get("data") or _sorted(got.get("errors")) != _sorted(
            want.get("errors")
        ):
            return streamed, (operation.name, deferred, got, want)
        return streamed, None
    got = router.query(deferred, **fields)
    if json.dumps(got.get("data")) != json.dumps(want.get("data")) or json.dumps(
        got.get("errors")
    ) != json.dumps(want.get("errors")):
        return False, (operation.name, deferred, got, want)
    return False, None


def _sorted(errors: Any) -> list[str]:
    return sorted(json.dumps(e, sort_keys=True) for e in errors or ())
