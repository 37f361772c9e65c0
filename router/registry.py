"""The subgraph registry of router.yaml: each subgraph's routing URL and schema text.

Schemas come from a file (relative to router.yaml's folder) or from the running subgraph's
`{ _service { sdl } }`, the federation subgraph introspection query.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path

from planner.composition import SubgraphInput
from router.config import RouterConfig

__all__ = ["RegistryError", "fetch_service_sdl", "subgraph_inputs"]

# Subgraphs are reached directly: an http_proxy meant for the internet must not capture them.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_SERVICE_QUERY = json.dumps(
    {"query": "query SubgraphIntrospectQuery { _service { sdl } }"}
).encode()


class RegistryError(Exception):
    """A subgraph's schema could not be read; the message names the subgraph."""


def subgraph_inputs(
    config: RouterConfig, base_dir: Path, timeout: float = 10.0
) -> list[SubgraphInput]:
    inputs: list[SubgraphInput] = []
    for name, entry in config.subgraphs.items():
        url = config.override_subgraph_url.get(name, entry.url)
        source = entry.schema_
        if source is None or source.introspect:
            sdl = fetch_service_sdl(name, url, timeout)
        else:
            path = base_dir / str(source.file)
            try:
                sdl = path.read_text(encoding="utf-8")
            except OSError as exc:
                raise RegistryError(
                    f"subgraphs.{name}.schema.file: cannot read {path}: {exc.strerror}"
                ) from None
        inputs.append(SubgraphInput(name, url, sdl))
    return inputs


def fetch_service_sdl(name: str, url: str, timeout: float = 10.0) -> str:
    request = urllib.request.Request(
        url,
        data=_SERVICE_QUERY,
        headers={"content-type": "application/json", "accept": "application/json"},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body = json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise RegistryError(
            f"subgraph {name!r}: cannot introspect {url}: {exc}"
        ) from None
    sdl = (
        (body.get("data") or {}).get("_service", {}) if isinstance(body, dict) else None
    )
    if not isinstance(sdl, dict) or not isinstance(sdl.get("sdl"), str):
        errors = body.get("errors") if isinstance(body, dict) else None
        raise RegistryError(
            f"subgraph {name!r}: {url} did not answer {{ _service {{ sdl }} }}: {errors or body}"
        )
    return str(sdl["sdl"])
