"""deploy/Dockerfile and .dockerignore: a slim Python base, a non-root user, the
router's real health endpoint as the HEALTHCHECK and a real `router serve` as the CMD.

No Docker engine runs here (the client alone is installed), so beyond parsing the
Dockerfile, the image's package is built as its build stage builds it (`pip install .`
from what .dockerignore leaves of the context), unpacked apart from our editable
install, and run: its CMD serves, its HEALTHCHECK passes, the explorer's files and
the example subgraphs (compose's and Kubernetes' commands) are in it.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from deploy_harness import (
    Stage,
    ignored,
    parse_dockerfile,
    read_dockerignore,
)
from support.processes import Service, get

from router.commands.serve import add_parser as add_serve_parser
from router.config import load_config

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "deploy" / "Dockerfile"
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse_dockerfile(DOCKERFILE)


def _config_destination(final: Stage) -> Path:
    """Where the final stage puts deploy/router.yaml."""
    for copy in final.all("COPY"):
        *sources, destination = copy.plain_arguments()
        if "deploy/router.yaml" in sources:
            return Path(destination) / "router.yaml"
    pytest.fail("the final stage does not COPY deploy/router.yaml")


def _serve_args(argv: list[str]) -> argparse.Namespace:
    """`argv` (`router serve ...`) parsed by our own command line."""
    assert argv[0] in PYPROJECT["project"]["scripts"], argv
    assert argv[1] == "serve", argv
    parser = argparse.ArgumentParser()
    add_serve_parser(parser.add_subparsers())
    return parser.parse_args(argv[1:])


def test_every_stage_starts_from_a_slim_python_the_project_supports(
    stages: list[Stage],
) -> None:
    assert len(stages) >= 1
    minimum = re.fullmatch(r">=(\d+)\.(\d+)", PYPROJECT["project"]["requires-python"])
    assert minimum is not None
    for stage in stages:
        match = re.fullmatch(r"python:(\d+)\.(\d+)-slim(-\w+)?", stage.base)
        assert match, stage.base
        assert tuple(map(int, match.groups()[:2])) >= tuple(map(int, minimum.groups()))


def test_the_image_runs_as_a_numeric_non_root_user(stages: list[Stage]) -> None:
    # Numeric, so that Kubernetes' runAsNonRoot can check it without /etc/passwd.
    user = stages[-1].last("USER").arguments.split(":")[0]
    assert user.isdigit() and int(user) > 0, user


def test_cmd_is_router_serve_with_the_images_config(stages: list[Stage]) -> None:
    final = stages[-1]
    args = _serve_args(final.last("CMD").exec_form())
    assert Path(args.config) == _config_destination(final)
    assert args.workers == 1


def test_healthcheck_asks_the_routers_readiness_on_the_configured_port(
    stages: list[Stage],
) -> None:
    healthcheck = stages[-1].last("HEALTHCHECK")
    argv = healthcheck.exec_form()
    config = load_config(REPO / "deploy" / "router.yaml", {})
    urls = re.findall(r"http://[^'\"\s]+", " ".join(argv))
    assert len(urls) == 1, argv
    port = config.supergraph.listen.rpartition(":")[2]
    assert urls[0] == f"http://127.0.0.1:{port}{config.health_check.path}?ready"
    assert config.health_check.listen is None  # on the GraphQL listener
    assert {"interval", "timeout", "retries"} <= set(healthcheck.options())
    exposed = stages[-1].last("EXPOSE").arguments.split()
    metrics = config.telemetry.exporters.metrics.prometheus.listen.rpartition(":")[2]
    assert exposed == [port, metrics]


def test_every_copied_file_is_in_the_build_context(stages: list[Stage]) -> None:
    patterns = read_dockerignore(REPO / ".dockerignore")
    copied = 0
    for stage in stages:
        for copy in stage.all("COPY"):
            if "from" in copy.options():
                continue
            for source in copy.plain_arguments()[:-1]:
                assert (REPO / source).exists(), source
                assert not ignored(source, patterns), f"{source} is in .dockerignore"
                copied += 1
    assert copied >= 5
    # What the package needs is never left out, nor anything git tracks under it.
    tracked = subprocess.run(
        ["git", "ls-files", "planner", "router", "subgraphs"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for path in tracked:
        packaged = path.endswith((".py", ".graphql", ".css", ".js", ".json", ".txt"))
        if packaged and not path.startswith("router/explorer/ui/"):
            assert not ignored(path, patterns), path
    assert ignored(".git/config", patterns) and ignored(".venv/bin/python", patterns)
    assert ignored("router/explorer/ui/node_modules/react/index.js", patterns)


def _build_context(stage: Stage, patterns: list, into: Path) -> None:  # type: ignore[type-arg]
    """The build stage's COPYs of the context, as Docker would send it."""
    for copy in stage.all("COPY"):
        *sources, _ = copy.plain_arguments()
        for source in sources:
            origin = REPO / source
            if origin.is_file():
                shutil.copy2(origin, into / source)
                continue

            def leave_out(folder: str, names: list[str]) -> set[str]:
                relative = Path(folder).relative_to(REPO)
                return {n for n in names if ignored(f"{relative}/{n}", patterns)}

            shutil.copytree(origin, into / source, ignore=leave_out)


