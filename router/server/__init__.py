"""The router's HTTP server: GraphQL over HTTP, the request pipeline, hot reload.

`router serve` (router/commands/serve.py) binds the sockets and runs `serve`; the ASGI
app (`RouterApp`) serves GraphQL at `supergraph.path` and health checks; each request
runs the `Pipeline` of the current `Generation` (one loaded config + supergraph), which
the `Reloader` replaces atomically when router.yaml or the supergraph changes.
"""

from __future__ import annotations

from router.server.app import RouterApp, app_from_environment
from router.server.errors import SERVER_CODES, RequestFailure, graphql_error
from router.server.pipeline import Engine, Outcome, Pipeline
from router.server.reload import Reloader
from router.server.request import GraphQLRequest, MediaType
from router.server.run import serve
from router.server.settings import ServeSettings
from router.server.state import Generation, StateHolder, build_generation

__all__ = [
    "SERVER_CODES",
    "Engine",
    "Generation",
    "GraphQLRequest",
    "MediaType",
    "Outcome",
    "Pipeline",
    "Reloader",
    "RequestFailure",
    "RouterApp",
    "ServeSettings",
    "StateHolder",
    "app_from_environment",
    "build_generation",
    "graphql_error",
    "serve",
]
