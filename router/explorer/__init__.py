"""The explorer: a browser page at the GraphQL endpoint, and its static assets.

A browser's `GET supergraph.path` (it prefers `text/html`, and sends no `query`)
gets GraphiQL with a query-plan panel (`page`); the bundle it loads is built from
pinned npm packages in `ui/` and committed under `static/` (`assets`); `route` decides
which request is the explorer's. Served only when `supergraph.explorer` is on
(`router.config.modes`). What the page shows besides GraphiQL comes from the GraphQL
endpoint itself: `Apollo-Expose-Query-Plan` (`router.telemetry.plan_exposure`) and
`x-router-fetch-timings` (`router.plugins.fetch_timings`).
"""

from __future__ import annotations

from router.explorer.route import ExplorerAnswer, answer_explorer

__all__ = ["ExplorerAnswer", "answer_explorer"]
