"""Hot reload: watch router.yaml and the supergraph, rebuild aside, swap atomically.

The files are polled (content hashes every `poll_interval`, 0.5 s by default): no
dependency, and it sees edits that inotify-style watchers miss (editors that replace
the file, bind-mounted ConfigMaps). A new generation is built off the event loop while
the old one keeps serving; a file that does not load is logged once and changes
nothing. Before a new generation serves, it re-plans the old one's most-used
operations (`Generation.warm_up`, bounded in time). Before the first generation loads, a failure that waiting can fix (a subgraph
to introspect that is not up) is retried every `RETRY_INTERVAL`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from router.plugins.custom import PluginLoadError
from router.server.heap import collections_paused
from router.server.settings import ServeSettings
from router.server.source import Fingerprint, SourceError, fingerprint, read_source
from router.server.state import StateHolder, build_generation

if TYPE_CHECKING:
    from router.cache.entity_cache import EntityCache
    from router.config.model import RouterConfig

__all__ = ["Reloader"]

logger = logging.getLogger(__name__)

RETRY_INTERVAL = 2.0

_T = TypeVar("_T")
_P = ParamSpec("_P")


def _paused(function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
    """`function` run without cyclic garbage collections (router.server.heap)."""
    with collections_paused():
        return function(*args, **kwargs)


class Reloader:
    """Keeps `holder.current` in step with the files `settings` names."""

    def __init__(self, settings: ServeSettings, holder: StateHolder) -> None:
        self._settings = settings
        self._holder = holder
        self._seen: Fingerprint | None = None
        self._generations = 0
        self.first_attempt_done = asyncio.Event()

    async def run(self) -> None:
        retry_at: float | None = 0.0
        loop = asyncio.get_running_loop()
        while True:
            current = self._current_fingerprint()
            due = retry_at is not None and loop.time() >= retry_at
            if due or current != self._seen:
                self._seen = current
                retry_at = await self._load()
                self.first_attempt_done.set()
            await asyncio.sleep(self._settings.poll_interval)

    def _watched(self) -> tuple[Path, ...]:
        paths: list[Path] = []
        if self._holder.current is not None:
            paths += [Path(p) for p, _ in self._holder.current.source.fingerprint]
        if self._settings.config_path is not None:
            paths.append(Path(self._settings.config_path))
        if self._settings.supergraph_path is not None:
            paths.append(Path(self._settings.supergraph_path))
        return tuple(dict.fromkeys(paths))

    def _current_fingerprint(self) -> Fingerprint:
        return fingerprint(self._watched())

    async def _serve_invalidation(self) -> None:
        """The entity cache's invalidation endpoint, as the config now serving says."""
        from router.cache.invalidation import configure_invalidation_server

        holder = self._holder
        current = holder.current
        if current is None:
            return
        config = current.config
        entity = config.preview_entity_cache
        endpoint = entity.invalidation if entity.enabled else None
        if endpoint is not None and endpoint.listen == config.supergraph.listen:
            endpoint = None  # served by the router's own listener (router.server.app)

        def cache() -> EntityCache | None:
            serving = holder.current
            return None if serving is None else serving.entity_cache

        await configure_invalidation_server(
            None if endpoint is None else endpoint.listen,
            "/invalidation" if endpoint is None else endpoint.path,
            cache,
        )

    async def _serve_callbacks(self, config: RouterConfig) -> None:
        """Subscription callbacks' own listener, when the config names one."""
        from router.subscriptions.callback_server import configure_callback_server

        await configure_callback_server(config)

    async def _load(self) -> float | None:
        """Tries to build and swap in a new generation; returns when to retry, if ever."""
        first = self._holder.current is None
        try:
            serving = self._holder.current
            source = await asyncio.to_thread(
                _paused,
                read_source,
                self._settings,
                None if serving is None else serving.source.supergraph,
            )
        except SourceError as exc:
            if first:
                logger.error("cannot load the supergraph: %s", exc)
            else:
                logger.error(
                    "reload refused, still serving the previous config and schema: %s",
                    exc,
                )
            if first and exc.retry:
                return asyncio.get_running_loop().time() + RETRY_INTERVAL
            return None
        except Exception:
            logger.exception(
                "reload failed unexpectedly; still serving the previous config and schema"
            )
            return None
        previous = self._holder.current
        if previous is not None and previous.source.fingerprint == source.fingerprint:
            return None  # touched, not changed
        if previous is not None and (
            previous.config.supergraph.listen != source.config.supergraph.listen
        ):
            logger.warning(
                "supergraph.listen changed to %s: restart the router to listen there",
                source.config.supergraph.listen,
            )
        self._generations += 1
        try:
            generation = await asyncio.to_thread(
                _paused, build_generation, source, self._generations
            )
        except PluginLoadError as exc:  # a custom plugin's __init__ raised
            logger.error(
                "reload refused, still serving the previous config and schema: %s", exc
            )
            return None
        except Exception:
            logger.exception(
                "cannot build the router for the new schema; keeping the old one"
            )
            return None
        try:
            await generation.startup()
        except Exception:
            logger.exception("a plugin failed to start; keeping the previous config")
            await generation.client.close()
            return None
        if self._holder.current is not None:
            try:
                await generation.warm_up(self._holder.current)
            except Exception:
                logger.exception(
                    "plan cache warm-up failed; serving the new schema cold"
                )
        replaced = self._holder.current
        if replaced is not None:
            # No await from here to the swap: the old generation's plugins hand over
            # state (in-memory rate-limit counters) that nothing changes meanwhile.
            try:
                generation.inherit(replaced)
            except Exception:
                logger.exception("a plugin could not take over its previous state")
        self._holder.swap(generation)
        self._seen = source.fingerprint
        await self._serve_invalidation()
        await self._serve_callbacks(generation.config)
        logger.info(
            "%s supergraph from %s (%d subgraph(s), schema %s)",
            "serving" if first else "reloaded:",
            source.described_as,
            len(source.supergraph.graphs),
            source.supergraph.schema_hash[:12],
        )
        return None