@pytest.fixture(scope="module")
def image_site(
    stages: list[Stage], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """The package the image's build stage installs, unpacked into a folder of its own
    (imported from there ahead of our editable install)."""
    work = tmp_path_factory.mktemp("image")
    context = work / "context"
    context.mkdir()
    build = stages[0]
    assert any("pip install ." in run.arguments for run in build.all("RUN")), (
        "the build stage installs the project with `pip install .`"
    )
    _build_context(build, read_dockerignore(REPO / ".dockerignore"), context)
    wheels = work / "wheels"
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--wheel-dir",
            str(wheels),
            str(context),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("pyfed_router-*.whl")
    site = work / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    yield site


def _image_env(site: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(site), "ROUTER_EXPLORER": "true"}


def test_the_images_package_is_imported_from_the_image_not_the_repository(
    image_site: Path, tmp_path: Path
) -> None:
    found = subprocess.run(
        [sys.executable, "-c", "import router, subgraphs; print(router.__file__)"],
        cwd=tmp_path,
        env=_image_env(image_site),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(found).is_relative_to(image_site), found


def _get(url: str, accept: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"accept": accept})
    with OPENER.open(request, timeout=10) as response:
        return response.status, response.read().decode()


def test_the_images_cmd_serves_and_its_healthcheck_passes(
    stages: list[Stage],
    image_site: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The CMD, as `python -m router.cli`, on the files the final stage copies to
    /etc/router, with the ports moved to free loopback ones (nothing else changed)."""
    final = stages[-1]
    etc = tmp_path / "etc"
    etc.mkdir()
    for copy in final.all("COPY"):
        if "from" not in copy.options():
            for source in copy.plain_arguments()[:-1]:
                shutil.copy(REPO / source, etc / Path(source).name)
    config = etc / _config_destination(final).name
    text = config.read_text(encoding="utf-8")
    metrics_listen = "listen: 0.0.0.0:9464"
    assert text.count(metrics_listen) == 1
    config.write_text(text.replace(metrics_listen, "listen: 127.0.0.1:0"), "utf-8")

    argv = final.last("CMD").exec_form()
    assert argv[-2:] == ["--config", _serve_args(argv).config]
    for name, value in _image_env(image_site).items():
        monkeypatch.setenv(name, value)
    router = Service(
        [
            *(sys.executable, "-m", "router.cli"),
            *argv[1:-1],
            *(str(config), "--listen", "127.0.0.1:0"),
        ],
        r"router serving (http://\S+)",
        cwd=tmp_path,
    )
    try:
        router.started().wait_healthy("/health?ready")
        port = router.base.rpartition(":")[2]
        check = [
            sys.executable
            if arg == "python"
            else arg.replace("127.0.0.1:4000", f"127.0.0.1:{port}")
            for arg in final.last("HEALTHCHECK").exec_form()
        ]
        passed = subprocess.run(
            check, capture_output=True, text=True, timeout=10, check=False
        )
        assert passed.returncode == 0, passed.stderr
        # The explorer's built files are package data: the image serves them.
        status, page = _get(router.url, "text/html")
        assert status == 200
        script = re.search(r'<script src="([^"]+)"', page)
        assert script is not None, page
        status, bundle = _get(router.base + script.group(1), "*/*")
        assert status == 200 and len(bundle) > 100_000
    finally:
        router.stop()


def test_the_image_runs_the_example_subgraphs(
    image_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compose's and Kubernetes' subgraph command, from the image's package."""
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text("utf-8"))
    argv = compose["services"]["reviews"]["command"]
    assert argv[:3] == ["python", "-m", "subgraphs.reviews"]
    assert argv[argv.index("--port") + 1] == "4003"
    argv = [*argv[:-1], "0"]  # a free port here
    for name, value in _image_env(image_site).items():
        monkeypatch.setenv(name, value)
    subgraph = Service(
        [sys.executable, *argv[1:]], r"(http://\S+/graphql)", cwd=tmp_path
    )
    try:
        subgraph.started().wait_healthy()
        assert get(subgraph.base + "/health").status == 200
    finally:
        subgraph.stop()
