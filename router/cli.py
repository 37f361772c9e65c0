"""The `router` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from router.commands import check, compose, dev, keys, plan, serve
from router.commands.common import CommandError

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="router", description="GraphQL federation router"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    compose.add_parser(subparsers)
    check.add_parser(subparsers)
    dev.add_parser(subparsers)
    keys.add_parser(subparsers)
    plan.add_parser(subparsers)
    serve.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.run(args)
    except CommandError as exc:
        print(f"router {args.command}: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    sys.exit(main())
