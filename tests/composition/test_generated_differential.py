"""Our composer against Apollo's on generated subgraph sets, valid and subtly invalid.

`composition.generated_sets` draws `GENERATED_COUNT` sets from a fixed seed: half
valid worlds, half one mutation away from valid. Both composers compose every set once
a session (the `generated_compositions` fixture of conftest.py, which the hints
differential shares), and each set agrees when:

- both compose and our API schema is Apollo's (printed sorted), or
- both fail with the same set of error codes.

A disagreement is one of `KINDS`. Every disagreement must be listed in
`generated_known_differences.yaml`, grouped by cause, and every listed one must still
disagree: the file is the composer's to-do list, and stays true. When a test here
fails it prints the entries to add or remove.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from support.oracle import ApolloResult
from support.ours import api_schema_text

from composition.conftest import GeneratedComposition
from composition.generated_sets import VALID, GeneratedSet

pytestmark = pytest.mark.oracle

KNOWN_DIFFERENCES = Path(__file__).with_name("generated_known_differences.yaml")
KINDS = {
    "ours-fails": "Apollo composes the set, ours reports errors",
    "apollo-fails": "ours composes the set, Apollo reports errors",
    "ours-raises": "our compose() raises instead of returning errors",
    "other-codes": "both fail, with different sets of error codes",
    "api-schema": "both compose, the API schemas differ",
}
_VERDICT_KINDS = ("ours-fails", "apollo-fails")
_MESSAGE_CHARS = 200


class Outcome(NamedTuple):
    """How both composers took one set; `kind` is None when they agree."""

    case: GeneratedSet
    kind: str | None
    ours: list[str]  # "CODE: message"
    apollo: list[str]
    schema_diff: str = ""

    @property
    def name(self) -> str:
        return self.case.name

    def entry(self) -> dict[str, Any]:
        """The disagreement as an entry of the known-differences file."""
        return {
            "case": self.name,
            "kind": self.kind,
            "ours": sorted(_codes(self.ours)),
            "apollo": sorted(_codes(self.apollo)),
            "reason": self.reason(),
        }

    def reason(self) -> str:
        """The mutation, then each side's first message (or the schema diff)."""
        ours = self.ours[0] if self.ours else "composes"
        apollo = self.apollo[0] if self.apollo else "composes"
        if self.kind == "api-schema":
            ours = f"API schema differs: {self.schema_diff}"
        return f"{self.case.detail}. Apollo: {_clip(apollo)} | ours: {_clip(ours)}"


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MESSAGE_CHARS else text[:_MESSAGE_CHARS] + "..."


