"""`router check`'s change classes against graphql-inspector's, on generated schema pairs.

`@graphql-inspector/core` (pinned in `oracle/package.json`) diffs every pair of
`generated_pairs.generated_pairs(SEED, COUNT)` in one node process
(`oracle/inspector_diff.mjs`; its answers are kept in the test cache,
`support.derived_cache`); `diff_schemas` diffs them here. Each side's changes are
put in one vocabulary, a *family* at a schema coordinate (inspector's
`FIELD_DESCRIPTION_ADDED`, `_CHANGED` and `_REMOVED` are our
`FIELD_DESCRIPTION_CHANGED`; its `Type.field.arg` path is our `Type.field(arg:)`), and
the criticality of each (family, coordinate) is compared, inspector's NON_BREAKING
being our SAFE.

A (family, coordinate) that one side reports and the other does not, or that the two
class differently, is a mismatch. Every mismatch must be listed in
`inspector_known_differences.yaml` with the reason ours is right, and every listed
difference must still occur: the file stays the true list of where we part from
inspector on purpose. When a test here fails it prints the entries to add or remove.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import yaml
from generated_pairs import SchemaPair, generated_pairs
from graphql import (
    GraphQLArgument,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLNonNull,
    GraphQLSchema,
)
from support.derived_cache import cached_json, source_digest
from support.oracle import ORACLE_DIR

from planner.schema_diff import CHANGE_CODES, SchemaChange, diff_schemas

pytestmark = pytest.mark.oracle

SEED = 18
COUNT = 320
KNOWN_DIFFERENCES = Path(__file__).with_name("inspector_known_differences.yaml")
_SCRIPT = ORACLE_DIR / "inspector_diff.mjs"
_PACKAGE = ORACLE_DIR / "node_modules" / "@graphql-inspector" / "core"
_TIMEOUT_SECONDS = 120
_LEVELS = {"BREAKING": "BREAKING", "DANGEROUS": "DANGEROUS", "NON_BREAKING": "SAFE"}
_SEVERITY = ("BREAKING", "DANGEROUS", "SAFE")

# Our codes that share a family with others: the rest are their own family.
_OUR_FAMILIES = {
    "ROOT_TYPE_ADDED": "ROOT_TYPE",
    "ROOT_TYPE_REMOVED": "ROOT_TYPE",
    "ROOT_TYPE_CHANGED": "ROOT_TYPE",
    "ARG_ADDED_REQUIRED": "ARG_ADDED",
    "ARG_ADDED_OPTIONAL": "ARG_ADDED",
    "ARG_BECAME_REQUIRED": "ARG_DEFAULT",
    "ARG_DEFAULT_CHANGED": "ARG_DEFAULT",
    "INPUT_FIELD_ADDED_REQUIRED": "INPUT_FIELD_ADDED",
    "INPUT_FIELD_ADDED_OPTIONAL": "INPUT_FIELD_ADDED",
    "INPUT_FIELD_BECAME_REQUIRED": "INPUT_FIELD_DEFAULT",
    "INPUT_FIELD_DEFAULT_CHANGED": "INPUT_FIELD_DEFAULT",
}
_DEPRECATION = re.compile(r"^(\w+?)_DEPRECATION_(ADDED|REMOVED|REASON_CHANGED)$")

# Inspector's types whose family differs from their name. Field and directive
# arguments are both our ARG_*; descriptions and deprecation reasons added, changed
# or removed are one family each.
_INSPECTOR_FAMILIES = {
    "OBJECT_TYPE_INTERFACE_ADDED": "IMPLEMENTED_INTERFACE_ADDED",
    "OBJECT_TYPE_INTERFACE_REMOVED": "IMPLEMENTED_INTERFACE_REMOVED",
    "FIELD_ARGUMENT_ADDED": "ARG_ADDED",
    "FIELD_ARGUMENT_REMOVED": "ARG_REMOVED",
    "FIELD_ARGUMENT_TYPE_CHANGED": "ARG_TYPE_CHANGED",
    "FIELD_ARGUMENT_DEFAULT_CHANGED": "ARG_DEFAULT",
    "FIELD_ARGUMENT_DESCRIPTION_CHANGED": "ARG_DESCRIPTION",
    "DIRECTIVE_ARGUMENT_ADDED": "ARG_ADDED",
    "DIRECTIVE_ARGUMENT_REMOVED": "ARG_REMOVED",
    "DIRECTIVE_ARGUMENT_TYPE_CHANGED": "ARG_TYPE_CHANGED",
    "DIRECTIVE_ARGUMENT_DEFAULT_VALUE_CHANGED": "ARG_DEFAULT",
    "DIRECTIVE_ARGUMENT_DESCRIPTION_CHANGED": "ARG_DESCRIPTION",
    "INPUT_FIELD_DEFAULT_VALUE_CHANGED": "INPUT_FIELD_DEFAULT",
}
# Where inspector reports `@deprecated` applied or removed, by the kind of element.
_DEPRECATION_USAGES = {
    "DIRECTIVE_USAGE_FIELD_DEFINITION": "FIELD_DEPRECATION",
    "DIRECTIVE_USAGE_ARGUMENT_DEFINITION": "ARG_DEPRECATION",
    "DIRECTIVE_USAGE_INPUT_FIELD_DEFINITION": "INPUT_FIELD_DEPRECATION",
    "DIRECTIVE_USAGE_ENUM_VALUE": "ENUM_VALUE_DEPRECATION",
}
CONDITIONS = {
    "inside-added": "inside a definition we report added (a type, field, argument, ...)",
    "directive": "at a directive definition or one of its arguments",
    "type-system": "at a type or one of its members",
    "non-null": "at an argument or input field of non-null type",
    "nullable": "at an argument or input field of nullable type",
    "with-default": "at an argument or input field with a default value",
    "without-default": "at an argument or input field without a default value",
}
_USAGE_ARGUMENT = {"DIRECTIVE_USAGE_ARGUMENT_ADDED", "DIRECTIVE_USAGE_ARGUMENT_REMOVED"}
_ADDITIONS = {
    "TYPE_ADDED",
    "FIELD_ADDED",
    "ARG_ADDED_REQUIRED",
    "ARG_ADDED_OPTIONAL",
    "INPUT_FIELD_ADDED_REQUIRED",
    "INPUT_FIELD_ADDED_OPTIONAL",
    "ENUM_VALUE_ADDED",
    "DIRECTIVE_ADDED",
}


class Reported(NamedTuple):
    """One side's change in the shared vocabulary."""

    family: str
    coordinate: str
    code: str  # our code, or inspector's type
    level: str  # BREAKING, DANGEROUS or SAFE


