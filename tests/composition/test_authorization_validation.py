"""Apollo's authorization rules reported with Apollo's codes and exact messages.

`AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE` and `MISSING_TRANSITIVE_AUTH_REQUIREMENTS`
(federation 2.9.4+): the corpus cases expecting them must fail with the same messages,
in the same order, as `@apollo/composition`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from support.corpus import Case, load_cases
from support.oracle import ApolloResult
from support.ours import compose_case

_CODES = {
    "AUTH_REQUIREMENTS_APPLIED_ON_INTERFACE",
    "MISSING_TRANSITIVE_AUTH_REQUIREMENTS",
}
CASES = [c for c in load_cases() if _CODES & set(c.expected_codes)]


@pytest.mark.oracle
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_authorization_errors_match_apollos_messages(
    case: Case, apollo_results: Mapping[str, ApolloResult]
) -> None:
    name = case.name
    expected = [(e["code"], e["message"]) for e in apollo_results[name]["errors"]]
    ours = compose_case(case)
    assert [(e.code, e.message) for e in ours.errors] == expected
