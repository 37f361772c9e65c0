"""Our composition hints against Apollo's, on the corpus and on the generated sets.

For every `ok` corpus case, and for every generated set both composers compose, our
hints must be Apollo's as a multiset of (code, message): same codes, same words, as
often. Apollo's results come from the session fixtures of conftest.py that the other
differential tests use, so nothing is composed twice. A difference fails the test
unless `hint_known_differences.yaml` lists it (case, code, `missing` from ours or
`extra` in ours, and why); every listed one must still differ.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import pytest
import yaml
from support.corpus import load_cases
from support.oracle import ApolloMessage, ApolloResult
from support.ours import compose_case

from composition.conftest import GeneratedComposition
from planner.composition import CompositionHint

pytestmark = pytest.mark.oracle

KNOWN_DIFFERENCES = Path(__file__).with_name("hint_known_differences.yaml")
OK_CASES = [c for c in load_cases() if c.ok]


class Difference(NamedTuple):
    """One hint one side gives more often than the other."""

    case: str
    side: str  # "missing": Apollo's, not ours; "extra": ours, not Apollo's
    code: str
    message: str

    def describe(self) -> str:
        return f"{self.case} {self.side} {self.code}: {self.message}"


class _Summary:
    """The agreement lines printed after the test summary (see tests/conftest.py)."""

    def __init__(self) -> None:
        self.lines: dict[str, str] = {}

    def suite_summary_lines(self) -> list[str]:
        return [self.lines[k] for k in sorted(self.lines)]


_SUMMARY = _Summary()


def hint_differences(
    case: str, ours: Iterable[CompositionHint], apollo: Sequence[ApolloMessage]
) -> list[Difference]:
    """The hints that differ, as multisets of (code, message)."""
    theirs = Counter((h["code"], h["message"]) for h in apollo)
    mine = Counter((h.code, h.message) for h in ours)
    return [
        Difference(case, side, code, message)
        for side, counts in (("missing", theirs - mine), ("extra", mine - theirs))
        for (code, message), times in sorted(counts.items())
        for _ in range(times)
    ]


def _known() -> dict[tuple[str, str, str], str]:
    """(case, side, code) -> reason, from the known-differences file."""
    data = yaml.safe_load(KNOWN_DIFFERENCES.read_text()) or []
    return {(e["case"], e["side"], e["code"]): e["reason"] for e in data}


def _check(
    request: pytest.FixtureRequest,
    label: str,
    compared: list[tuple[str, list[Difference], int]],
) -> None:
    """Record the agreement line for `label`, then fail on unknown differences.

    `compared` holds, per case, its differences and Apollo's hint count."""
    manager = request.config.pluginmanager
    if not manager.is_registered(_SUMMARY):
        manager.register(_SUMMARY, "hints-differential")
    agreeing = sum(1 for _, diffs, _ in compared if not diffs)
    hints = sum(count for _, _, count in compared)
    _SUMMARY.lines[label] = (
        f"hints differential ({label}): {len(compared)} cases, {agreeing} agreeing, "
        f"{len(compared) - agreeing} differing ({hints} hints from Apollo)"
    )
    known = _known()
    names = {name for name, _, _ in compared}
    seen = {(d.case, d.side, d.code) for _, diffs, _ in compared for d in diffs}
    unknown = [
        d.describe()
        for _, diffs, _ in compared
        for d in diffs
        if (d.case, d.side, d.code) not in known
    ]
    stale = [key for key in known if key[0] in names and key not in seen]
    problems = []
    if unknown:
        problems.append(
            f"{len(unknown)} hint difference(s) with Apollo ({label}), fix them or list "
            f"them in {KNOWN_DIFFERENCES.name}:\n" + "\n".join(unknown)
        )
    if stale:
        problems.append(
            f"{KNOWN_DIFFERENCES.name} entries that no longer differ: {stale}"
        )
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


def test_corpus_hints_match_apollo(
    request: pytest.FixtureRequest, apollo_results: Mapping[str, ApolloResult]
) -> None:
    compared = []
    for case in OK_CASES:
        apollo = apollo_results[case.name]
        ours = compose_case(case).hints
        compared.append(
            (
                case.name,
                hint_differences(case.name, ours, apollo["hints"]),
                len(apollo["hints"]),
            )
        )
    _check(request, "corpus", compared)


def test_generated_hints_match_apollo(
    request: pytest.FixtureRequest,
    generated_compositions: list[GeneratedComposition],
) -> None:
    compared = []
    for composition in generated_compositions:
        ours, apollo = composition.ours, composition.apollo
        if isinstance(ours, Exception) or not ours.ok or apollo["supergraph"] is None:
            continue  # the verdict differential's business
        name = composition.case.name
        compared.append(
            (
                name,
                hint_differences(name, ours.hints, apollo["hints"]),
                len(apollo["hints"]),
            )
        )
    _check(request, "generated", compared)


def test_known_differences_have_reasons() -> None:
    data = yaml.safe_load(KNOWN_DIFFERENCES.read_text()) or []
    wrong = [
        e
        for e in data
        if set(e) != {"case", "side", "code", "reason"}
        or e["side"] not in ("missing", "extra")
        or not e["reason"].strip()
    ]
    assert not wrong, f"entries need case, side (missing/extra), code, reason: {wrong}"