class Mismatch(NamedTuple):
    """A (family, coordinate) the two sides do not class alike in one pair."""

    pair: str
    coordinate: str
    code: str  # ours when we report it, else inspector's
    ours: str  # level, or "-" when we report nothing
    inspector: str
    conditions: frozenset[str]

    def entry(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "ours": self.ours,
            "inspector": self.inspector,
            "conditions": sorted(self.conditions),
            "example": f"{self.pair} {self.coordinate}",
        }


# Running inspector ------------------------------------------------------------------


def _require_inspector() -> str:
    """Path to `node`; skips without node or the package, fails so under CI."""
    node = shutil.which("node")
    reason = None
    if node is None:
        reason = "`node` is not on PATH (Node 20+ is needed for graphql-inspector)"
    elif not _PACKAGE.is_dir():
        reason = "oracle/node_modules lacks @graphql-inspector/core: run `make oracle`"
    if reason is not None or node is None:
        if os.environ.get("CI"):
            pytest.fail(
                f"graphql-inspector unavailable under CI: {reason}", pytrace=False
            )
        pytest.skip(f"graphql-inspector unavailable: {reason}")
    return node


def _inspector_diffs(pairs: list[SchemaPair]) -> list[list[dict[str, Any]]]:
    """graphql-inspector's changes for each pair, from the test cache when the same
    pairs met the same script and packages before."""
    node = _require_inspector()
    payload = json.dumps({"pairs": [{"old": p.old, "new": p.new} for p in pairs]})
    key = [
        payload,
        source_digest("oracle/inspector_diff.mjs", "oracle/package-lock.json"),
    ]
    results: list[list[dict[str, Any]]] = cached_json(
        "inspector-diffs", key, lambda: _run_inspector(node, payload)
    )
    assert len(results) == len(pairs)
    return results


