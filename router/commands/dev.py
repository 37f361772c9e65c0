"""`router dev`: run the example subgraphs and the router locally until Ctrl-C.

Every subgraph of router.yaml's registry that is one of the example subgraphs
(`python -m subgraphs.<name>`) and routes to a loopback address is started as a child
process on the port of its routing URL. Once each answers `{ __typename }`, the
supergraph is composed from what the running subgraphs serve (`{ _service { sdl } }`)
and compared with the committed `supergraph.file`, so a stale file shows at once. The
router starts last, in `_start_router`. Ctrl-C or SIGTERM stops every child, then exits 0.
"""

from __future__ import annotations

import argparse
import ctypes
import ipaddress
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any
from urllib.parse import urlsplit

from planner.composition import CompositionResult, SubgraphInput, compose
from router.commands.common import CommandError, eprint, format_error, load
from router.config import RouterConfig, explorer_enabled, with_mode_defaults
from router.plugins.custom import PluginLoadError, resolve_plugins
from router.registry import RegistryError, fetch_service_sdl, subgraph_inputs

__all__ = ["add_parser", "run"]

START_TIMEOUT = 30.0  # seconds for every child to answer, all starting at once
STOP_TIMEOUT = 5.0  # seconds for the children to exit after SIGTERM, before SIGKILL
# The path every example subgraph serves GraphQL at (subgraphs/_serve.py, GRAPHQL_PATH).
_EXAMPLE_PATH = "/graphql"
# The folder holding the router and subgraphs packages (the repository, for an editable
# install). Children run there, so `-m subgraphs.<name>` finds the example package even
# when the user's folder has a `subgraphs/` of its own; `subgraphs` is never imported here.
_PROJECT_ROOT = Path(__file__).resolve().parents[2]
_TYPENAME_QUERY = json.dumps({"query": "{ __typename }"}).encode()
# Loopback only: never send the readiness probes through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "dev",
        help="run the example subgraphs and the router locally until Ctrl-C",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config",
        default="router.yaml",
        help="router.yaml path (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=int,
        help="the router's port (default: the port of router.yaml's supergraph.listen)",
    )
    parser.set_defaults(run=run)


@dataclass(frozen=True, slots=True)
class _Endpoint:
    """Where a child process listens, and the GraphQL URL it answers at."""

    name: str
    host: str
    port: int
    url: str
    is_router: bool = False

    @property
    def label(self) -> str:
        return "the router" if self.is_router else f"subgraph {self.name!r}"


class _Signals:
    """SIGINT and SIGTERM set a flag rather than raise.

    An exception raised from a signal handler could land inside `subprocess.Popen`,
    after the fork but before the child is recorded, and orphan it; the start-up and
    serving loops poll the flag instead.
    """

    def __init__(self) -> None:
        self.received: str | None = None
        self._event = threading.Event()
        self._previous: dict[
            int, Callable[[int, FrameType | None], Any] | int | None
        ] = {}

    def __enter__(self) -> _Signals:
        for signum in (signal.SIGINT, signal.SIGTERM):
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.received = signal.Signals(signum).name
        self._event.set()

    def wait(self, timeout: float) -> None:
        self._event.wait(timeout)


class _Children:
    """The child processes; leaving the context stops every one (SIGTERM, then SIGKILL)."""

    def __init__(self) -> None:
        self.running: list[tuple[_Endpoint, subprocess.Popen[bytes]]] = []
        self._preexec = _parent_death_signal()

    def __enter__(self) -> _Children:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.running:
            return
        print("router dev: stopping", flush=True)
        for _, process in reversed(self.running):
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for endpoint, process in reversed(self.running):
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                eprint(
                    f"router dev: {endpoint.label} did not stop within {STOP_TIMEOUT:.0f} s; killing it"
                )
                process.kill()
                process.wait()
        print("router dev: stopped", flush=True)

    def spawn(self, endpoint: _Endpoint, argv: list[str]) -> None:
        # Its own session: a Ctrl-C in the terminal reaches `router dev` alone, which then
        # stops the children in order. Their stderr goes straight to the terminal.
        process = subprocess.Popen(
            argv,
            cwd=_PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
            preexec_fn=self._preexec,
        )
        self.running.append((endpoint, process))


def _parent_death_signal() -> Callable[[], None] | None:
    """Linux: a preexec_fn after which the kernel SIGTERMs the child if `router dev` dies,
    even by SIGKILL, so no subgraph outlives it. None elsewhere.

    prctl is looked up here, before any fork; preexec_fn is unsafe only in a parent with
    other threads, and `router dev` has none.
    """
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl

    def set_parent_death_signal() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_parent_death_signal


