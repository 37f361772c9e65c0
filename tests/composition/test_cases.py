"""Our composer against the corpus: each case's verdict and, once recorded, its supergraph.

`ok` cases must compose; when `supergraph.graphql` sits next to the case, our output
must equal it byte for byte (`UPDATE_SNAPSHOTS=1` rewrites it from our output). Error
cases must report every expected code, each error with a message.
"""

from __future__ import annotations

import difflib
import os

import pytest
from support.corpus import CASES_DIR, SNAPSHOT_FILE, Case, load_cases
from support.ours import compose_case, format_errors

from planner.errors import COMPOSITION_ERRORS

CASES = load_cases()
OK_CASES = [c for c in CASES if c.ok]
ERROR_CASES = [c for c in CASES if not c.ok]

# Codes the corpus must show at least once, each verified against Apollo by
# test_agreement_with_apollo.py.
REQUIRED_CODES = frozenset(
    {
        "INVALID_GRAPHQL",
        "INVALID_LINK_DIRECTIVE_USAGE",
        "UNKNOWN_FEDERATION_LINK_VERSION",
        "KEY_INVALID_FIELDS",
        "KEY_FIELDS_SELECT_INVALID_TYPE",
        "KEY_FIELDS_HAS_ARGS",
        "REQUIRES_INVALID_FIELDS",
        "REQUIRES_FIELDS_MISSING_EXTERNAL",
        "PROVIDES_INVALID_FIELDS",
        "PROVIDES_FIELDS_MISSING_EXTERNAL",
        "PROVIDES_ON_NON_OBJECT_FIELD",
        "EXTERNAL_UNUSED",
        "EXTERNAL_MISSING_ON_BASE",
        "EXTERNAL_TYPE_MISMATCH",
        "INVALID_FIELD_SHARING",
        "INVALID_SHAREABLE_USAGE",
        "FIELD_TYPE_MISMATCH",
        "TYPE_KIND_MISMATCH",
        "FIELD_ARGUMENT_TYPE_MISMATCH",
        "REQUIRED_ARGUMENT_MISSING_IN_SOME_SUBGRAPH",
        "EMPTY_MERGED_INPUT_TYPE",
        "EMPTY_MERGED_ENUM_TYPE",
        "ENUM_VALUE_MISMATCH",
        "OVERRIDE_FROM_SELF_ERROR",
        "OVERRIDE_SOURCE_HAS_OVERRIDE",
        "OVERRIDE_COLLISION_WITH_ANOTHER_DIRECTIVE",
        "OVERRIDE_LABEL_INVALID",
        "INTERFACE_OBJECT_USAGE_ERROR",
        "INTERFACE_KEY_NOT_ON_IMPLEMENTATION",
        "REFERENCED_INACCESSIBLE",
        "ONLY_INACCESSIBLE_CHILDREN",
        "NO_QUERIES",
        "INVALID_SUBGRAPH_NAME",
        "SATISFIABILITY_ERROR",
        "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE",
        "MISSING_TRANSITIVE_AUTH_REQUIREMENTS",
    }
)


def _ids(cases: list[Case]) -> list[str]:
    return [c.name for c in cases]


def test_corpus_is_well_formed() -> None:
    problems = []
    for path in sorted(p for p in CASES_DIR.iterdir() if p.is_dir()):
        if not (path / "case.yaml").is_file():
            problems.append(f"{path.name}: no case.yaml")
    for case in CASES:
        expected = {f"{s.name}.graphql" for s in case.subgraphs} | {"case.yaml"}
        if case.ok:
            expected.add(SNAPSHOT_FILE)
        stray = sorted(p.name for p in case.path.iterdir() if p.name not in expected)
        if stray:
            problems.append(f"{case.name}: unexpected files {stray}")
    assert not problems, "\n".join(problems)
    assert len(CASES) >= 70, f"the corpus has {len(CASES)} cases, want at least 70"


def test_corpus_covers_required_error_codes() -> None:
    covered = {code for case in ERROR_CASES for code in case.expected_codes}
    missing = sorted(REQUIRED_CODES - covered)
    assert not missing, f"no corpus case expects {missing}"


def test_expected_codes_are_in_the_error_catalogue() -> None:
    used: dict[str, list[str]] = {}
    for case in ERROR_CASES:
        for code in case.expected_codes:
            used.setdefault(code, []).append(case.name)
    unknown = {
        code: cases for code, cases in used.items() if code not in COMPOSITION_ERRORS
    }
    assert not unknown, (
        "codes Apollo returns for corpus cases but planner/errors.py does not list: "
        + "; ".join(
            f"{code} ({', '.join(cases)})" for code, cases in sorted(unknown.items())
        )
    )


@pytest.mark.parametrize("case", OK_CASES, ids=_ids(OK_CASES))
def test_valid_case_composes(case: Case) -> None:
    result = compose_case(case)
    if result.supergraph_sdl is None or result.errors:
        pytest.fail(
            f"{case.name} ({case.description}) should compose, but our composer "
            f"reported:\n{format_errors(result.errors)}",
            pytrace=False,
        )
    actual = result.supergraph_sdl.encode("utf-8")
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        if not case.snapshot.is_file() or case.snapshot.read_bytes() != actual:
            case.snapshot.write_bytes(actual)
        return
    if not case.snapshot.is_file():
        return  # not recorded yet: composing is all we can check
    expected = case.snapshot.read_bytes()
    if actual != expected:
        diff = difflib.unified_diff(
            expected.decode("utf-8").splitlines(),
            result.supergraph_sdl.splitlines(),
            "recorded supergraph.graphql",
            "our supergraph",
            lineterm="",
        )
        shown = "\n".join(list(diff)[:80])
        pytest.fail(
            f"{case.name}: our supergraph differs from the recorded one "
            f"(UPDATE_SNAPSHOTS=1 to re-record):\n{shown}",
            pytrace=False,
        )


@pytest.mark.parametrize("case", ERROR_CASES, ids=_ids(ERROR_CASES))
def test_invalid_case_reports_expected_codes(case: Case) -> None:
    result = compose_case(case)
    codes = {error.code for error in result.errors}
    missing = [code for code in case.expected_codes if code not in codes]
    if missing:
        pytest.fail(
            f"{case.name} ({case.description}): expected {missing} among our "
            f"errors, got:\n{format_errors(result.errors)}",
            pytrace=False,
        )
    if result.supergraph_sdl is not None:
        pytest.fail(
            f"{case.name}: errors were reported but a supergraph was returned too",
            pytrace=False,
        )
    silent = [error.code for error in result.errors if not error.message.strip()]
    if silent:
        pytest.fail(f"{case.name}: errors without a message: {silent}", pytrace=False)
