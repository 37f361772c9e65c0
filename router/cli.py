"""The `router` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from router.commands.common import CommandError

__all__ = ["main"]

# Each command's module, imported only when needed: `serve` pulls in the HTTP server,
# `keys` Redis and JWT, and a short command such as `compose` should not pay for them.
COMMANDS = {
    "compose": "compose",
    "check": "check",
    "dev": "dev",
    "keys": "keys",
    "persisted-queries": "persisted_queries",
    "plan": "plan",
    "serve": "serve",
    "usage": "usage",
}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or of `command` alone when it is one of them."""
    parser = argparse.ArgumentParser(
        prog="router", description="GraphQL federation router"
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in (command,) if command in COMMANDS else COMMANDS:
        import_module(f"router.commands.{COMMANDS[name]}").add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(argv[0] if argv else None).parse_args(argv)
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