def run(args: argparse.Namespace) -> int:
    config, base_dir = load(args.config)
    if not config.subgraphs:
        raise CommandError("router.yaml has no 'subgraphs' section: nothing to run")
    _check_plugins(config, base_dir, args.config)
    examples = _example_endpoints(config)
    router = _router_endpoint(config, args.port)
    _check_ports([*examples, router])

    with ExitStack() as stack:
        signals = stack.enter_context(_Signals())
        # Entered before the children, so removed only after the router has stopped.
        folder = Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="router-dev-"))
        )
        children = stack.enter_context(_Children())
        print(
            f"router dev: starting {len(examples)} example subgraph(s) from {args.config}",
            flush=True,
        )
        for endpoint in examples:
            argv = [
                sys.executable,
                "-m",
                f"subgraphs.{endpoint.name}",
                "--host",
                endpoint.host,
            ]
            children.spawn(endpoint, [*argv, "--port", str(endpoint.port)])
        if not _wait_ready(children, signals):
            return 0

        result = _compose_running(config, base_dir, {e.name: e.url for e in examples})
        if result.supergraph_sdl is None:
            for err in result.errors:
                eprint(format_error(err, {}))
            raise CommandError(
                f"the running subgraphs do not compose ({len(result.errors)} error(s))"
            )
        _compare_with_committed(config, base_dir, result.supergraph_sdl)

        _start_router(
            children,
            router,
            Path(args.config).resolve(),
            folder,
            result.supergraph_sdl,
        )
        if not _wait_ready(children, signals):
            return 0

        _print_urls(config, examples, router)
        print("router dev: ready; press Ctrl-C to stop", flush=True)
        while signals.received is None:
            for endpoint, process in children.running:
                if process.poll() is not None:
                    raise CommandError(
                        f"{endpoint.label} exited unexpectedly (status {process.returncode})"
                    )
            signals.wait(0.5)
        print(f"router dev: {signals.received} received", flush=True)
    return 0


def _check_plugins(config: RouterConfig, base_dir: Path, source: str) -> None:
    """Fails before anything starts when a custom plugin does not load (the router
    started last would refuse it, after every subgraph had been waited for)."""
    try:
        for custom in resolve_plugins(config, base_dir, source=source):
            custom.build()
    except PluginLoadError as exc:
        raise CommandError(str(exc)) from None


def _example_endpoints(config: RouterConfig) -> list[_Endpoint]:
    """The registry's example subgraphs on loopback addresses: the ones `router dev` starts."""
    endpoints = []
    known = {
        main.parent.name for main in (_PROJECT_ROOT / "subgraphs").glob("*/__main__.py")
    }
    for name, entry in config.subgraphs.items():
        url = config.override_subgraph_url.get(name, entry.url)
        parts = urlsplit(url)
        if name not in known or not _is_loopback(parts.hostname):
            continue
        key = (
            f"override_subgraph_url.{name}"
            if name in config.override_subgraph_url
            else f"subgraphs.{name}.routing_url"
            if entry.routing_url is not None
            else f"subgraphs.{name}.instances.0.url"
        )
        if parts.port is None:
            raise CommandError(
                f"{key}: `router dev` needs an explicit port to start {name} on (got {url!r})"
            )
        if parts.path != _EXAMPLE_PATH:
            raise CommandError(
                f"{key}: the example subgraph serves {_EXAMPLE_PATH}, not {parts.path!r} (got {url!r})"
            )
        endpoints.append(_Endpoint(name, str(parts.hostname), parts.port, url))
    return endpoints


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _router_endpoint(config: RouterConfig, port: int | None) -> _Endpoint:
    host, _, listen_port = config.supergraph.listen.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if port is None:
        if not listen_port.isdigit():
            raise CommandError(
                f"supergraph.listen: expected host:port (got {config.supergraph.listen!r})"
            )
        port = int(listen_port)
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return _Endpoint(
        "router",
        host,
        port,
        f"http://{shown}:{port}{config.supergraph.path}",
        is_router=True,
    )


def _check_ports(endpoints: list[_Endpoint]) -> None:
    """Fails before starting anything when a port is taken or given twice."""
    seen: dict[int, str] = {}
    for endpoint in endpoints:
        if endpoint.port in seen:
            raise CommandError(
                f"{endpoint.label} and {seen[endpoint.port]} are both configured on port {endpoint.port}"
            )
        seen[endpoint.port] = endpoint.label
        family = socket.AF_INET6 if ":" in endpoint.host else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            # As the child will: a port in TIME_WAIT is free, one with a listener is not.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((endpoint.host, endpoint.port))
            except OSError as exc:
                raise CommandError(
                    f"cannot start {endpoint.label} on {endpoint.host}:{endpoint.port}: {exc.strerror} "
                    "(is it already running? stop it, or change the port in router.yaml)"
                ) from None


