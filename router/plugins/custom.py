"""Custom plugins: router.yaml's `plugins` section, each key resolved to a `Plugin`
subclass by import path and its value validated by that class's own `Config`.

How a key names its class (every key but Apollo Router's own, `BUILT_IN_PLUGIN_KEYS`):

- `package.module`: a module whose `plugin` attribute is the class (`plugin = Auth`),
  the shape of Apollo Router's `group.name` keys (`my_company.auth`);
- `package.module.ClassName`: that class of that module, when the whole key is not a
  module itself.

The folder of router.yaml is appended to `sys.path`, so a team's plugin module beside
its config loads; installed packages and `PYTHONPATH` come first, so a file there never
shadows a library. The value is validated by the class's `Config` (a pydantic model,
`PluginConfig` by convention; unknown keys are refused even when the model itself
would allow them) and handed to `__init__`; a class without `Config` takes no
configuration (`{}` or nothing) and is built with no argument. Every failure is a
`PluginLoadError` naming the dotted key (`plugins.<key>.<field>`), so that `router
serve` refuses to start and a hot reload refuses the new file (`router.server.source`).

A module is imported once per process (Python's import system): editing router.yaml
reloads every plugin's config into new instances, editing a plugin's code needs a
restart (Apollo Router's native plugins are compiled in, the same rule).
"""

from __future__ import annotations

import importlib
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from router.config import BUILT_IN_PLUGIN_KEYS, RouterConfig, describe_errors
from router.plugins.plugin import Plugin

__all__ = ["CustomPlugin", "PluginLoadError", "resolve_plugins"]

# The attribute a module named by a key exposes its plugin class as.
MODULE_ATTRIBUTE = "plugin"

# Plugin configs that allow unknown keys, and their strict subclasses (made once).
_STRICT: dict[type[BaseModel], type[BaseModel]] = {}


class PluginLoadError(Exception):
    """A custom plugin cannot be loaded; the message names the dotted key."""


@dataclass(frozen=True, slots=True)
class CustomPlugin:
    """One resolved `plugins` entry: its key, its class and its validated config."""

    key: str
    cls: type[Plugin]
    config: BaseModel | None
    source: str = "router.yaml"

    def build(self) -> Plugin:
        """A new instance (one per loaded config); a raising `__init__` is a
        `PluginLoadError` naming the key."""
        try:
            return self.cls() if self.config is None else self.cls(self.config)  # type: ignore[call-arg]
        except Exception as exc:
            raise PluginLoadError(
                f"{self.source}: plugins.{self.key}: {_name(self.cls)}() failed: "
                f"{_exception(exc)}"
            ) from None


def resolve_plugins(
    config: RouterConfig, base_dir: Path, source: str = "router.yaml"
) -> tuple[CustomPlugin, ...]:
    """The custom plugins of `config.plugins`, in the file's order (blocking: imports).

    Raises `PluginLoadError` listing every entry that does not load, one per line.
    """
    keys = [key for key in config.plugins if key not in BUILT_IN_PLUGIN_KEYS]
    if not keys:
        return ()
    _importable(base_dir)
    resolved: list[CustomPlugin] = []
    failures: list[str] = []
    for key in keys:
        try:
            resolved.append(_resolve(key, config.plugins[key], base_dir, source))
        except PluginLoadError as exc:
            failures.append(str(exc))
    if failures:
        raise PluginLoadError("\n".join(failures))
    return tuple(resolved)


def _importable(base_dir: Path) -> None:
    folder = str(base_dir.resolve())
    if folder not in sys.path:
        sys.path.append(folder)
    # A plugin file written since the last look must be found (finders cache listings).
    importlib.invalidate_caches()


