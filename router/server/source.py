"""Reading what a router generation serves: router.yaml and the supergraph it names.

Blocking code (files, composition, maybe subgraph introspection), run off the event
loop. The supergraph comes from `--supergraph`, else `supergraph.file`, else is composed
from the `subgraphs` registry. The custom plugins of `plugins` are imported and their
configs validated here too (`router.plugins.custom`), so a plugin that does not load
fails `router serve` at start-up and is refused, like any bad file, on a hot reload.
The persisted-query manifests router.yaml lists are read here too, so that one that
does not load stops `router serve` at start-up and is refused on a reload; with
`persisted_queries.hot_reload` they are watched like router.yaml.
Every failure is a `SourceError` naming the file or key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from planner.composition import compose
from planner.supergraph import Supergraph, SupergraphError, load_supergraph
from router.cache.manifest import Manifest, ManifestError, read_manifests
from router.config import (
    ConfigError,
    RouterConfig,
    parse_config,
    with_mode_defaults,
)
from router.plugins.custom import CustomPlugin, PluginLoadError, resolve_plugins
from router.registry import RegistryError, subgraph_inputs
from router.server.settings import ServeSettings

__all__ = [
    "Fingerprint",
    "Source",
    "SourceError",
    "fingerprint",
    "read_config",
    "read_source",
]


Fingerprint = tuple[tuple[str, str | None], ...]
"""(path, sha256 of its content or None when unreadable) for every file a source read."""


class SourceError(Exception):
    """The config or the supergraph cannot be used; `retry` when waiting may fix it
    (a subgraph to introspect is not up yet)."""

    def __init__(self, message: str, *, retry: bool = False) -> None:
        super().__init__(message)
        self.retry = retry


@dataclass(frozen=True, slots=True)
class Source:
    """A config and the supergraph it leads to; `fingerprint` covers the files they came
    from; `plugins` are the config's custom plugins, resolved (not built); `manifest`
    holds the persisted-query list's operations (`persisted_queries`)."""

    config: RouterConfig
    supergraph: Supergraph
    described_as: str
    fingerprint: Fingerprint
    plugins: tuple[CustomPlugin, ...] = ()
    manifest: Manifest | None = None
    base_dir: Path = Path()  # router.yaml's folder: relative paths start there


def read_config(settings: ServeSettings) -> tuple[RouterConfig, Fingerprint]:
    """router.yaml (defaults without one) with the command's defaults for what it
    leaves unset, and the fingerprint of the bytes read."""
    if settings.config_path is None:
        return with_mode_defaults(RouterConfig(), dev=settings.dev), ()
    path = Path(settings.config_path)
    text, digest = _read(path, "router.yaml")
    try:
        config = parse_config(text, source=str(path))
    except ConfigError as exc:
        raise SourceError(str(exc)) from None
    return with_mode_defaults(config, dev=settings.dev), ((str(path), digest),)


def read_source(settings: ServeSettings, previous: Supergraph | None = None) -> Source:
    """The config and supergraph `settings` name; `previous`, the supergraph being
    served, lends the parsed definitions whose text did not change."""
    config, prints = read_config(settings)
    try:
        plugins = resolve_plugins(
            config, settings.base_dir, source=settings.config_path or "router.yaml"
        )
    except PluginLoadError as exc:
        raise SourceError(str(exc)) from None
    manifest, manifest_prints = _read_manifests(config, settings)
    prints += manifest_prints
    if settings.supergraph_path is not None or config.supergraph.file is not None:
        path = (
            Path(settings.supergraph_path)
            if settings.supergraph_path is not None
            else settings.base_dir / str(config.supergraph.file)
        )
        sdl, digest = _read(path, "supergraph")
        prints += ((str(path), digest),)
        described_as = str(path)
    elif config.subgraphs:
        schema_files = tuple(
            settings.base_dir / str(entry.schema_.file)
            for entry in config.subgraphs.values()
            if entry.schema_ is not None and entry.schema_.file is not None
        )
        # Hashed before composing: an edit during composition shows as a change.
        prints += fingerprint(schema_files)
        sdl = _compose(config, settings.base_dir)
        described_as = f"{len(config.subgraphs)} subgraph(s) composed at start-up"
    else:
        raise SourceError(
            "no supergraph to serve: pass --supergraph FILE, or set supergraph.file "
            "or a subgraphs registry in router.yaml"
        )
    try:
        supergraph = load_supergraph(sdl, previous=previous)
    except SupergraphError as exc:
        raise SourceError(
            f"supergraph {described_as}: [{exc.code}] {exc.message}"
        ) from None
    return Source(
        config, supergraph, described_as, prints, plugins, manifest, settings.base_dir
    )


def _read_manifests(
    config: RouterConfig, settings: ServeSettings
) -> tuple[Manifest | None, Fingerprint]:
    """The `persisted_queries.local_manifests` as one list, and their fingerprint when
    `hot_reload` watches them."""
    settings_pq = config.persisted_queries
    if not settings_pq.enabled:
        return None, ()
    paths = tuple(settings.base_dir / name for name in settings_pq.local_manifests)
    # Hashed before reading: an edit while reading shows as a change.
    prints = fingerprint(paths) if settings_pq.hot_reload else ()
    try:
        manifest = read_manifests(settings_pq.local_manifests, settings.base_dir)
    except ManifestError as exc:
        raise SourceError(f"{settings.config_path or 'router.yaml'}: {exc}") from None
    return manifest, prints


def _read(path: Path, what: str) -> tuple[str, str]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(f"{what} {path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise SourceError(f"{what} {path}: not UTF-8 text") from None
    return text, hashlib.sha256(raw).hexdigest()


def _compose(config: RouterConfig, base_dir: Path) -> str:
    try:
        inputs = subgraph_inputs(config, base_dir)
    except RegistryError as exc:
        raise SourceError(str(exc), retry=True) from None
    result = compose(inputs)
    if result.supergraph_sdl is None:
        details = "; ".join(f"[{e.code}] {e.message}" for e in result.errors[:5])
        raise SourceError(
            f"the subgraphs do not compose ({len(result.errors)} error(s)): {details}"
        )
    return result.supergraph_sdl


def fingerprint(paths: tuple[Path, ...]) -> Fingerprint:
    """Content hashes of `paths` (None for a missing file): a change means reload."""
    prints: list[tuple[str, str | None]] = []
    for path in paths:
        try:
            digest: str | None = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            digest = None
        prints.append((str(path), digest))
    return tuple(prints)
