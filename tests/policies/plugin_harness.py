"""Helpers for the custom plugin tests: the services the example plugins talk to (an
auth service, a subgraph whose answers carry `extensions`), a team's plugin module
written beside router.yaml, and waiting on what a router logs.

Everything runs on loopback: the auth service is an aiohttp server on an event loop
of its own thread, the subgraph a forwarding proxy in front of a real example subgraph.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiohttp import web
from policy_harness import REPO, Router

__all__ = [
    "MODULE_SOURCE",
    "REPO",
    "AuthService",
    "ExtensionsProxy",
    "auth_service",
    "extensions_proxy",
    "wait_for",
    "wait_for_log",
    "write_team_plugins",
]

DEADLINE = 15.0  # seconds for a router to log or reload what a test waits on

# A team's plugins, in a module beside its router.yaml (`team_plugins.<Class>`).
MODULE_SOURCE = '''
"""A team's own plugins, loaded from the folder of router.yaml."""

from router.plugins import Plugin, PluginConfig


def _fail(context, stage):
    if context.headers.get("x-fail") == stage:
        raise RuntimeError(f"the database password is hunter2 ({stage} hook)")


class Failing(Plugin):
    """Raises in the stage the request's x-fail header names."""

    async def router(self, context, call_next):
        _fail(context, "router")
        return await call_next(context)

    async def supergraph(self, context, request, call_next):
        _fail(context, "supergraph")
        return await call_next(context, request)

    async def execution(self, context, request, call_next):
        _fail(context, "execution")
        return await call_next(context, request)

    async def subgraph(self, context, request, call_next):
        _fail(context, "subgraph")
        return await call_next(context, request)


class Greeter(Plugin):
    """Greets in a response header; notes its start-ups and shut-downs in `journal`."""

    class Config(PluginConfig):
        greeting: str
        journal: str

    def __init__(self, config):
        self.config = config

    def _note(self, event):
        with open(self.config.journal, "a", encoding="utf-8") as journal:
            journal.write(f"{event} {self.config.greeting}\\n")

    async def startup(self):
        self._note("startup")

    async def shutdown(self):
        self._note("shutdown")

    async def router(self, context, call_next):
        response = await call_next(context)
        response.headers.append(("x-greeting", self.config.greeting))
        return response


class Planned(Plugin):
    """Says in a response header how many subgraph fetches the plan makes."""

    async def execution(self, context, request, call_next):
        fetches = _count_fetches(request.plan.node)
        context.response_headers.append(("x-plan-fetches", str(fetches)))
        return await call_next(context, request)


def _count_fetches(node):
    if node is None:
        return 0
    if type(node).__name__ == "Fetch":
        return 1
    children = [getattr(node, name, None) for name in ("node", "if_clause", "else_clause")]
    children += list(getattr(node, "nodes", ()))
    return sum(_count_fetches(child) for child in children if child is not None)
'''


def write_team_plugins(folder: Path) -> str:
    """Writes the team's plugin module into `folder`; returns its module name."""
    (folder / "team_plugins.py").write_text(MODULE_SOURCE, encoding="utf-8")
    return "team_plugins"


def wait_for(
    condition: Callable[[], bool], what: str, timeout: float = DEADLINE
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)


def wait_for_log(router: Router, text: str, timeout: float = DEADLINE) -> None:
    """Waits until the router's stderr shows `text`."""
    deadline = time.monotonic() + timeout
    while text not in router.stderr():
        assert time.monotonic() < deadline, (
            f"the router did not log {text!r} within {timeout} s:\n{router.stderr()}"
        )
        time.sleep(0.05)


class AuthService:
    """The custom-auth example's external auth service: `POST /verify` with
    `{"api_key": ...}` answers 200 `{"consumer_id", "plan"}` for a known key, 403 for
    any other. `keys` are the keys it was asked about, in order."""

    def __init__(self, consumers: dict[str, tuple[str, str]]) -> None:
        self.consumers = consumers
        self.keys: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._runner: web.AppRunner | None = None
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(
            10
        )

    async def _start(self) -> str:
        app = web.Application()
        app.router.add_post("/verify", self._verify)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        return f"http://127.0.0.1:{port}/verify"

    async def _verify(self, request: web.Request) -> web.Response:
        body = await request.json()
        key = body.get("api_key")
        self.keys.append(key)
        if key in self.consumers:
            consumer, plan = self.consumers[key]
            return web.json_response({"consumer_id": consumer, "plan": plan})
        return web.json_response({"error": "unknown or revoked key"}, status=403)

    def stop(self) -> None:
        """Closes the port: the service is down from now on."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            asyncio.run_coroutine_threadsafe(runner.cleanup(), self._loop).result(10)

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


@contextmanager
def auth_service(consumers: dict[str, tuple[str, str]]) -> Iterator[AuthService]:
    service = AuthService(consumers)
    try:
        yield service
    finally:
        service.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class ExtensionsProxy:
    """Forwards POSTs to `target` and adds `extensions` to every JSON answer: a
    subgraph that reports something in its response body, as a real one might (the
    instance that served it, a cost, a cache status)."""

    def __init__(self, target: str, extensions: dict[str, Any]) -> None:
        self.target = target
        self.extensions = extensions
        self.requests = 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                proxy.requests += 1
                request = urllib.request.Request(
                    proxy.target,
                    data=body,
                    headers={"content-type": "application/json"},
                )
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                with opener.open(request, timeout=10) as answer:
                    payload = json.loads(answer.read())
                payload.setdefault("extensions", {}).update(proxy.extensions)
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = _Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/graphql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def extensions_proxy(
    target: str, extensions: dict[str, Any]
) -> Iterator[ExtensionsProxy]:
    proxy = ExtensionsProxy(target, extensions)
    try:
        yield proxy
    finally:
        proxy.close()
