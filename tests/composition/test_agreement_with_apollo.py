"""Agreement with Apollo's composer (`@apollo/composition`, see oracle/).

First the corpus itself: Apollo must give every case the verdict its `case.yaml`
expects. Then the differential test: for every `ok` case and for router.yaml's example
subgraphs, our supergraph must have the same API schema and the same join directives as
Apollo's; for every error case both must fail with the same set of codes (CODE_DIFFERENCES
lists the deliberate exceptions, each with its reason).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping

import pytest
from support.corpus import Case, load_cases, load_router_yaml_case
from support.join_directives import describe_difference, join_directives
from support.oracle import ApolloResult
from support.ours import (
    api_schema_text,
    compose_case,
    format_errors,
    loader_unavailable_reason,
)

pytestmark = pytest.mark.oracle

CASES = load_cases()
OK_CASES = [c for c in CASES if c.ok]
ERROR_CASES = [c for c in CASES if not c.ok]
_EXAMPLE, _NO_EXAMPLE_REASON = load_router_yaml_case()
DIFFERENTIAL_CASES = [pytest.param(c, id=c.name) for c in OK_CASES] + [
    pytest.param(_EXAMPLE, id="router.yaml")
    if _EXAMPLE is not None
    else pytest.param(
        None, id="router.yaml", marks=pytest.mark.skip(reason=_NO_EXAMPLE_REASON)
    )
]

Record = Callable[[str, bool | None], None]


def _apollo_errors(result: ApolloResult) -> str:
    lines = [f"  {e['code']}: {e['message']}" for e in result["errors"]]
    return "\n".join(lines) or "  (no errors)"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_apollo_gives_the_expected_verdict(
    case: Case, apollo_results: Mapping[str, ApolloResult]
) -> None:
    result = apollo_results[case.name]
    if case.ok:
        assert result["supergraph"] is not None and not result["errors"], (
            f"{case.name} expects ok, but Apollo fails it:\n{_apollo_errors(result)}"
        )
        return
    codes = {e["code"] for e in result["errors"]}
    missing = [code for code in case.expected_codes if code not in codes]
    assert result["supergraph"] is None and not missing, (
        f"{case.name} expects {list(case.expected_codes)}, Apollo reports:\n"
        f"{_apollo_errors(result)}"
    )


def _both_supergraphs(
    case: Case, apollo_results: Mapping[str, ApolloResult], record: Record
) -> tuple[str, str]:
    apollo = apollo_results[case.name]
    if apollo["supergraph"] is None:
        pytest.fail(
            f"{case.name}: Apollo does not compose it:\n{_apollo_errors(apollo)}",
            pytrace=False,
        )
    ours = compose_case(case)
    if ours.supergraph_sdl is None:
        record(case.name, False)
        pytest.fail(
            f"{case.name}: Apollo composes it but ours fails:\n"
            f"{format_errors(ours.errors)}",
            pytrace=False,
        )
    return ours.supergraph_sdl, apollo["supergraph"]


@pytest.mark.parametrize("case", DIFFERENTIAL_CASES)
def test_api_schema_matches_apollo(
    case: Case,
    apollo_results: Mapping[str, ApolloResult],
    record_agreement: Record,
) -> None:
    ours_sdl, apollo_sdl = _both_supergraphs(case, apollo_results, record_agreement)
    loader_problem = loader_unavailable_reason()
    if loader_problem is not None:
        record_agreement(case.name, None)
        pytest.fail(f"{case.name}: {loader_problem}", pytrace=False)
    apollo_api, problem = _api_schema(apollo_sdl)
    if apollo_api is None:
        record_agreement(case.name, None)
        pytest.fail(
            f"{case.name}: our loader rejects Apollo's supergraph: {problem}",
            pytrace=False,
        )
    ours_api, problem = _api_schema(ours_sdl)
    if ours_api is None:
        record_agreement(case.name, False)
        pytest.fail(
            f"{case.name}: our loader rejects our supergraph: {problem}",
            pytrace=False,
        )
    record_agreement(case.name, ours_api == apollo_api)
    if ours_api != apollo_api:
        diff = difflib.unified_diff(
            apollo_api.splitlines(),
            ours_api.splitlines(),
            "apollo API schema",
            "our API schema",
            lineterm="",
        )
        shown = "\n".join(list(diff)[:60])
        pytest.fail(f"{case.name}: API schemas differ:\n{shown}", pytrace=False)


def _api_schema(supergraph_sdl: str) -> tuple[str | None, str]:
    """(printed API schema, "") or (None, why our loader could not produce it)."""
    try:
        return api_schema_text(supergraph_sdl), ""
    except Exception as exc:
        return None, repr(exc)


@pytest.mark.parametrize("case", DIFFERENTIAL_CASES)
def test_join_directives_match_apollo(
    case: Case,
    apollo_results: Mapping[str, ApolloResult],
    record_agreement: Record,
) -> None:
    ours_sdl, apollo_sdl = _both_supergraphs(case, apollo_results, record_agreement)
    difference = describe_difference(
        join_directives(ours_sdl), join_directives(apollo_sdl)
    )
    record_agreement(case.name, difference is None)
    if difference is not None:
        pytest.fail(f"{case.name}: {difference}", pytrace=False)


# Error cases whose codes differ from Apollo's on purpose: case -> (Apollo's extra
# codes, why ours are right).
CODE_DIFFERENCES: dict[str, tuple[frozenset[str], str]] = {
    "105-unknown-federation-version": (
        frozenset({"INVALID_GRAPHQL"}),
        "Apollo cannot read the federation link it refuses, then reports every "
        "federation directive as unknown with a message that names the directive as "
        "its own fix; we stop at the link's error, the cause",
    ),
}


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c.name for c in ERROR_CASES])
def test_error_codes_equal_apollo(
    case: Case,
    apollo_results: Mapping[str, ApolloResult],
    record_agreement: Record,
) -> None:
    """Ours must fail with exactly Apollo's set of codes: one code in common would let
    a spurious error (or a missing one) through."""
    apollo = apollo_results[case.name]
    apollo_codes = {e["code"] for e in apollo["errors"]}
    if apollo["supergraph"] is not None or not apollo_codes:
        pytest.fail(f"{case.name}: Apollo composes this case", pytrace=False)
    ours = compose_case(case)
    our_codes = {e.code for e in ours.errors}
    extra_in_apollo, _ = CODE_DIFFERENCES.get(case.name, (frozenset(), ""))
    agrees = our_codes == apollo_codes - extra_in_apollo
    record_agreement(case.name, agrees)
    if not agrees:
        pytest.fail(
            f"{case.name}: error codes differ (only Apollo: "
            f"{sorted(apollo_codes - our_codes)}, only ours: "
            f"{sorted(our_codes - apollo_codes)}).\n"
            f"apollo:\n{_apollo_errors(apollo)}\nours:\n{format_errors(ours.errors)}",
            pytrace=False,
        )


@pytest.mark.parametrize("name", sorted(CODE_DIFFERENCES))
def test_code_differences_are_still_differences(
    name: str, apollo_results: Mapping[str, ApolloResult]
) -> None:
    """An excuse that Apollo no longer needs, or that names a code Apollo does not
    report, is stale."""
    extra, _ = CODE_DIFFERENCES[name]
    apollo_codes = {e["code"] for e in apollo_results[name]["errors"]}
    our_codes = {e.code for e in compose_case(_case(name)).errors}
    assert extra <= apollo_codes and not extra & our_codes


def _case(name: str) -> Case:
    return next(c for c in CASES if c.name == name)
