"""deploy/kubernetes as `kubectl apply -k` would send it: the base and each overlay
rendered by `kubectl kustomize` (offline), then checked against the router itself.

The probes must hit the router's real health endpoint on the port its ConfigMap's
router.yaml listens on; that router.yaml and supergraph must load with our own loader;
dev runs one replica counting in memory, production several sharing Redis; nothing runs
as root; and the ConfigMap is mounted so that an update reaches the running routers
(tests/server/test_reload.py replays the kubelet's update against a real router).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest
import yaml
from deploy_harness import parse_dockerfile

from router.commands.serve import add_parser as add_serve_parser
from router.config import RouterConfig, parse_config
from router.server.settings import ServeSettings
from router.server.source import read_source

REPO = Path(__file__).resolve().parents[2]
KUBERNETES = REPO / "deploy" / "kubernetes"
OVERLAYS = ("dev", "production")
CONFIG_MAP = "pyfed-router-config"
ROUTER = "pyfed-router"
EXAMPLES = ("users", "products", "reviews", "inventory", "orders")

Manifest = dict[str, Any]
# The image's user (deploy/Dockerfile's last USER), which the pods run as.
IMAGE_USER = int(
    parse_dockerfile(REPO / "deploy" / "Dockerfile")[-1]
    .last("USER")
    .arguments.split(":")[0]
)


def _unavailable(reason: str) -> NoReturn:
    """Skipped on a developer's machine without kubectl; under CI a failure."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@functools.cache
