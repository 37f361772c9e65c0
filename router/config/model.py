"""The typed shape of router.yaml (pydantic models; unknown keys are rejected).

Sections that later work will type (headers, limits, traffic_shaping, telemetry, cors,
ratelimit, authentication, csrf...) are accepted as mappings for now, so that a file written
for Apollo Router, or the reference article's, loads today. Any other top-level key is an
error naming it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["RouterConfig", "SubgraphConfig", "SubgraphSchemaSource", "SupergraphConfig"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SupergraphConfig(_Strict):
    """`supergraph`: where the router listens, and which supergraph it serves."""

    listen: str = "127.0.0.1:4000"
    path: str = "/graphql"
    introspection: bool = True
    file: str | None = (
        None  # a composed supergraph; without it, compose from `subgraphs` at start-up
    )


class SubgraphSchemaSource(_Strict):
    """`subgraphs.<name>.schema`: exactly one of a file path or `introspect: true`."""

    file: str | None = None
    introspect: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> SubgraphSchemaSource:
        if (self.file is None) == (not self.introspect):
            raise ValueError("give exactly one of 'file' or 'introspect: true'")
        return self


class SubgraphConfig(_Strict):
    """`subgraphs.<name>`: the registry entry of one subgraph."""

    routing_url: str
    schema_: SubgraphSchemaSource | None = Field(default=None, alias="schema")


_SECTION = dict[str, Any]


class RouterConfig(_Strict):
    supergraph: SupergraphConfig = SupergraphConfig()
    subgraphs: dict[str, SubgraphConfig] = {}
    override_subgraph_url: dict[str, str] = {}
    headers: _SECTION = {}
    limits: _SECTION = {}
    traffic_shaping: _SECTION = {}
    telemetry: _SECTION = {}
    cors: _SECTION = {}
    csrf: _SECTION = {}
    ratelimit: _SECTION = {}
    authentication: _SECTION = {}
    authorization: _SECTION = {}
    include_subgraph_errors: _SECTION = {}
    health_check: _SECTION = {}
    batching: _SECTION = {}
    plugins: _SECTION = {}