def _resolve(key: str, value: Any, base_dir: Path, source: str) -> CustomPlugin:
    where = f"{source}: plugins.{key}"
    target = _import_target(key, where, base_dir)
    if not (isinstance(target, type) and issubclass(target, Plugin)) or (
        target is Plugin
    ):
        raise PluginLoadError(
            f"{where}: {_described(target)} is not a subclass of router.plugins.Plugin"
        )
    model = getattr(target, "Config", None)
    if model is None:
        if value not in (None, {}):
            raise PluginLoadError(
                f"{where}: {_name(target)} takes no configuration (it has no Config "
                f"model; got {value!r})"
            )
        return CustomPlugin(key, target, None, source)
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise PluginLoadError(
            f"{where}: {_name(target)}.Config must be a pydantic model "
            "(subclass router.plugins.PluginConfig)"
        )
    try:
        validated = _strict(model).model_validate({} if value is None else value)
    except ValidationError as exc:
        raise PluginLoadError(
            describe_errors(exc, source, prefix=f"plugins.{key}")
        ) from None
    return CustomPlugin(key, target, validated, source)


def _import_target(key: str, where: str, base_dir: Path) -> object:
    """The object `key` names: a module's `plugin` attribute, or `module.attribute`."""
    try:
        module = _import(key, where)
    except ModuleNotFoundError as exc:
        if exc.name != key or "." not in key:
            raise PluginLoadError(
                f"{where}: no module named {exc.name!r} (looked in the installed "
                f"packages, PYTHONPATH and {base_dir.resolve()})"
            ) from None
    else:
        target = getattr(module, MODULE_ATTRIBUTE, None)
        if target is None:
            raise PluginLoadError(
                f"{where}: module {key!r} has no {MODULE_ATTRIBUTE!r} attribute: set "
                f"`{MODULE_ATTRIBUTE} = YourPlugin` in it, or name the class in the "
                f"key ({key}.YourPlugin)"
            )
        return target
    module_name, _, attribute = key.rpartition(".")
    module = _import(module_name, where)  # imported already, on the way to `key`
    if not hasattr(module, attribute):
        raise PluginLoadError(
            f"{where}: module {module_name!r} has no attribute {attribute!r} (and "
            f"{key!r} is not a module)"
        )
    found: object = getattr(module, attribute)
    return found


def _import(name: str, where: str) -> ModuleType:
    """`name` imported; `ModuleNotFoundError` when `name` or a parent package is not
    found, `PluginLoadError` when the module's own code fails (a missing dependency
    included)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (
            name == exc.name or name.startswith(exc.name + ".")
        ):
            raise
        raise PluginLoadError(
            f"{where}: importing {_failed(name)} failed: {_exception(exc)}"
        ) from None
    except Exception as exc:
        raise PluginLoadError(
            f"{where}: importing {_failed(name)} failed: {_exception(exc)}"
        ) from None


def _failed(name: str) -> str:
    """The module of dotted `name` whose code raised: the first not imported (a
    module that raises is removed from `sys.modules`, its parents stay)."""
    parts = name.split(".")
    for end in range(1, len(parts) + 1):
        prefix = ".".join(parts[:end])
        if prefix not in sys.modules:
            return prefix
    return name


def _strict(model: type[BaseModel]) -> type[BaseModel]:
    """`model`, or a subclass of it that refuses unknown keys (its own fields keep
    their rules; nested models keep theirs)."""
    if model.model_config.get("extra") == "forbid":
        return model
    strict = _STRICT.get(model)
    if strict is None:
        strict = _STRICT[model] = type(
            model.__name__,
            (model,),
            {
                "model_config": ConfigDict(extra="forbid"),
                "__module__": model.__module__,
                "__qualname__": model.__qualname__,
            },
        )
    return strict


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _described(target: object) -> str:
    if target is Plugin:
        return "router.plugins.Plugin itself"
    if isinstance(target, type):
        return _name(target)
    qualname = getattr(target, "__qualname__", None)
    module = getattr(target, "__module__", None)
    shown = f"{module}.{qualname}" if qualname and module else repr(target)[:80]
    return f"{shown} (a {type(target).__name__}, not a class)"


def _exception(exc: BaseException) -> str:
    """`Type: message (file:line)`, the line where it was raised."""
    text = f"{type(exc).__name__}: {exc}"
    frames = traceback.extract_tb(exc.__traceback__)
    if frames and not isinstance(exc, SyntaxError):  # SyntaxError names its line
        text += f" ({frames[-1].filename}:{frames[-1].lineno})"
    return text