def _kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        _unavailable(
            "kubectl is not installed, so deploy/kubernetes cannot be rendered: install"
            " kubectl >= 1.21 (this machine kind's image ships it; .ci/run tries apt)"
        )
    shown = subprocess.run(
        [found, "version", "--client", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    version = json.loads(shown.stdout or "{}").get("clientVersion", {})
    minor = int(re.sub(r"\D", "", version.get("minor", "0")) or 0)
    if (int(version.get("major", "0")), minor) < (1, 21):
        # Before 1.21, kubectl embeds kustomize v2, which reads neither `patches` nor
        # `replicas` (Debian bookworm's kubernetes-client is kubectl 1.20).
        _unavailable(
            f"kubectl {version.get('gitVersion', '?')} at {found} is too old to render"
            " deploy/kubernetes: kubectl >= 1.21 (kustomize v4+) is needed"
        )
    return found


def _render(folder: str) -> list[Manifest]:
    result = subprocess.run(
        [_kubectl(), "kustomize", str(KUBERNETES / folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Manifest]]:
    return {
        name: _render(name) for name in ("base", *(f"overlays/{o}" for o in OVERLAYS))
    }


def _one(manifests: list[Manifest], kind: str, name: str) -> Manifest:
    found = [
        m for m in manifests if m["kind"] == kind and m["metadata"]["name"] == name
    ]
    assert len(found) == 1, (
        kind,
        name,
        [(m["kind"], m["metadata"]["name"]) for m in manifests],
    )
    return found[0]


def _router_container(manifests: list[Manifest]) -> Manifest:
    pod = _one(manifests, "Deployment", ROUTER)["spec"]["template"]["spec"]
    (container,) = [c for c in pod["containers"] if c["name"] == "router"]
    return container


def _env(container: Manifest) -> dict[str, Manifest]:
    return {entry["name"]: entry for entry in container.get("env", [])}


def _plain_env(container: Manifest) -> dict[str, str]:
    return {
        name: entry["value"]
        for name, entry in _env(container).items()
        if "value" in entry
    }


def _config(manifests: list[Manifest], environ: Mapping[str, str]) -> RouterConfig:
    data = _one(manifests, "ConfigMap", CONFIG_MAP)["data"]
    return parse_config(data["router.yaml"], environ, source="ConfigMap router.yaml")


def _port(container: Manifest, port: int | str) -> int:
    """A probe's port: a number, or the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    (number,) = [p["containerPort"] for p in container["ports"] if p["name"] == port]
    return int(number)


def _listen_port(listen: str) -> int:
    return int(listen.rpartition(":")[2])


def test_base_renders_the_router_deployment_service_and_config_map(
    rendered: dict[str, list[Manifest]],
) -> None:
    kinds = sorted((m["kind"], m["metadata"]["name"]) for m in rendered["base"])
    assert kinds == [
        ("ConfigMap", CONFIG_MAP),
        ("Deployment", ROUTER),
        ("Service", ROUTER),
    ]


@pytest.mark.parametrize("folder", ["base", *(f"overlays/{o}" for o in OVERLAYS)])
def test_probes_hit_the_routers_health_endpoint_on_the_config_maps_port(
    rendered: dict[str, list[Manifest]], folder: str
) -> None:
    manifests = rendered[folder]
    container = _router_container(manifests)
    config = _config(manifests, _plain_env(container))
    assert config.health_check.enabled
    assert config.health_check.listen is None  # answered on the GraphQL listener
    listen_port = _listen_port(config.supergraph.listen)
    assert urlsplit(f"http://{config.supergraph.listen}").hostname == "0.0.0.0"

    readiness = container["readinessProbe"]["httpGet"]
    liveness = container["livenessProbe"]["httpGet"]
    assert readiness["path"] == f"{config.health_check.path}?ready"
    assert liveness["path"] == config.health_check.path
    assert container["startupProbe"]["httpGet"]["path"] == config.health_check.path
    for probe in (readiness, liveness):
        assert _port(container, probe["port"]) == listen_port

    prometheus = config.telemetry.exporters.metrics.prometheus
    assert prometheus.enabled
    metrics_port = _listen_port(prometheus.listen)
    assert _port(container, "metrics") == metrics_port
    annotations = _one(manifests, "Deployment", ROUTER)["spec"]["template"]["metadata"][
        "annotations"
    ]
    assert annotations["prometheus.io/port"] == str(metrics_port)
    assert annotations["prometheus.io/path"] == prometheus.path

    service = _one(manifests, "Service", ROUTER)["spec"]["ports"]
    assert {p["name"]: p["targetPort"] for p in service} == {
        "http": "http",
        "metrics": "metrics",
    }


@pytest.mark.parametrize("folder", ["base", *(f"overlays/{o}" for o in OVERLAYS)])
def test_config_map_serves_through_the_routers_own_loader(
    rendered: dict[str, list[Manifest]], folder: str, tmp_path: Path
) -> None:
    """The ConfigMap's files, written where the pod mounts them, load and build the
    supergraph as `router serve --config` does at start-up."""
    manifests = rendered[folder]
    container = _router_container(manifests)
    for name, text in _one(manifests, "ConfigMap", CONFIG_MAP)["data"].items():
        (tmp_path / name).write_text(text, encoding="utf-8")

    argv = container["command"]
    assert argv[:2] == ["router", "serve"], argv
    parser = argparse.ArgumentParser()
    add_serve_parser(parser.add_subparsers())
    args = parser.parse_args(argv[1:])
    mount = {m["name"]: m for m in container["volumeMounts"]}["config"]
    assert Path(args.config).parent == Path(mount["mountPath"])

    source = read_source(
        ServeSettings(config_path=str(tmp_path / Path(args.config).name))
    )
    assert {g.name for g in source.supergraph.graphs.values()} == set(EXAMPLES)
    assert source.config.override_subgraph_url == {
        name: f"http://{name}:{port}/graphql"
        for name, port in zip(EXAMPLES, range(4001, 4006), strict=True)
    }


def test_config_map_mount_lets_updates_reach_the_router(
    rendered: dict[str, list[Manifest]],
) -> None:
    """Mounted whole, under a name without a content hash: `kubectl apply -k` updates
    the ConfigMap in place and the kubelet swaps the files (a subPath mount never
    sees an update; a hashed name would restart the pods instead of reloading)."""
    for folder in ("base", *(f"overlays/{o}" for o in OVERLAYS)):
        manifests = rendered[folder]
        pod = _one(manifests, "Deployment", ROUTER)["spec"]["template"]["spec"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["config"]["configMap"]["name"] == CONFIG_MAP
        mount = {m["name"]: m for m in _router_container(manifests)["volumeMounts"]}
        assert "subPath" not in mount["config"]
        assert mount["config"]["readOnly"] is True


def test_config_map_files_are_the_deployed_router_yaml_and_supergraph() -> None:
    base = KUBERNETES / "base"
    assert (base / "router.yaml").read_bytes() == (
        REPO / "deploy" / "router.yaml"
    ).read_bytes(), "deploy/kubernetes/base/router.yaml: copy deploy/router.yaml"
    assert (base / "supergraph.graphql").read_bytes() == (
        REPO / "supergraph.graphql"
    ).read_bytes(), "deploy/kubernetes/base/supergraph.graphql: run `make compose`"


def test_dev_runs_one_router_counting_in_memory_beside_the_example_subgraphs(
    rendered: dict[str, list[Manifest]],
) -> None:
    manifests = rendered["overlays/dev"]
    assert _one(manifests, "Deployment", ROUTER)["spec"]["replicas"] == 1
    container = _router_container(manifests)
    assert "REDIS_URL" not in _env(container)
    config = _config(manifests, _plain_env(container))
    assert config.ratelimit.backend == "memory"
    assert config.supergraph.explorer is True
    for name, port in zip(EXAMPLES, range(4001, 4006), strict=True):
        # The Service answers where the ConfigMap's override_subgraph_url points.
        url = urlsplit(config.override_subgraph_url[name])
        assert (url.hostname, url.port) == (name, port)
        service = _one(manifests, "Service", name)["spec"]
        assert [p["port"] for p in service["ports"]] == [port]
        pod = _one(manifests, "Deployment", name)["spec"]["template"]["spec"]
        (subgraph,) = pod["containers"]
        assert shlex.join(subgraph["command"]) == (
            f"python -m subgraphs.{name} --host 0.0.0.0 --port {port}"
        )


def test_production_runs_several_routers_sharing_redis(
    rendered: dict[str, list[Manifest]],
) -> None:
    manifests = rendered["overlays/production"]
    replicas = _one(manifests, "Deployment", ROUTER)["spec"]["replicas"]
    assert replicas >= 2
    redis_url = _env(_router_container(manifests))["REDIS_URL"]
    assert redis_url["valueFrom"]["secretKeyRef"] == {
        "name": "pyfed-router-redis",
        "key": "url",
    }
    config = _config(manifests, {"REDIS_URL": "redis://redis.example:6379/0"})
    assert config.ratelimit.backend == "redis"
    assert config.ratelimit.redis.url == "redis://redis.example:6379/0"
    assert config.supergraph.introspection is False
    assert config.supergraph.explorer is False
    budget = _one(manifests, "PodDisruptionBudget", ROUTER)["spec"]
    assert 1 <= budget["minAvailable"] < replicas
    strategy = _one(manifests, "Deployment", ROUTER)["spec"]["strategy"]
    assert strategy["rollingUpdate"]["maxUnavailable"] == 0


@pytest.mark.parametrize("folder", ["base", *(f"overlays/{o}" for o in OVERLAYS)])
def test_every_pod_runs_as_a_non_root_user_with_resources_set(
    rendered: dict[str, list[Manifest]], folder: str
) -> None:
    deployments = [m for m in rendered[folder] if m["kind"] == "Deployment"]
    assert deployments
    for deployment in deployments:
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == IMAGE_USER
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            where = (deployment["metadata"]["name"], container["name"])
            security = container["securityContext"]
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["capabilities"]["drop"] == ["ALL"], where
            assert container["image"].startswith("pyfed-router:"), where
            for bound in ("requests", "limits"):
                assert set(container["resources"][bound]) == {"cpu", "memory"}, where
