"""deploy/compose.yaml and the files it mounts: the file parses, every file a service
mounts is in the repository, and the pieces point at each other: the router's config
(loaded by our loader with compose's environment) reaches the subgraphs, Redis and the
collector where compose runs them, Prometheus scrapes the router's metrics listener,
Grafana reads Prometheus and the dashboard, the collector sends traces on to Jaeger."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from router.commands.serve import add_parser as add_serve_parser
from router.server.settings import ServeSettings
from router.server.source import read_source

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
EXAMPLES = ("users", "products", "reviews", "inventory", "orders")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _mounts(service: dict[str, Any]) -> dict[str, Path]:
    """container path -> the repository file or folder bound there."""
    found: dict[str, Path] = {}
    for volume in service.get("volumes", []):
        source, target, *_ = volume.split(":")
        found[target] = (DEPLOY / source).resolve()
    return found


def _host_port(address: str) -> tuple[str, int]:
    url = urlsplit(address if "://" in address else f"tcp://{address}")
    assert url.hostname is not None and url.port is not None, address
    return url.hostname, url.port


def _service_port(service: dict[str, Any]) -> int:
    command = service["command"]
    return int(command[command.index("--port") + 1])


def test_every_service_has_an_image_and_every_mounted_file_exists(
    compose: dict[str, Any],
) -> None:
    services = compose["services"]
    assert {
        "router",
        *EXAMPLES,
        "redis",
        "otel-collector",
        "jaeger",
        "prometheus",
        "grafana",
    } <= set(services)
    for name, service in services.items():
        assert "image" in service, name
        if "build" in service:
            context = (DEPLOY / service["build"]["context"]).resolve()
            assert (context / service["build"]["dockerfile"]).is_file(), name
        for target, source in _mounts(service).items():
            assert source.exists(), f"{name}: {source} (mounted at {target})"
            assert source.is_relative_to(REPO), source
        for dependency in service.get("depends_on", []):
            assert dependency in services, (name, dependency)


def test_router_config_loads_with_composes_environment_and_reaches_its_peers(
    compose: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = compose["services"]
    router = services["router"]
    parser = argparse.ArgumentParser()
    add_serve_parser(parser.add_subparsers())
    args = parser.parse_args(router["command"][1:])
    assert router["command"][0] == "router"

    # The mounted files where the container sees them, read as `router serve` does.
    for target, source in _mounts(router).items():
        placed = tmp_path / target.lstrip("/")
        placed.parent.mkdir(parents=True, exist_ok=True)
        placed.write_bytes(source.read_bytes())
    for name, value in router["environment"].items():
        monkeypatch.setenv(name, str(value))
    config_path = tmp_path / args.config.lstrip("/")
    assert _mounts(router)[args.config] == DEPLOY / "router.yaml"
    source = read_source(ServeSettings(config_path=str(config_path)))
    config = source.config

    assert {g.name for g in source.supergraph.graphs.values()} == set(EXAMPLES)
    for name in EXAMPLES:
        host, port = _host_port(config.override_subgraph_url[name])
        assert (host, port) == (name, _service_port(services[name]))

    assert config.ratelimit.backend == "redis"
    assert _host_port(config.ratelimit.redis.url)[0] == "redis"

    otlp = config.telemetry.exporters.tracing.otlp
    assert otlp.enabled and otlp.protocol == "http"
    collector = yaml.safe_load((DEPLOY / "otel-collector.yaml").read_text("utf-8"))
    host, port = _host_port(otlp.traces_endpoint)
    assert host == "otel-collector"
    assert (
        _host_port(collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"])[1]
        == port
    )
    assert config.supergraph.explorer is True

    published = {p.split(":")[0] for p in router["ports"]}
    listen_port = _host_port(config.supergraph.listen)[1]
    metrics_port = _host_port(config.telemetry.exporters.metrics.prometheus.listen)[1]
    assert published == {str(listen_port), str(metrics_port)}


def test_prometheus_scrapes_the_routers_metrics_listener(
    compose: dict[str, Any],
) -> None:
    prometheus = compose["services"]["prometheus"]
    (scrape_file,) = [
        source
        for target, source in _mounts(prometheus).items()
        if target.endswith("prometheus.yml")
    ]
    scrape = yaml.safe_load(scrape_file.read_text(encoding="utf-8"))
    (job,) = scrape["scrape_configs"]
    (targets,) = job["static_configs"]
    router_config = yaml.safe_load((DEPLOY / "router.yaml").read_text("utf-8"))
    listen = router_config["telemetry"]["exporters"]["metrics"]["prometheus"]
    assert listen["listen"].startswith("0.0.0.0:")  # reachable from another container
    assert targets["targets"] == [f"router:{_host_port(listen['listen'])[1]}"]
    assert job["metrics_path"] == listen["path"]


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard(
    compose: dict[str, Any],
) -> None:
    grafana = compose["services"]["grafana"]
    mounts = _mounts(grafana)
    provisioning = mounts["/etc/grafana/provisioning"]
    (datasource,) = yaml.safe_load(
        (provisioning / "datasources" / "prometheus.yaml").read_text("utf-8")
    )["datasources"]
    assert datasource["type"] == "prometheus"
    assert _host_port(datasource["url"]) == ("prometheus", 9090)
    (provider,) = yaml.safe_load(
        (provisioning / "dashboards" / "pyfed-router.yaml").read_text("utf-8")
    )["providers"]
    dashboards = mounts[provider["options"]["path"]]
    assert (dashboards / "pyfed-router.json").is_file()
    home = grafana["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]
    assert home == f"{provider['options']['path']}/pyfed-router.json"
    dashboard = json.loads((dashboards / "pyfed-router.json").read_text("utf-8"))
    variable = dashboard["templating"]["list"][0]
    assert variable["type"] == "datasource"
    assert variable["current"]["value"] == datasource["uid"]


def test_collector_sends_traces_to_jaeger(compose: dict[str, Any]) -> None:
    collector = compose["services"]["otel-collector"]
    (config_file,) = _mounts(collector).values()
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    assert collector["command"] == [f"--config={next(iter(_mounts(collector)))}"]
    pipeline = config["service"]["pipelines"]["traces"]
    assert pipeline["receivers"] == ["otlp"]
    (exporter,) = pipeline["exporters"]
    assert _host_port(config["exporters"][exporter]["endpoint"]) == ("jaeger", 4317)
    assert "jaeger" in compose["services"]