def _run_inspector(node: str, payload: str) -> list[list[dict[str, Any]]]:
    proc = subprocess.run(
        [node, str(_SCRIPT)],
        input=payload,
        capture_output=True,
        text=True,
        cwd=ORACLE_DIR,
        timeout=_TIMEOUT_SECONDS,
        check=False,
    )
    if proc.returncode != 0:
        pytest.fail(f"{_SCRIPT.name} failed:\n{proc.stderr[-4000:]}", pytrace=False)
    results: list[list[dict[str, Any]]] = json.loads(proc.stdout)["results"]
    return results


# One vocabulary ---------------------------------------------------------------------


def _ours(change: SchemaChange) -> Reported:
    code = change.code
    deprecation = _DEPRECATION.match(code)
    if deprecation:
        family = f"{deprecation[1]}_DEPRECATION"
    elif code.endswith("_DESCRIPTION_CHANGED"):
        family = code.removesuffix("_CHANGED")
    else:
        family = _OUR_FAMILIES.get(code, code)
    return Reported(family, change.coordinate, code, change.criticality.value)


def _argument(path: str) -> str:
    """`Type.field.arg` or `@dir.arg` as a coordinate: `Type.field(arg:)`."""
    owner, _, name = path.rpartition(".")
    return f"{owner}({name}:)"


def _inspector(change: dict[str, Any], new: GraphQLSchema) -> Reported:
    kind, path, meta = change["type"], change["path"] or "", change["meta"]
    level = _LEVELS[change["level"]]
    family = _INSPECTOR_FAMILIES.get(kind, kind)
    coordinate = path.removesuffix(".@deprecated")
    root = re.fullmatch(r"SCHEMA_(\w+)_TYPE_CHANGED", kind)
    usage = re.fullmatch(r"(DIRECTIVE_USAGE_\w+)_(ADDED|REMOVED)", kind)
    if root:
        family, coordinate = "ROOT_TYPE", f"schema.{root[1].lower()}"
    elif re.fullmatch(r"\w+_DESCRIPTION_(ADDED|REMOVED|CHANGED)", kind):
        family = re.sub(r"_(ADDED|REMOVED|CHANGED)$", "", family)
    elif re.fullmatch(r"\w+_DEPRECATION(_REASON)?_(ADDED|REMOVED|CHANGED)", kind):
        family = re.sub(r"_DEPRECATION.*$", "_DEPRECATION", kind)
    elif kind == "DIRECTIVE_ARGUMENT_ADDED":  # its path names the directive only
        coordinate = f"{path}({meta['addedDirectiveArgumentName']}:)"
    elif kind == "DIRECTIVE_USAGE_INPUT_OBJECT_ADDED" and path.endswith(".@oneOf"):
        family, coordinate = "INPUT_ONE_OF_ADDED", path.removesuffix(".@oneOf")
    elif kind == "DIRECTIVE_USAGE_INPUT_OBJECT_REMOVED" and path.endswith(".@oneOf"):
        family, coordinate = "INPUT_ONE_OF_REMOVED", path.removesuffix(".@oneOf")
    elif usage and path.endswith(".@deprecated") and usage[1] in _DEPRECATION_USAGES:
        family = _DEPRECATION_USAGES[usage[1]]
    elif kind in _USAGE_ARGUMENT and meta["directiveName"] == "deprecated":
        # `reason:` of an applied @deprecated added, changed or removed
        family, coordinate = _deprecation_owner(meta, new)
    elif kind.startswith("DIRECTIVE_USAGE_"):
        family = "DIRECTIVE_USAGE"
    if family.startswith("ARG_") and "(" not in coordinate:
        coordinate = _argument(coordinate)
    return Reported(family, coordinate, kind, level)


