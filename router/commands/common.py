"""Helpers shared by the CLI commands: loading the config and composing its subgraphs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from planner.composition import CompositionError, CompositionResult, compose
from router.config import ConfigError, RouterConfig, load_config
from router.registry import RegistryError, subgraph_inputs

__all__ = ["CommandError", "compose_from_config", "format_error", "load"]


class CommandError(Exception):
    """A user-facing failure: printed to stderr, exit status 1 (or `status`)."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def load(path: str) -> tuple[RouterConfig, Path]:
    try:
        return load_config(path), Path(path).resolve().parent
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def compose_from_config(
    config: RouterConfig, base_dir: Path
) -> tuple[CompositionResult, dict[str, str]]:
    """Composes the registry; also returns subgraph name -> schema file (for error locations)."""
    if not config.subgraphs:
        raise CommandError("router.yaml has no 'subgraphs' section: nothing to compose")
    try:
        inputs = subgraph_inputs(config, base_dir)
    except RegistryError as exc:
        raise CommandError(str(exc)) from None
    files = {
        name: os.path.relpath(base_dir / str(entry.schema_.file))
        for name, entry in config.subgraphs.items()
        if entry.schema_ is not None and entry.schema_.file
    }
    return compose(inputs), files


def format_error(err: CompositionError, files: dict[str, str]) -> str:
    where = ", ".join(err.subgraphs)
    # Messages about one subgraph already start with "[name]", as Apollo words them.
    named = len(err.subgraphs) == 1 and err.message.startswith(f"[{err.subgraphs[0]}]")
    line = (
        f"error[{err.code}]"
        + (f" ({where})" if where and not named else "")
        + f": {err.message}"
    )
    for subgraph, row, column in err.locations:
        line += f"\n  --> {files.get(subgraph, subgraph)}:{row}:{column}"
    return line


def eprint(text: str) -> None:
    print(text, file=sys.stderr)
