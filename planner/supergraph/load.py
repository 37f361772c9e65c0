"""Load a supergraph SDL printed by Apollo's composition (or ours) into a ``Supergraph``.

Accepts join spec v0.2 to v0.5 under link v1.0 (or the older ``@core(feature:)`` form),
whatever names the links give the join directives, and refuses, with a coded
``SupergraphError``, anything a router could serve wrongly: SDL that does not parse or
build, no join link, a join version we do not know, a feature linked ``for: EXECUTION`` or
``for: SECURITY`` that we do not support.

https://www.apollographql.com/docs/graphos/reference/federation/supergraph-specs
"""

from __future__ import annotations

import hashlib

from graphql import (
    GraphQLError,
    GraphQLSyntaxError,
    build_ast_schema,
    parse,
    validate_schema,
)

from planner.supergraph.api_schema import ApiDefinitions, build_api_schema
from planner.supergraph.error import SupergraphError
from planner.supergraph.links import check_links, read_links
from planner.supergraph.model import Supergraph
from planner.supergraph.parse_definitions import parse_definitions
from planner.supergraph.read_join import JoinTypes, read_join_model
from planner.supergraph.sdl_check import certainly_valid_sdl

__all__ = ["load_supergraph"]


def load_supergraph(
    sdl: str, *, trusted: bool = False, previous: Supergraph | None = None
) -> Supergraph:
    """Parse, check and index a supergraph SDL (raises ``SupergraphError``).

    ``trusted``: the SDL was just printed by our composer, so the (costly) SDL and
    schema validation are skipped; the links and join model are still checked.
    ``previous``: the supergraph this one replaces (a hot reload): the definitions
    whose text did not change are not parsed again."""
    try:
        document, pieces = parse_definitions(
            sdl, None if previous is None else previous.pieces
        )
    except GraphQLSyntaxError as error:
        raise SupergraphError(
            "INVALID_SUPERGRAPH", f"the supergraph does not parse: {error}"
        ) from error
    links = read_links(document)
    join = check_links(links)
    # graphql-core's SDL validation only runs when the fast check is not sure, so a
    # malformed supergraph gets graphql-core's messages and a valid one skips its cost.
    valid_sdl = trusted or certainly_valid_sdl(document)
    if not valid_sdl:
        # With source locations, for the messages about a file a person wrote.
        document = parse(sdl)
    try:
        schema = build_ast_schema(document, assume_valid_sdl=valid_sdl)
    except (GraphQLError, TypeError) as error:
        raise SupergraphError(
            "INVALID_SUPERGRAPH", f"the supergraph schema does not build: {error}"
        ) from error
    errors = [] if trusted else validate_schema(schema)
    if errors:
        raise SupergraphError(
            "INVALID_SUPERGRAPH",
            "the supergraph schema is invalid: " + "; ".join(e.message for e in errors),
        )
    join_types = JoinTypes()
    graphs, types = read_join_model(
        document,
        links,
        join,
        None if previous is None else previous.join_types,
        join_types,
    )
    api_definitions = ApiDefinitions()
    api_schema = build_api_schema(
        document,
        links,
        None if previous is None else previous.api_definitions,
        api_definitions,
    )
    assert join.version is not None  # check_links accepted it
    return Supergraph(
        sdl=sdl,
        schema_hash=hashlib.sha256(sdl.encode()).hexdigest(),
        document=document,
        schema=schema,
        api_schema=api_schema,
        join_version=join.version,
        links=links,
        graphs=graphs,
        types=types,
        pieces=pieces,
        api_definitions=api_definitions,
        join_types=join_types,
    )
