"""Custom plugins in router.yaml's `plugins`: how a key names a class, what a config
must be, and how a plugin that does not load is refused, by `router serve` and
`router dev` before they serve anything, naming the dotted key."""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from router.config import parse_config
from router.plugins.custom import CustomPlugin, PluginLoadError, resolve_plugins

if TYPE_CHECKING:
    from conftest import Cli

REPO = Path(__file__).resolve().parents[2]

PLUGINS = '''
from pydantic import BaseModel

from router.plugins import Plugin, PluginConfig


class Greeter(Plugin):
    class Config(PluginConfig):
        greeting: str
        times: int = 1

    def __init__(self, config):
        self.config = config


class Loose(Plugin):
    class Config(BaseModel):  # allows unknown keys itself
        greeting: str = "hi"

    def __init__(self, config):
        self.config = config


class Bare(Plugin):
    """No Config: takes no configuration."""


class Broken(Plugin):
    def __init__(self):
        raise RuntimeError("cannot reach the vault")


class NotAPlugin:
    pass


plugin = Greeter
'''


@pytest.fixture
def module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A plugin module of a unique name in tmp_path (router.yaml's folder); sys.path
    is restored after the test."""
    monkeypatch.setattr(sys, "path", list(sys.path))
    name = f"team_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(PLUGINS, encoding="utf-8")
    return name


Resolve = Callable[[str], tuple[CustomPlugin, ...]]


@pytest.fixture
def resolve(tmp_path: Path) -> Resolve:
    def run(yaml: str) -> tuple[CustomPlugin, ...]:
        return resolve_plugins(parse_config(yaml), tmp_path, source="router.yaml")

    return run


def _error(resolve: Resolve, yaml: str) -> str:
    with pytest.raises(PluginLoadError) as caught:
        for custom in resolve(yaml):
            custom.build()
    return str(caught.value)


def test_a_key_naming_a_module_loads_its_plugin_attribute(
    resolve: Resolve, module: str
) -> None:
    [custom] = resolve(f"plugins:\n  {module}:\n    greeting: hello\n")
    plugin = custom.build()
    assert type(plugin).__name__ == "Greeter"
    assert plugin.config.greeting == "hello"  # type: ignore[attr-defined]


def test_a_key_naming_a_class_loads_that_class_in_file_order(
    resolve: Resolve, module: str
) -> None:
    loaded = resolve(
        f"plugins:\n  {module}.Bare:\n  {module}.Greeter: {{greeting: a}}\n"
    )
    assert [type(c.build()).__name__ for c in loaded] == ["Bare", "Greeter"]


def test_the_config_is_validated_by_the_plugins_own_model(
    resolve: Resolve, module: str
) -> None:
    message = _error(resolve, f"plugins:\n  {module}.Greeter:\n    times: often\n")
    assert f"router.yaml: plugins.{module}.Greeter.greeting: Field required" in message
    assert f"router.yaml: plugins.{module}.Greeter.times: " in message
    assert "(got 'often')" in message


def test_unknown_keys_are_refused_even_when_the_plugins_model_allows_them(
    resolve: Resolve, module: str
) -> None:
    message = _error(resolve, f"plugins:\n  {module}.Loose:\n    greting: hi\n")
    assert message == f"router.yaml: plugins.{module}.Loose.greting: unknown key"


def test_a_plugin_without_a_config_model_takes_no_configuration(
    resolve: Resolve, module: str
) -> None:
    assert resolve(f"plugins:\n  {module}.Bare: {{}}\n")
    message = _error(resolve, f"plugins:\n  {module}.Bare:\n    level: 3\n")
    assert f"plugins.{module}.Bare: {module}.Bare takes no configuration" in message


def test_what_is_not_a_plugin_class_is_refused(resolve: Resolve, module: str) -> None:
    message = _error(resolve, f"plugins:\n  {module}.NotAPlugin:\n")
    assert message == (
        f"router.yaml: plugins.{module}.NotAPlugin: {module}.NotAPlugin is not a "
        "subclass of router.plugins.Plugin"
    )


def test_missing_modules_classes_and_plugin_attributes_are_named(
    resolve: Resolve, module: str
) -> None:
    message = _error(
        resolve,
        f"plugins:\n  my_company.auth:\n  {module}.Nope:\n  json:\n",
    )
    lines = message.splitlines()
    assert lines[0].startswith(
        "router.yaml: plugins.my_company.auth: no module named 'my_company'"
    )
    assert lines[1].startswith(
        f"router.yaml: plugins.{module}.Nope: module '{module}' has no attribute 'Nope'"
    )
    assert lines[2].startswith(
        "router.yaml: plugins.json: module 'json' has no 'plugin'"
    )


def test_a_module_that_fails_to_import_is_reported_with_its_line(
    resolve: Resolve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "path", list(sys.path))
    name = f"broken_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(
        "import os\n\nLIMIT = 1 / 0\n", encoding="utf-8"
    )
    message = _error(resolve, f"plugins:\n  {name}.Auth:\n")
    assert message == (
        f"router.yaml: plugins.{name}.Auth: importing {name} failed: "
        f"ZeroDivisionError: division by zero ({tmp_path / name}.py:3)"
    )


def test_a_plugin_whose_constructor_raises_is_refused_naming_its_key(
    resolve: Resolve, module: str
) -> None:
    message = _error(resolve, f"plugins:\n  {module}.Broken:\n")
    assert message.startswith(
        f"router.yaml: plugins.{module}.Broken: {module}.Broken() failed: "
        "RuntimeError: cannot reach the vault"
    )


def test_apollos_expose_query_plan_switch_is_not_an_import_path(
    resolve: Resolve,
) -> None:
    assert resolve("plugins:\n  experimental.expose_query_plan: true\n") == ()


def _serve_folder(folder: Path, plugins: str) -> None:
    shutil.copy(REPO / "supergraph.graphql", folder / "supergraph.graphql")
    (folder / "router.yaml").write_text(
        "supergraph:\n  file: supergraph.graphql\n" + plugins, encoding="utf-8"
    )


def test_serve_refuses_a_plugin_config_with_an_unknown_key(
    cli: Cli, tmp_path: Path, module: str
) -> None:
    _serve_folder(
        tmp_path, f"plugins:\n  {module}.Greeter:\n    greeting: hi\n    colour: red\n"
    )
    result = cli("serve", "--config", "router.yaml", "--listen", "127.0.0.1:0")
    assert result.returncode == 1
    assert "router serving" not in result.stdout
    assert (
        f"router serve: {tmp_path / 'router.yaml'}: plugins.{module}.Greeter.colour: "
        "unknown key"
    ) in result.stderr


def test_serve_refuses_a_plugin_whose_module_does_not_exist(
    cli: Cli, tmp_path: Path
) -> None:
    _serve_folder(tmp_path, "plugins:\n  my_company.auth:\n    realm: staff\n")
    result = cli("serve", "--config", "router.yaml", "--listen", "127.0.0.1:0")
    assert result.returncode == 1
    assert "router serving" not in result.stdout
    assert "plugins.my_company.auth: no module named 'my_company'" in result.stderr


def test_dev_refuses_a_plugin_that_does_not_load_before_starting_anything(
    cli: Cli, examples: Callable[..., Path], module: str
) -> None:
    config = examples()
    config.write_text(
        config.read_text("utf-8") + f"plugins:\n  {module}.NotAPlugin:\n", "utf-8"
    )
    result = cli("dev", "--config", "router.yaml")
    assert result.returncode == 1
    assert "starting" not in result.stdout  # no subgraph was started
    assert (
        f"router dev: router.yaml: plugins.{module}.NotAPlugin: "
        f"{module}.NotAPlugin is not a subclass of router.plugins.Plugin"
    ) in result.stderr


def test_the_readmes_plugin_example_loads_as_written(
    resolve: Resolve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("```python\n# my_company/auth.py\n") + len("```python\n")
    source = readme[start : readme.index("```", start)]
    monkeypatch.setattr(sys, "path", list(sys.path))
    package = f"company_{uuid.uuid4().hex[:8]}"  # `my_company`, named afresh
    (tmp_path / package).mkdir()
    (tmp_path / package / "auth.py").write_text(source, encoding="utf-8")
    [custom] = resolve(f"plugins:\n  {package}.auth:\n    realm: staff\n")
    plugin = custom.build()
    assert type(plugin).__name__ == "StaffOnly"
    assert plugin.config.header == "x-staff-token"  # type: ignore[attr-defined]
