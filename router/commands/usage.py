"""`router usage export`: the operations clients sent, per client, and the schema
coordinates each uses, as `telemetry.usage` recorded them (Redis with `store: redis`,
else the file `telemetry.usage.path` the router rewrites). `--format json` prints the
form `router check --usage FILE` reads.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from router.commands.common import CommandError, load
from router.config import RouterConfig
from router.config.duration import parse_duration
from router.store import StoreUnavailable
from router.usage.recorder import RedisUsage, usage_backend
from router.usage.report import UsageReport, UsageReportError

__all__ = ["add_parser", "read_usage", "run"]


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "usage",
        help="export the operation usage the router recorded",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", help="print the recorded usage")
    export.add_argument(
        "--config",
        default="router.yaml",
        help="router.yaml path (default: %(default)s)",
    )
    export.add_argument("--format", choices=("text", "json"), default="text")
    export.add_argument(
        "--window",
        help="how far back to count, e.g. 24h (default: telemetry.usage.window)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config, base_dir = load(args.config)
    report = read_usage(config, base_dir, "redis", args.window)
    if args.format == "json":
        print(json.dumps(report.to_json(), indent=2))
        return 0
    for op in report.operations:
        print(f"{op.count:>8} {op.title}")
        print(f"         uses {', '.join(sorted(op.coordinates))}")
    print(f"{len(report.operations)} operation(s)")
    return 0


def read_usage(
    config: RouterConfig, base_dir: Path, source: str, window: str | None
) -> UsageReport:
    """Usage from `source`: `redis` (router.yaml's `telemetry.usage`, whose `path`
    serves with `store: memory`) or an export file."""
    usage = config.telemetry.usage
    try:
        seconds = usage.window if window is None else parse_duration(window)
    except ValueError as exc:
        raise CommandError(f"--window {window}: {exc}") from None
    path: Path | None = None
    if source != "redis":
        path = Path(source)
    elif usage.store == "memory":
        if usage.path is None:
            raise CommandError(
                "telemetry.usage: with store: memory, set path (the file the router "
                "writes its usage to), or use store: redis"
            )
        path = base_dir / usage.path
    if path is not None:
        try:
            return UsageReport.from_json(path.read_text(encoding="utf-8"), str(path))
        except OSError as exc:
            raise CommandError(f"{path}: cannot read: {exc.strerror}") from None
        except UsageReportError as exc:
            raise CommandError(str(exc)) from None
    backend = usage_backend(usage, base_dir)
    if not isinstance(backend, RedisUsage):  # store: memory returned above
        raise CommandError("telemetry.usage.store: expected redis")

    async def read() -> UsageReport:
        try:
            return await backend.report(seconds)
        finally:
            await backend.close()

    try:
        return asyncio.run(read())
    except StoreUnavailable as exc:
        raise CommandError(f"telemetry.usage.redis: unavailable: {exc}") from None