def _deprecation_owner(meta: dict[str, Any], new: GraphQLSchema) -> tuple[str, str]:
    type_name, field = meta["parentTypeName"], meta["parentFieldName"]
    if meta["parentArgumentName"]:
        return "ARG_DEPRECATION", f"{type_name}.{field}({meta['parentArgumentName']}:)"
    if meta["parentEnumValueName"]:
        return "ENUM_VALUE_DEPRECATION", f"{type_name}.{meta['parentEnumValueName']}"
    if isinstance(new.type_map.get(type_name), GraphQLInputObjectType):
        return "INPUT_FIELD_DEPRECATION", f"{type_name}.{field}"
    return "FIELD_DEPRECATION", f"{type_name}.{field}"


# Comparing --------------------------------------------------------------------------


def _input_value(schema: GraphQLSchema, coordinate: str) -> Any:
    """The argument or input field at `coordinate`, or None."""
    match = re.fullmatch(r"(@?)(\w+)(?:\.(\w+))?(?:\((\w+):\))?", coordinate)
    if match is None:
        return None
    at, owner, member, arg = match.groups()
    if at:
        directive = schema.get_directive(owner)
        return directive.args.get(arg) if directive and arg else None
    type_ = schema.type_map.get(owner)
    fields = getattr(type_, "fields", None)
    value = fields.get(member) if fields and member else None
    return value.args.get(arg) if value is not None and arg else value


def _conditions(
    coordinate: str, ours: list[Reported], pair: SchemaPair, added: set[str]
) -> frozenset[str]:
    """Named facts about a mismatch that known differences may require."""
    tags = set()
    if any(
        coordinate.startswith((a + ".", a + "(")) or coordinate == a for a in added
    ) and not any(r.code in _ADDITIONS for r in ours):
        tags.add("inside-added")
    tags.add("directive" if coordinate.startswith("@") else "type-system")
    value = _input_value(pair.new_schema, coordinate) or _input_value(
        pair.old_schema, coordinate
    )
    if isinstance(value, GraphQLArgument | GraphQLInputField):
        has_default = value.ast_node is not None and bool(value.ast_node.default_value)
        tags.add("non-null" if isinstance(value.type, GraphQLNonNull) else "nullable")
        tags.add("with-default" if has_default else "without-default")
    return frozenset(tags)


def _mismatches(
    pair: SchemaPair, theirs: list[dict[str, Any]]
) -> tuple[int, int, list[Mismatch]]:
    """(changes compared, agreeing, mismatches) for one pair."""
    if theirs and theirs[0]["type"] == "EXCEPTION":
        pytest.fail(f"inspector failed on {pair.name}: {theirs[0]['message']}")
    ours_by_key: dict[tuple[str, str], list[Reported]] = defaultdict(list)
    theirs_by_key: dict[tuple[str, str], list[Reported]] = defaultdict(list)
    for change in diff_schemas(pair.old_schema, pair.new_schema):
        reported = _ours(change)
        ours_by_key[reported.family, reported.coordinate].append(reported)
    for raw in theirs:
        reported = _inspector(raw, pair.new_schema)
        theirs_by_key[reported.family, reported.coordinate].append(reported)
    added = {
        r.coordinate for rs in ours_by_key.values() for r in rs if r.code in _ADDITIONS
    }
    agreeing, mismatches = 0, []
    keys = sorted(ours_by_key.keys() | theirs_by_key.keys())
    for key in keys:
        ours, inspector = ours_by_key.get(key, []), theirs_by_key.get(key, [])
        our_levels, their_levels = _worst(ours), _worst(inspector)
        if ours and inspector and our_levels == their_levels:
            agreeing += 1
            continue
        code = min(r.code for r in ours) if ours else min(r.code for r in inspector)
        conditions = _conditions(key[1], ours, pair, added)
        mismatches.append(
            Mismatch(pair.name, key[1], code, our_levels, their_levels, conditions)
        )
    return len(keys), agreeing, mismatches


