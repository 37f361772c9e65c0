"""Reading router.yaml: YAML, `${env.NAME}` expansion, validation.

Apollo Router's expansion (https://www.apollographql.com/docs/graphos/routing/configuration/overview#environment-variable-expansion):
`${env.NAME}` (an error naming the key when NAME is unset) and `${env.NAME:-default}`.
Ours too, from POSIX sh and Docker Compose: `${env.NAME:+word}` is `word` when NAME is
set and not empty, else nothing; a value that is only such a reference, and expands to
nothing, leaves its key out, so the key's default applies. That is how one file turns a
feature on only when its variable is set (`backend: ${env.REDIS_URL:+redis}`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from router.config.model import RouterConfig

__all__ = ["ConfigError", "describe_errors", "load_config", "parse_config"]

_ENV = re.compile(r"\$\{env\.([A-Za-z_][A-Za-z0-9_]*)(?::([-+])([^}]*))?\}")
# A message that starts with the dotted key it is about (`apq.enabled: ...`).
_NAMES_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_-]+)+: ")
# What a value that is only an unmet `${env.NAME:+word}` expands to: its key is left out.
_LEFT_OUT = object()


class ConfigError(Exception):
    """router.yaml is unreadable or invalid; the message names the dotted key."""


def load_config(
    path: str | Path, environ: Mapping[str, str] | None = None
) -> RouterConfig:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse_config(text, environ, source=str(path))


def parse_config(
    text: str, environ: Mapping[str, str] | None = None, source: str = "router.yaml"
) -> RouterConfig:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    expanded = _expand(raw, os.environ if environ is None else environ, source, "")
    try:
        return RouterConfig.model_validate(expanded)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, source)) from None


def _expand(value: Any, environ: Mapping[str, str], source: str, path: str) -> Any:
    if isinstance(value, str):
        whole = _ENV.fullmatch(value)
        if (
            whole is not None
            and whole.group(2) == "+"
            and not environ.get(whole.group(1))
        ):
            # PORT_NOTE: not in Apollo Router, which has only `:-`.
            return _LEFT_OUT

        def substitute(match: re.Match[str]) -> str:
            name, operator, word = match.groups()
            if operator == "+":
                return word if environ.get(name) else ""
            if name in environ:
                return environ[name]
            if operator == "-":
                return word
            raise ConfigError(
                f"{source}: {path or '(top level)'}: environment variable {name} is not set"
            )

        return _ENV.sub(substitute, value)
    if isinstance(value, dict):
        expanded = {
            k: _expand(v, environ, source, f"{path}.{k}" if path else str(k))
            for k, v in value.items()
        }
        return {k: v for k, v in expanded.items() if v is not _LEFT_OUT}
    if isinstance(value, list):
        items = [
            _expand(v, environ, source, f"{path}[{i}]") for i, v in enumerate(value)
        ]
        return [v for v in items if v is not _LEFT_OUT]
    return value


def describe_errors(exc: ValidationError, source: str, prefix: str = "") -> str:
    """One line per error of `exc`: `<source>: <dotted key>: <message> (got <value>)`,
    the key under `prefix` when the model validated a section (a custom plugin's)."""
    lines = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"] if p != "schema_")
        where = where.replace("schema_", "schema")
        path = ".".join(part for part in (prefix, where) if part) or "(top level)"
        if err["type"] == "extra_forbidden":
            message = "unknown key"
        else:
            message = err["msg"].removeprefix("Value error, ")
        if not err["loc"] and _NAMES_KEY.match(message):
            # A check across sections (RouterConfig's): its message names the key,
            # each line of it when it found several problems.
            lines += [f"{source}: {line}" for line in message.splitlines()]
            continue
        got = err.get("input")
        detail = (
            f" (got {got!r})"
            if err["type"] != "extra_forbidden" and not isinstance(got, dict)
            else ""
        )
        lines.append(f"{source}: {path}: {message}{detail}")
    return "\n".join(lines)
