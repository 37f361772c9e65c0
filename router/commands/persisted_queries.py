"""`router persisted-queries check`: does every operation of a manifest still run?

Each operation of the persisted-query manifests (Apollo's format or Relay's) is parsed
and validated against the supergraph's API schema, as the router would for a request.
The manifests are the files given, else router.yaml's
`persisted_queries.local_manifests`; the supergraph is `--supergraph`, else
router.yaml's `supergraph.file`. Exits 1 when an operation does not validate (each is
printed with its name, id, place in the manifest and coded errors) or a manifest does
not load.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from planner.supergraph import Supergraph, SupergraphError, load_supergraph
from router.cache.check import InvalidOperation, invalid_operations
from router.cache.manifest import (
    Manifest,
    ManifestError,
    read_manifests,
    read_named_manifests,
)
from router.commands.common import CommandError, load

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "persisted-queries",
        help="check persisted-query manifests against the supergraph",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = actions.add_parser(
        "check",
        help="validate every operation of the manifests against the API schema",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument(
        "manifests",
        nargs="*",
        metavar="MANIFEST",
        help="manifest files (default: router.yaml's persisted_queries.local_manifests)",
    )
    check.add_argument(
        "--config",
        default="router.yaml",
        help="router.yaml path (default: %(default)s)",
    )
    check.add_argument(
        "--supergraph", help="supergraph file (default: router.yaml's supergraph.file)"
    )
    check.add_argument("--format", choices=("text", "json"), default="text")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    supergraph_path, manifest = _inputs(args)
    supergraph = _load_supergraph(supergraph_path)
    invalid = invalid_operations(manifest.operations, supergraph.api_schema)
    if args.format == "json":
        print(
            json.dumps(
                {
                    "ok": not invalid,
                    "supergraph": str(supergraph_path),
                    "operations": len(manifest),
                    "invalid": [i.to_json() for i in invalid],
                },
                indent=2,
            )
        )
    else:
        print(_text(invalid, len(manifest), supergraph_path))
    return 1 if invalid else 0


def _inputs(args: argparse.Namespace) -> tuple[Path, Manifest]:
    config_path = Path(args.config)
    needs_config = not args.manifests or not args.supergraph
    if needs_config and not config_path.is_file():
        missing = "MANIFEST" if not args.manifests else "--supergraph"
        raise CommandError(f"no {args.config} to read: give {missing}")
    config, base_dir = load(args.config) if needs_config else (None, Path.cwd())
    try:
        if args.manifests:
            manifest = read_named_manifests(args.manifests)
        else:
            assert config is not None
            names = config.persisted_queries.local_manifests
            if not names:
                raise CommandError(
                    f"{args.config}: persisted_queries.local_manifests lists no "
                    "manifest: give MANIFEST"
                )
            manifest = read_manifests(names, base_dir)
    except ManifestError as exc:
        raise CommandError(str(exc)) from None
    if args.supergraph:
        return Path(args.supergraph), manifest
    assert config is not None
    if config.supergraph.file is None:
        raise CommandError(f"{args.config}: no supergraph.file: give --supergraph")
    return base_dir / config.supergraph.file, manifest


def _load_supergraph(path: Path) -> Supergraph:
    try:
        return load_supergraph(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CommandError(f"supergraph {path}: cannot read: {exc.strerror}") from None
    except SupergraphError as exc:
        raise CommandError(f"supergraph {path}: {exc.message} ({exc.code})") from None


def format_invalid(invalid: InvalidOperation) -> list[str]:
    """`error[CODE] Name (id ..., manifest where): message` and its locations."""
    lines = []
    for error in invalid.errors:
        line = (
            f"error[{error['extensions']['code']}] {invalid.title}: {error['message']}"
        )
        for location in error.get("locations", ()):
            line += (
                f"\n  --> {invalid.operation.source} {invalid.operation.where} "
                f"body:{location['line']}:{location['column']}"
            )
        lines.append(line)
    return lines


def _text(invalid: list[InvalidOperation], total: int, supergraph: Path) -> str:
    lines = [line for entry in invalid for line in format_invalid(entry)]
    lines.append(
        f"{total} operation(s) checked against {supergraph}: "
        f"{total - len(invalid)} valid, {len(invalid)} invalid"
    )
    return "\n".join(lines)
