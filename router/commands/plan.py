"""`router plan`: print the query plan the router would run for an operation.

The operation (a file, or `-` for stdin) is parsed and validated against the supergraph's
API schema as the router does for a request (with `@defer`, as under the default
`supergraph.defer_support: true`: a deferred operation prints a `Defer` node); each error
is printed with its code (GRAPHQL_PARSE_FAILED, GRAPHQL_VALIDATION_FAILED,
GRAPHQL_UNKNOWN_OPERATION_NAME, QUERY_PLANNING_FAILED) and the exit status is 1. Otherwise
the plan is printed in Apollo's text format (`--format text`, what Apollo's
`prettyFormatQueryPlan` prints) or its JSON form (`--format json`). The config is
`--config`, else ./router.yaml when present, else the defaults; the supergraph defaults
to the config's `supergraph.file`, else ./supergraph.graphql.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    parse,
    validate,
)

from planner.plan_json import plan_to_json
from planner.printer import format_query_plan
from planner.query_plan import QueryPlan
from planner.supergraph import Supergraph, SupergraphError, load_supergraph
from planner.supergraph.api_schema import with_defer
from router.commands.common import CommandError, eprint, load
from router.config import RouterConfig

if TYPE_CHECKING:
    from planner.planning import PlannerConfig

__all__ = ["add_parser", "run"]

# Codes from Apollo Router's catalogue (router.server.errors holds the server's copy).
_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
_UNKNOWN_OPERATION_NAME = "GRAPHQL_UNKNOWN_OPERATION_NAME"


class _QueryErrors(Exception):
    """The operation cannot be planned; ``errors`` are GraphQL errors in response form."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "plan",
        help="print the query plan for an operation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "query_file", metavar="QUERY_FILE", help="the operation's file, or - for stdin"
    )
    parser.add_argument(
        "--config",
        help="router.yaml whose planner settings to plan with (default: ./router.yaml "
        "if present, else the defaults)",
    )
    parser.add_argument(
        "--supergraph",
        help="supergraph SDL file (default: the config's supergraph.file, else "
        "supergraph.graphql)",
    )
    parser.add_argument(
        "--operation-name", help="which operation of the document to plan"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text")
    parser.add_argument(
        "--override-label",
        action="append",
        default=[],
        metavar="LABEL",
        help="a progressive @override label to treat as on (repeatable)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    config, base_dir = _load_config(args.config)
    supergraph = _load_supergraph(_supergraph_path(args.supergraph, config, base_dir))
    planner_config = config.planner_config()
    api_schema = supergraph.api_schema
    if planner_config.defer_support:
        api_schema = with_defer(api_schema)
    source, query = _read_query(args.query_file)
    try:
        document = _prepare(api_schema, query, args.operation_name)
        plan = _plan(
            supergraph,
            planner_config,
            document,
            args.operation_name,
            frozenset(args.override_label),
        )
    except _QueryErrors as failure:
        _print_errors(failure.errors, source, args.format)
        return 1
    if args.format == "json":
        print(json.dumps(plan_to_json(plan), indent=2))
    else:
        print(format_query_plan(plan))
    return 0


def _load_config(explicit: str | None) -> tuple[RouterConfig, Path]:
    if explicit:
        return load(explicit)
    if Path("router.yaml").is_file():
        return load("router.yaml")
    return RouterConfig(), Path.cwd()


def _supergraph_path(
    explicit: str | None, config: RouterConfig, base_dir: Path
) -> Path:
    if explicit:
        return Path(explicit)
    if config.supergraph.file:
        return base_dir / config.supergraph.file
    return Path("supergraph.graphql")


def _load_supergraph(path: Path) -> Supergraph:
    try:
        sdl = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"supergraph {path}: cannot read: {exc.strerror}") from None
    try:
        return load_supergraph(sdl)
    except SupergraphError as exc:
        raise CommandError(f"supergraph {path}: {exc.message} ({exc.code})") from None


def _read_query(name: str) -> tuple[str, str]:
    if name == "-":
        return "<stdin>", sys.stdin.read()
    try:
        return name, Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{name}: cannot read: {exc.strerror}") from None


def _prepare(
    schema: GraphQLSchema, query: str, operation_name: str | None
) -> DocumentNode:
    """Parses and validates as the router does for a request, or raises _QueryErrors."""
    try:
        document = parse(query, allow_empty_selection_sets=False)
    except GraphQLError as exc:
        raise _QueryErrors([_error(_PARSE_FAILED, exc)]) from None
    errors = validate(schema, document)
    if errors:
        raise _QueryErrors([_error(_VALIDATION_FAILED, e) for e in errors])
    operations = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    if operation_name is None and len(operations) > 1:
        message = "Must provide operation name if query contains multiple operations."
        raise _QueryErrors([_error(_VALIDATION_FAILED, GraphQLError(message))])
    named = [op for op in operations if op.name and op.name.value == operation_name]
    if operation_name is not None and not named:
        message = f'Unknown operation named "{operation_name}".'
        raise _QueryErrors([_error(_UNKNOWN_OPERATION_NAME, GraphQLError(message))])
    return document


def _plan(
    supergraph: Supergraph,
    config: PlannerConfig,
    document: DocumentNode,
    operation_name: str | None,
    override_labels: frozenset[str],
) -> QueryPlan:
    # Imported here so the other commands start without loading the planner.
    from planner.planning import QueryPlanner, QueryPlanningError

    try:
        plan: QueryPlan = QueryPlanner(supergraph, config).plan(
            document, operation_name=operation_name, override_labels=override_labels
        )
    except QueryPlanningError as exc:
        raise _QueryErrors([_error(exc.code, GraphQLError(exc.message))]) from None
    return plan


def _error(code: str, error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    formatted["extensions"] = {"code": code}
    return formatted


def _print_errors(errors: list[dict[str, Any]], source: str, output: str) -> None:
    if output == "json":
        print(json.dumps({"errors": errors}, indent=2))
        return
    for error in errors:
        line = f"error[{error['extensions']['code']}]: {error['message']}"
        for loc in error.get("locations", ()):
            line += f"\n  --> {source}:{loc['line']}:{loc['column']}"
        eprint(line)
