"""`router check`: composition errors and hints, plus what the change does to clients.

The new composition's API schema is diffed against the previous supergraph's (`--against`,
by default router.yaml's `supergraph.file`); every change is classed BREAKING, DANGEROUS or
SAFE. Every operation of the persisted-query manifests (`--manifest`, by default
router.yaml's `persisted_queries.local_manifests` when the list is enabled) must validate
against the new API schema: one that does not is named, with its id and place in the
manifest. Exits 1 on composition errors, on a manifest operation that no longer
validates (`--allow-breaking` does not excuse it: registered clients send it), or on
breaking changes unless `--allow-breaking`. `--format github` prints GitHub Actions
workflow annotations.

With `--usage redis` (router.yaml's `telemetry.usage`) or `--usage FILE` (`router usage
export --format json`), a breaking change that no operation recorded in the window
(`--usage-window`, default `telemetry.usage.window`) uses is classed SAFE; one that
recorded operations use stays BREAKING and names them and their clients.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema

from planner.composition import CompositionError, CompositionResult
from planner.schema_diff import Criticality, SchemaChange, diff_schemas
from planner.supergraph import SupergraphError, load_supergraph
from router.cache.check import (
    PERSISTED_QUERY_INVALID,
    InvalidOperation,
    invalid_operations,
)
from router.cache.manifest import (
    Manifest,
    ManifestError,
    read_manifests,
    read_named_manifests,
)
from router.commands.common import CommandError, compose_from_config, format_error, load
from router.config import RouterConfig
from router.usage.report import UsageReport

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check that the subgraphs compose and what the change breaks for clients",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        default="router.yaml",
        help="router.yaml path (default: %(default)s)",
    )
    parser.add_argument(
        "--against",
        help="previous supergraph to diff the API schema against (default: router.yaml's supergraph.file; none if it does not exist)",
    )
    parser.add_argument("--format", choices=("text", "json", "github"), default="text")
    parser.add_argument(
        "--allow-breaking",
        action="store_true",
        help="exit 0 even when changes are breaking (not when a manifest operation "
        "no longer validates)",
    )
    parser.add_argument(
        "--manifest",
        action="append",
        default=[],
        metavar="FILE",
        help="a persisted-query manifest whose operations must keep validating "
        "(repeatable; default: router.yaml's persisted_queries.local_manifests when "
        "persisted_queries.enabled)",
    )
    parser.add_argument(
        "--usage",
        metavar="FILE|redis",
        help="operation usage deciding which breaking changes break a client: an "
        "export of `router usage export --format json`, or `redis` for the store "
        "router.yaml's telemetry.usage names",
    )
    parser.add_argument(
        "--usage-window",
        metavar="DURATION",
        help="with --usage redis: how far back operations count (default: "
        "telemetry.usage.window)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config, base_dir = load(args.config)
    usage = None
    if args.usage is not None:
        from router.commands.usage import read_usage

        usage = read_usage(config, base_dir, args.usage, args.usage_window)
    manifest = _manifest(args, config, base_dir)
    result, files = compose_from_config(config, base_dir)
    against = args.against or (
        str(base_dir / config.supergraph.file) if config.supergraph.file else None
    )
    changes: list[SchemaChange] = []
    baseline: str | None = None
    invalid: list[InvalidOperation] = []
    if result.supergraph_sdl is not None:
        new = load_supergraph(result.supergraph_sdl).api_schema
        if against is not None:
            path = Path(against)
            if path.exists():
                changes = _diff(path, new)
                baseline = str(against)
            elif args.against:
                raise CommandError(f"--against {against}: no such file")
        if manifest is not None:
            invalid = invalid_operations(manifest.operations, new)
    if usage is not None:
        changes = apply_usage(changes, usage)
    breaking = [c for c in changes if c.criticality is Criticality.BREAKING]
    report = {"text": _text, "json": _json, "github": _github}[args.format]
    print(report(result, changes, files, baseline, invalid))
    if result.errors or invalid:
        return 1
    return 1 if breaking and not args.allow_breaking else 0


def _manifest(
    args: argparse.Namespace, config: RouterConfig, base_dir: Path
) -> Manifest | None:
    """The operations of `--manifest` files, else of the list router.yaml serves."""
    try:
        if args.manifest:
            return read_named_manifests(args.manifest, "--manifest ")
        listed = config.persisted_queries
        if listed.enabled:
            return read_manifests(listed.local_manifests, base_dir)
    except ManifestError as exc:
        raise CommandError(str(exc)) from None
    return None


def _diff(previous: Path, new: GraphQLSchema) -> list[SchemaChange]:
    try:
        old = load_supergraph(previous.read_text(encoding="utf-8")).api_schema
    except SupergraphError as exc:
        raise CommandError(
            f"--against {previous}: {exc.message} ({exc.code})"
        ) from None
    except OSError as exc:
        raise CommandError(
            f"--against {previous}: cannot read: {exc.strerror}"
        ) from None
    return diff_schemas(old, new)


def _counts(changes: list[SchemaChange]) -> dict[str, int]:
    return {
        level.name: sum(1 for c in changes if c.criticality is level)
        for level in Criticality
    }


def _text(
    result: CompositionResult,
    changes: list[SchemaChange],
    files: dict[str, str],
    baseline: str | None,
    invalid: list[InvalidOperation],
) -> str:
    lines = [format_error(e, files) for e in result.errors]
    lines += [f"hint[{h.code}]: {h.message}" for h in result.hints]
    lines += [
        f"{c.criticality.name} {c.code} {c.coordinate}: {c.message}" for c in changes
    ]
    lines += [
        f"BREAKING {PERSISTED_QUERY_INVALID} {entry.title}: {_first_message(entry)}"
        for entry in invalid
    ]
    if invalid:
        lines.append(
            f"{len(invalid)} persisted-query operation(s) no longer validate against "
            "the new API schema"
        )
    if result.errors:
        lines.append(f"composition failed with {len(result.errors)} error(s)")
    elif baseline is None:
        lines.append("composition succeeded (no previous supergraph to diff against)")
    else:
        counts = _counts(changes)
        lines.append(
            f"composition succeeded; against {baseline}: {counts['BREAKING']} breaking, "
            f"{counts['DANGEROUS']} dangerous, {counts['SAFE']} safe change(s)"
        )
    return "\n".join(lines)


def _error_json(err: CompositionError) -> dict[str, Any]:
    return {
        "code": err.code,
        "message": err.message,
        "subgraphs": list(err.subgraphs),
        "coordinate": err.coordinate,
        "locations": [
            {"subgraph": s, "line": line, "column": col}
            for s, line, col in err.locations
        ],
    }


def _json(
    result: CompositionResult,
    changes: list[SchemaChange],
    files: dict[str, str],
    baseline: str | None,
    invalid: list[InvalidOperation],
) -> str:
    counts = _counts(changes)
    return json.dumps(
        {
            "ok": not result.errors and not counts["BREAKING"] and not invalid,
            "composed": not result.errors,
            "errors": [_error_json(e) for e in result.errors],
            "hints": [
                {"code": h.code, "message": h.message, "coordinate": h.coordinate}
                for h in result.hints
            ],
            "against": baseline,
            "changes": [
                {
                    "criticality": c.criticality.name,
                    "code": c.code,
                    "coordinate": c.coordinate,
                    "message": c.message,
                }
                for c in changes
            ],
            "counts": counts,
            "persisted_queries": {"invalid": [entry.to_json() for entry in invalid]},
        },
        indent=2,
    )


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")


def _github(
    result: CompositionResult,
    changes: list[SchemaChange],
    files: dict[str, str],
    baseline: str | None,
    invalid: list[InvalidOperation],
) -> str:
    lines = []
    for err in result.errors:
        props = [f"title={_escape_property(err.code)}"]
        if err.locations:
            subgraph, row, column = err.locations[0]
            if subgraph in files:
                props = [
                    f"file={_escape_property(files[subgraph])}",
                    f"line={row}",
                    f"col={column}",
                    *props,
                ]
        lines.append(f"::error {','.join(props)}::{_escape(err.message)}")
    for hint in result.hints:
        lines.append(
            f"::notice title={_escape_property(hint.code)}::{_escape(hint.message)}"
        )
    level = {
        Criticality.BREAKING: "error",
        Criticality.DANGEROUS: "warning",
        Criticality.SAFE: "notice",
    }
    for change in changes:
        title = _escape_property(f"{change.criticality.name} {change.code}")
        lines.append(
            f"::{level[change.criticality]} title={title}::{_escape(f'{change.coordinate}: {change.message}')}"
        )
    for entry in invalid:
        title = _escape_property(f"BREAKING {PERSISTED_QUERY_INVALID}")
        lines.append(
            f"::error title={title}::"
            f"{_escape(f'{entry.title}: {_first_message(entry)}')}"
        )
    lines.append(
        _text(result, [], files, baseline, []).splitlines()[-1]
        if not changes
        else _summary(changes, baseline)
    )
    return "\n".join(lines)


def _first_message(entry: InvalidOperation) -> str:
    message: str = entry.errors[0]["message"]
    more = len(entry.errors) - 1
    return message + (f" (and {more} more error(s))" if more else "")


def _summary(changes: list[SchemaChange], baseline: str | None) -> str:
    counts = _counts(changes)
    return f"against {baseline}: {counts['BREAKING']} breaking, {counts['DANGEROUS']} dangerous, {counts['SAFE']} safe change(s)"


def _used_by(change: SchemaChange) -> set[str]:
    """The coordinates whose use `change` breaks: its own, and for an added required
    argument or input field, the field or input type that now demands it."""
    coordinates = {change.coordinate}
    if change.code.endswith("_ADDED"):
        if change.coordinate.endswith(":)"):
            coordinates.add(change.coordinate.split("(", 1)[0])
        elif "." in change.coordinate:
            coordinates.add(change.coordinate.split(".", 1)[0])
    return coordinates


def apply_usage(changes: list[SchemaChange], usage: UsageReport) -> list[SchemaChange]:
    """Breaking changes that no recorded operation uses become SAFE; the others name
    the operations and clients they would break."""
    days = usage.window_seconds / 86400
    window = f"{days:g} day(s)" if days >= 1 else f"{usage.window_seconds / 3600:g} h"
    classified = []
    for change in changes:
        if change.criticality is not Criticality.BREAKING:
            classified.append(change)
            continue
        using = usage.using(_used_by(change))
        if not using:
            classified.append(
                replace(
                    change,
                    criticality=Criticality.SAFE,
                    message=f"{change.message} (no operation recorded in the last "
                    f"{window} uses it)",
                )
            )
            continue
        names = "; ".join(op.title for op in using[:10])
        more = f" and {len(using) - 10} more" if len(using) > 10 else ""
        classified.append(
            replace(
                change,
                message=f"{change.message}; breaks {len(using)} recorded "
                f"operation(s): {names}{more}",
            )
        )
    return classified