def _wait_ready(children: _Children, signals: _Signals) -> bool:
    """Waits until every child answers `{ __typename }`; False if a signal came first."""
    deadline = time.monotonic() + START_TIMEOUT
    for endpoint, process in children.running:
        while not _answers(endpoint.url):
            if signals.received is not None:
                return False
            if process.poll() is not None:
                raise CommandError(
                    f"{endpoint.label} exited during start-up (status {process.returncode}) "
                    f"on {endpoint.host}:{endpoint.port}; its output is above"
                )
            if time.monotonic() > deadline:
                raise CommandError(
                    f"{endpoint.label} did not answer at {endpoint.url} within {START_TIMEOUT:.0f} s"
                )
            signals.wait(0.05)
    return signals.received is None


def _answers(url: str) -> bool:
    request = urllib.request.Request(
        url, data=_TYPENAME_QUERY, headers={"content-type": "application/json"}
    )
    try:
        with _OPENER.open(request, timeout=1) as response:
            body = json.loads(response.read())
    except (OSError, ValueError):
        return False
    return isinstance(body, dict) and isinstance(body.get("data"), dict)


def _compose_running(
    config: RouterConfig, base_dir: Path, running: dict[str, str]
) -> CompositionResult:
    """Composes what the started subgraphs serve, with the registry's schemas for the rest."""
    others = {
        name: entry for name, entry in config.subgraphs.items() if name not in running
    }
    try:
        registry = (
            subgraph_inputs(config.model_copy(update={"subgraphs": others}), base_dir)
            if others
            else []
        )
        served = {
            name: SubgraphInput(name, url, fetch_service_sdl(name, url))
            for name, url in running.items()
        }
    except RegistryError as exc:
        raise CommandError(str(exc)) from None
    by_name = {**{i.name: i for i in registry}, **served}
    return compose([by_name[name] for name in config.subgraphs])


def _compare_with_committed(config: RouterConfig, base_dir: Path, sdl: str) -> None:
    if config.supergraph.file is None:
        return
    path = base_dir / config.supergraph.file
    try:
        committed = path.read_text(encoding="utf-8")
    except OSError as exc:
        eprint(
            f"warning: supergraph.file {config.supergraph.file}: cannot read: {exc.strerror}"
        )
        return
    if committed == sdl:
        print(
            f"router dev: the running subgraphs compose to {config.supergraph.file}",
            flush=True,
        )
    else:
        eprint(
            f"warning: the supergraph composed from the running subgraphs differs from {config.supergraph.file}; "
            f"`router check` shows what changed for clients, `router compose -o {config.supergraph.file}` updates it"
        )


def _start_router(
    children: _Children,
    endpoint: _Endpoint,
    config: Path,
    folder: Path,
    supergraph_sdl: str,
) -> None:
    """The one place the router starts: `router serve`, serving `supergraph_sdl`.

    It serves the supergraph composed from the running subgraphs, which can differ from
    the committed file while a subgraph is being changed; router.yaml still applies
    (`--supergraph` overrides only its `supergraph.file`), and is hot-reloaded.
    """
    supergraph = folder / "supergraph.graphql"
    supergraph.write_text(supergraph_sdl, encoding="utf-8")
    listen = (
        f"[{endpoint.host}]:{endpoint.port}"
        if ":" in endpoint.host
        else f"{endpoint.host}:{endpoint.port}"
    )
    argv = [
        sys.executable,
        "-m",
        "router.cli",
        "serve",
        "--config",
        str(config),
        "--supergraph",
        str(supergraph),
        "--dev",
    ]
    children.spawn(endpoint, [*argv, "--listen", listen])


def _print_urls(
    config: RouterConfig,
    examples: list[_Endpoint],
    router: _Endpoint,
) -> None:
    started = {e.name for e in examples}
    prometheus = config.telemetry.exporters.metrics.prometheus
    metrics = (
        [("metrics", _http_url(prometheus.listen, prometheus.path))]
        if prometheus.enabled
        else []
    )
    width = max(len(name) for name in [*config.subgraphs, "router", *dict(metrics)])
    for name, entry in config.subgraphs.items():
        url = config.override_subgraph_url.get(name, entry.url)
        note = (
            ""
            if name in started
            else "  (not started: not an example subgraph on a loopback address)"
        )
        print(f"  {name:<{width}}  {url}{note}", flush=True)
    print(f"  {'router':<{width}}  {router.url}", flush=True)
    for name, url in metrics:
        print(f"  {name:<{width}}  {url}", flush=True)
    if explorer_enabled(with_mode_defaults(config, dev=True)):
        print(
            "router dev: open the router's URL in a browser for the explorer",
            flush=True,
        )


def _http_url(listen: str, path: str) -> str:
    """`http://host:port/path` for a `host:port` listen address (a wildcard host
    shown as loopback, as the metrics server logs it)."""
    host, _, port = listen.rpartition(":")
    if host.strip("[]") in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port}{path}"