def _worst(reported: list[Reported]) -> str:
    """A side's verdict on one (family, coordinate): the worst level it reports there.

    Inspector may report one change twice (`FIELD_DEPRECATION_ADDED` and the
    `@deprecated` usage it applies); its verdict is the more severe of the two.
    """
    levels = {r.level for r in reported}
    return next((level for level in _SEVERITY if level in levels), "-")


# Known differences ------------------------------------------------------------------


def _known() -> list[dict[str, Any]]:
    """Entries of the known-differences file, each with its `code` key filled in."""
    data = yaml.safe_load(KNOWN_DIFFERENCES.read_text()) or {}
    return [
        {"code": code, **entry} for code, entries in data.items() for entry in entries
    ]


def _explains(entry: dict[str, Any], mismatch: Mismatch) -> bool:
    """Whether a known-differences entry covers a mismatch.

    The key is a code or a shell-style pattern of codes (`*_DEPRECATION_REASON_CHANGED`);
    `inspector` is one level or a list of them; every listed condition must hold.
    """
    inspector = entry["inspector"]
    levels = inspector if isinstance(inspector, list) else [inspector]
    return (
        fnmatchcase(mismatch.code, entry["code"])
        and entry["ours"] == mismatch.ours
        and mismatch.inspector in levels
        and set(entry.get("conditions", ())) <= mismatch.conditions
    )


def _as_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, width=100_000).rstrip()


@pytest.fixture(scope="module")
def pairs() -> list[SchemaPair]:
    return generated_pairs(SEED, COUNT)


def test_generated_pairs_produce_every_change_code(pairs: list[SchemaPair]) -> None:
    seen = {
        change.code
        for pair in pairs
        for change in diff_schemas(pair.old_schema, pair.new_schema)
    }
    assert sorted(set(CHANGE_CODES) - seen) == []


def test_known_differences_give_levels_conditions_and_a_reason() -> None:
    for entry in _known():
        assert {"ours", "inspector", "reason"} <= entry.keys(), entry
        assert set(entry.get("conditions", ())) <= CONDITIONS.keys(), entry


def test_classification_agrees_with_graphql_inspector(pairs: list[SchemaPair]) -> None:
    results = _inspector_diffs(pairs)
    compared = agreeing = 0
    mismatches: list[Mismatch] = []
    for pair, theirs in zip(pairs, results, strict=True):
        n, agree, found = _mismatches(pair, theirs)
        compared, agreeing = compared + n, agreeing + agree
        mismatches += found
    known = _known()
    unexplained = [m for m in mismatches if not any(_explains(e, m) for e in known)]
    stale = [e for e in known if not any(_explains(e, m) for m in mismatches)]
    by_entry = Counter(
        next(e["code"] for e in known if _explains(e, m))
        for m in mismatches
        if m not in unexplained
    )
    print(
        f"\ngraphql-inspector differential: {len(pairs)} pairs, {compared} changes "
        f"compared, {agreeing} agreeing, deliberate differences: "
        + ", ".join(f"{code} {n}" for code, n in sorted(by_entry.items()))
    )
    problems = []
    if unexplained:
        firsts: dict[tuple[str, str, str], Mismatch] = {}
        for m in unexplained:
            firsts.setdefault((m.code, m.ours, m.inspector), m)
        problems.append(
            f"{len(unexplained)} mismatch(es) with graphql-inspector not in "
            f"{KNOWN_DIFFERENCES.name}; fix the classifier or list them with a reason "
            "(first of each kind):\n" + _as_yaml([m.entry() for m in firsts.values()])
        )
    if stale:
        problems.append(
            f"{len(stale)} entr(ies) of {KNOWN_DIFFERENCES.name} no longer occur: "
            "remove them:\n" + _as_yaml(stale)
        )
    if problems:
        pytest.fail("\n\n".join(problems), pytrace=False)