class _Summary:
    """The totals line, printed after the test summary (see tests/conftest.py: any
    registered plugin with `suite_summary_lines` is asked for its lines)."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []

    def suite_summary_lines(self) -> list[str]:
        if not self.outcomes:
            return []
        kinds = [o.kind for o in self.outcomes]
        valid = sum(o.case.mutation == VALID for o in self.outcomes)
        line = (
            f"generated composition differential: {len(kinds)} sets ({valid} valid, "
            f"{len(kinds) - valid} mutated), {kinds.count(None)} agreeing, "
            f"{sum(kinds.count(k) for k in _VERDICT_KINDS)} verdict differences, "
            f"{kinds.count('api-schema')} schema differences, "
            f"{kinds.count('other-codes')} with other error codes, "
            f"{kinds.count('ours-raises')} raising"
        )
        return [line]


_SUMMARY = _Summary()


class _Ours(NamedTuple):
    supergraph: str | None
    messages: list[str]  # "CODE: message"
    raised: bool


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest,
    generated_compositions: list[GeneratedComposition],
) -> list[Outcome]:
    manager = request.config.pluginmanager
    if not manager.is_registered(_SUMMARY):
        manager.register(_SUMMARY, "generated-composition-differential")
    _SUMMARY.outcomes = [
        _compare(c.case, _ours(c), c.apollo) for c in generated_compositions
    ]
    return _SUMMARY.outcomes


def _ours(composition: GeneratedComposition) -> _Ours:
    result = composition.ours
    if isinstance(result, Exception):
        return _Ours(None, [f"EXCEPTION: {result!r}"], raised=True)
    messages = [f"{e.code}: {e.message}" for e in result.errors]
    return _Ours(result.supergraph_sdl, messages, raised=False)


def _compare(case: GeneratedSet, ours: _Ours, theirs: ApolloResult) -> Outcome:
    apollo = [f"{e['code']}: {e['message']}" for e in theirs["errors"]]

    def outcome(kind: str | None, schema_diff: str = "") -> Outcome:
        return Outcome(case, kind, ours.messages, apollo, schema_diff)

    if ours.raised:
        return outcome("ours-raises")
    if ours.supergraph is None and theirs["supergraph"] is None:
        same = _codes(ours.messages) == _codes(apollo)
        return outcome(None if same else "other-codes")
    if ours.supergraph is None:
        return outcome("ours-fails")
    if theirs["supergraph"] is None:
        return outcome("apollo-fails")
    diff = _schema_diff(ours.supergraph, theirs["supergraph"])
    return outcome("api-schema" if diff else None, diff)


def _codes(messages: list[str]) -> set[str]:
    return {m.split(":", 1)[0] for m in messages}


def _schema_diff(ours_sdl: str, apollo_sdl: str) -> str:
    """A short unified diff of the API schemas (Apollo's first), "" when equal."""
    texts = []
    for sdl in (apollo_sdl, ours_sdl):
        try:
            texts.append(api_schema_text(sdl))
        except Exception as exc:
            texts.append(f"our loader rejects the supergraph: {exc!r}")
    if texts[0] == texts[1]:
        return ""
    diff = difflib.unified_diff(
        texts[0].splitlines(), texts[1].splitlines(), "apollo", "ours", lineterm="", n=0
    )
    return "\n".join(list(diff)[2:14])


def _known() -> dict[tuple[str, str], dict[str, Any]]:
    """(case, kind) -> entry, from every class of the known-differences file."""
    data = yaml.safe_load(KNOWN_DIFFERENCES.read_text()) or {}
    return {
        (entry["case"], entry["kind"]): entry
        for group in data.get("classes", ())
        for entry in group["entries"]
    }


class _Dumper(yaml.SafeDumper):
    """Block style, but lists of codes on one line (`ours: [KEY_INVALID_FIELDS]`)."""


_Dumper.add_representer(
    list,
    lambda dumper, items: dumper.represent_sequence(
        "tag:yaml.org,2002:seq",
        items,
        flow_style=all(isinstance(item, str) for item in items),
    ),
)


def as_yaml(data: Any) -> str:
    """Entries (or the whole file) as the known-differences file writes them."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, width=100_000).rstrip()


def test_every_disagreement_with_apollo_is_a_known_difference(
    outcomes: list[Outcome],
) -> None:
    known = _known()
    unknown = [o for o in outcomes if o.kind and (o.name, o.kind) not in known]
    if unknown:
        pytest.fail(
            f"{len(unknown)} new disagreement(s) with Apollo on generated sets: fix "
            f"them, or add them to {KNOWN_DIFFERENCES.name} under their class:\n"
            + as_yaml([o.entry() for o in unknown]),
            pytrace=False,
        )


def test_every_known_difference_still_disagrees(outcomes: list[Outcome]) -> None:
    seen = {(o.name, o.kind) for o in outcomes if o.kind}
    stale = [entry for key, entry in _known().items() if key not in seen]
    if stale:
        pytest.fail(
            f"{len(stale)} entr(ies) of {KNOWN_DIFFERENCES.name} no longer disagree "
            "(fixed, or the generator changed): remove them:\n" + as_yaml(stale),
            pytrace=False,
        )


def test_known_differences_name_known_kinds() -> None:
    wrong = [key for key in _known() if key[1] not in KINDS]
    assert not wrong, f"kinds must be one of {sorted(KINDS)}: {wrong}"
