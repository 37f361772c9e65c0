"""`router compose`: compose router.yaml's subgraphs into a supergraph SDL."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from router.commands.common import compose_from_config, eprint, format_error, load

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "compose",
        help="compose router.yaml's subgraphs into a supergraph",
        description="Compose the subgraphs registered in router.yaml into a supergraph (Apollo join-spec format).",
    )
    parser.add_argument(
        "--config",
        default="router.yaml",
        help="router.yaml path (default: %(default)s)",
    )
    parser.add_argument(
        "-o", "--output", help="write the supergraph here instead of stdout"
    )
    parser.add_argument(
        "--quiet", action="store_true", help="do not print composition hints"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config, base_dir = load(args.config)
    result, files = compose_from_config(config, base_dir)
    if not args.quiet:
        for hint in result.hints:
            eprint(f"hint[{hint.code}]: {hint.message}")
    if result.supergraph_sdl is None:
        for err in result.errors:
            eprint(format_error(err, files))
        eprint(f"composition failed with {len(result.errors)} error(s)")
        return 1
    if args.output:
        Path(args.output).write_text(result.supergraph_sdl, encoding="utf-8")
        eprint(f"wrote {args.output} ({len(config.subgraphs)} subgraphs)")
    else:
        sys.stdout.write(result.supergraph_sdl)
    return 0
