"""`router serve`: serve the supergraph at `supergraph.path` until SIGINT or SIGTERM.

The supergraph comes from `--supergraph`, else router.yaml's `supergraph.file`, else is
composed at start-up from its `subgraphs` registry. The custom plugins of router.yaml's
`plugins` are imported, their configs validated and built once before it listens: one
that does not load is an error naming its key. router.yaml and the supergraph file
are watched: a change is loaded aside and swapped in atomically, a broken file is logged
and the previous schema keeps serving. The first stdout line names the URL served.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import socket
from pathlib import Path

from router.commands.common import CommandError
from router.config import RouterConfig
from router.plugins.custom import PluginLoadError
from router.server.logs import configure_logging
from router.server.run import bind, serve, shown_address, split_listen
from router.server.settings import ServeSettings
from router.server.source import SourceError, read_config, read_source

__all__ = ["add_parser", "run"]

logger = logging.getLogger("router.serve")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="serve the supergraph over HTTP",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        help="router.yaml path (default: ./router.yaml when it exists, else none)",
    )
    parser.add_argument(
        "--supergraph",
        help="the supergraph to serve (overrides router.yaml's supergraph.file)",
    )
    parser.add_argument(
        "--listen",
        help="HOST:PORT to listen on; port 0 picks a free one (overrides supergraph.listen)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes serving the same port (default: %(default)s)",
    )
    # `router dev` starts the router with this: its defaults for what router.yaml
    # leaves unset (introspection and the explorer on; router.config.modes).
    parser.add_argument("--dev", action="store_true", help=argparse.SUPPRESS)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    configure_logging()
    if args.workers < 1:
        raise CommandError(f"--workers: must be >= 1 (got {args.workers})")
    config_path = args.config
    if config_path is None and Path("router.yaml").exists():
        config_path = "router.yaml"
    # Absolute, not resolved: the watcher must keep reading through symlinks. A
    # mounted ConfigMap's files are links through `..data`, which the kubelet swaps to
    # a new folder on each update before deleting the old one; a resolved path would
    # keep naming the deleted folder and never see the update.
    settings = ServeSettings(
        config_path=str(Path(config_path).absolute()) if config_path else None,
        supergraph_path=str(Path(args.supergraph).absolute())
        if args.supergraph
        else None,
        dev=args.dev,
    )
    try:
        config, _ = read_config(settings)
        # Loaded once now so that a wrong path, a broken supergraph or subgraphs that do
        # not compose fail here, and so do custom plugins that do not load (built and
        # dropped: a plugin opens its resources in `startup`, not in `__init__`). Only
        # a subgraph to introspect that is not up yet is waited for: the router then
        # listens, not ready, and retries.
        for custom in read_source(settings).plugins:
            custom.build()
    except PluginLoadError as exc:
        raise CommandError(str(exc)) from None
    except SourceError as exc:
        if not exc.retry:
            raise CommandError(str(exc)) from None
        logging.getLogger("router.serve").warning("%s; retrying until it answers", exc)
    subscription = config.subscription
    if args.workers > 1 and subscription.enabled and subscription.mode.callback:
        # Each process holds its own callback subscriptions (and verifier key); a
        # callback would reach whichever process the kernel picks.
        raise CommandError(
            "subscription.mode.callback: needs a single process; "
            f"--workers {args.workers} is refused"
        )
    listen = args.listen or config.supergraph.listen
    sockets = [_bind(listen, "--listen" if args.listen else "supergraph.listen")]
    health = config.health_check
    if health.enabled and health.listen and health.listen != listen:
        health_socket = _bind(health.listen, "health_check.listen")
        sockets.append(health_socket)
        settings = dataclasses.replace(
            settings, health_port=health_socket.getsockname()[1]
        )
    _log_inactive(config)
    address = shown_address(sockets[0])
    print(f"router serving http://{address}{config.supergraph.path}", flush=True)
    if len(sockets) > 1:
        print(
            f"router health checks on http://{shown_address(sockets[1])}{health.path}",
            flush=True,
        )
    serve(settings, config, sockets, args.workers)
    return 0


def _bind(listen: str, key: str) -> socket.socket:
    try:
        split_listen(listen)
        return bind(listen)
    except ValueError as exc:
        raise CommandError(f"{key}: {exc}") from None
    except OSError as exc:
        raise CommandError(
            f"{key}: cannot listen on {listen}: {exc.strerror}"
        ) from None


def _log_inactive(config: RouterConfig) -> None:
    inactive = config.inactive_keys()
    if inactive:
        logger.warning(
            "router.yaml: accepted but not active yet (later work applies them): %s",
            ", ".join(inactive),
        )
