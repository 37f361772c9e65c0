"""The fast SDL check: it lets valid supergraphs skip graphql-core's validation, and a
supergraph breaking any SDL rule still gets graphql-core's own message, coded."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from graphql import GraphQLSyntaxError, parse
from graphql.validation.validate import validate_sdl

from planner.supergraph import SupergraphError, load_supergraph
from planner.supergraph.sdl_check import certainly_valid_sdl

REPO = Path(__file__).resolve().parents[2]
SUPERGRAPH_FILES = sorted(
    path
    for path in (*REPO.glob("tests/**/*.graphql"), REPO / "supergraph.graphql")
    if "join__Graph" in path.read_text(encoding="utf-8")
)
BASE = (REPO / "supergraph.graphql").read_text(encoding="utf-8")

# Each breaks one of graphql-core's SDL rules (specified_sdl_rules), appended to BASE.
BROKEN = {
    "LoneSchemaDefinition": "schema { query: Query }",
    "UniqueTypeNames": "type Query { again: Int }",
    "UniqueEnumValueNames": "enum Twice { A B A }",
    "UniqueFieldDefinitionNames": "type Twice { a: Int b: Int a: Int }",
    "UniqueInputFieldDefinitionNames": "input Twice { a: Int a: Int }",
    "UniqueArgumentDefinitionNames": "type T { f(a: Int, a: Int): Int }",
    "UniqueDirectiveNames": "directive @tag(name: String!) on OBJECT",
    "KnownTypeNames": "type T { f: Missing }",
    "KnownTypeNamesInArguments": "type T { f(a: Missing): Int }",
    "KnownTypeNamesInUnions": "union U = Missing",
    "KnownDirectives": "type T @missing { f: Int }",
    "KnownDirectivesLocation": 'type T { f: Int @join__graph(name: "a", url: "b") }',
    "UniqueDirectivesPerLocation": "type T { f: Int @deprecated @deprecated }",
    "PossibleTypeExtensions": "extend type Missing { f: Int }",
    "KnownArgumentNamesOnDirectives": 'type T { f: Int @deprecated(why: "x") }',
    "UniqueArgumentNames": 'type T { f: Int @deprecated(reason: "a", reason: "b") }',
    "UniqueInputFieldNames": (
        "input In { a: Int } directive @with(v: In) on FIELD_DEFINITION "
        "type T { f: Int @with(v: {a: 1, a: 2}) }"
    ),
    "ProvidedRequiredArgumentsOnDirectives": "scalar S @specifiedBy",
    "UniqueOperationTypes": "",  # made by replacing, below
}


def _broken(rule: str) -> str:
    if rule == "UniqueOperationTypes":
        return BASE.replace("  query: Query\n", "  query: Query\n  query: Query\n", 1)
    return BASE + "\n" + BROKEN[rule] + "\n"


@pytest.mark.parametrize(
    "path", SUPERGRAPH_FILES, ids=[str(p.relative_to(REPO)) for p in SUPERGRAPH_FILES]
)
def test_check_passes_only_what_graphql_core_validation_passes(path: Path) -> None:
    sdl = path.read_text(encoding="utf-8")
    try:
        document = parse(sdl)
    except GraphQLSyntaxError as error:
        # Nothing to check it against: the loader must refuse it before the check runs.
        with pytest.raises(SupergraphError) as raised:
            load_supergraph(sdl)
        assert raised.value.code == "INVALID_SUPERGRAPH"
        assert error.message in raised.value.message
        return
    errors = validate_sdl(document)
    # Certainly valid means valid; and every valid supergraph here takes the fast path.
    assert certainly_valid_sdl(document) == (not errors), errors


@pytest.mark.parametrize("rule", sorted(BROKEN))
def test_supergraph_breaking_an_sdl_rule_gets_graphql_cores_message(rule: str) -> None:
    sdl = _broken(rule)
    expected = [error.message for error in validate_sdl(parse(sdl))]
    assert expected, f"the {rule} case breaks no rule"
    assert not certainly_valid_sdl(parse(sdl))
    with pytest.raises(SupergraphError) as raised:
        load_supergraph(sdl)
    assert raised.value.code == "INVALID_SUPERGRAPH"
    assert raised.value.message.startswith("the supergraph schema does not build: ")
    for message in expected:
        assert message in raised.value.message


def _mutants(sdl: str, rng: random.Random, count: int) -> list[str]:
    """Seeded line-level edits of a supergraph: a line dropped, repeated, or one of its
    names replaced by another name of the document."""
    lines = sdl.splitlines()
    names = sorted(set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sdl)))
    mutants: list[str] = []
    while len(mutants) < count:
        edited = list(lines)
        at = rng.randrange(len(edited))
        kind = rng.randrange(3)
        if kind == 0:
            del edited[at]
        elif kind == 1:
            edited.insert(at, edited[at])
        else:
            words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", edited[at])
            if not words:
                continue
            edited[at] = re.sub(
                rf"\b{re.escape(rng.choice(words))}\b",
                rng.choice(names),
                edited[at],
                count=1,
            )
        mutants.append("\n".join(edited))
    return mutants


def test_no_mutant_graphql_core_refuses_is_called_certainly_valid() -> None:
    rng = random.Random(19)
    checked = refused = 0
    for path in SUPERGRAPH_FILES:
        for sdl in _mutants(path.read_text(encoding="utf-8"), rng, 8):
            try:
                document = parse(sdl)
            except GraphQLSyntaxError:
                continue
            errors = validate_sdl(document)
            checked += 1
            refused += bool(errors)
            assert not (errors and certainly_valid_sdl(document)), (
                f"{path.name}: called certainly valid, but {errors[0].message}\n{sdl}"
            )
    # The edits must reach both sides of the check, or it proves nothing.
    assert checked > 200 and refused > 50, (checked, refused)
