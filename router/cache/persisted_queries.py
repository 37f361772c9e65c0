"""The persisted-query layer: APQ and persisted-query lists, before a query is parsed.

Apollo Router runs these as two layers of its supergraph service, ahead of query
analysis (services/layers/apq.rs, persisted_queries/mod.rs); so does this one, called
by the pipeline on each GraphQL request before the document cache sees its text:

1. A request carrying `extensions.persistedQuery.sha256Hash` names an id. With a
   persisted-query list, an id the list holds becomes its body (and skips step 3);
   an unknown id goes to APQ when APQ is on and nothing is safelisted, else it is
   `PERSISTED_QUERY_NOT_IN_LIST`. Sending an id and a body is APQ registration, so it
   is refused (`CANNOT_SEND_PQ_ID_AND_BODY`) unless APQ may take it.
2. APQ: a hash alone is looked up (`PERSISTED_QUERY_NOT_FOUND`, HTTP 200, on a miss:
   the client sends the query again, which registers it); a hash with its query is
   checked (`PERSISTED_QUERY_HASH_MISMATCH`, nothing stored) and registered.
3. A query sent as text (or found through APQ) meets the list's policy: with
   `safelist.require_id`, refused (`PERSISTED_QUERY_ID_REQUIRED`); with the safelist,
   refused unless its normalised body is a listed one (`QUERY_NOT_IN_SAFELIST`);
   with `log_unknown`, logged when it is not listed. Introspection passes when
   introspection is on, as in Apollo Router.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import logging
import re
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    parse,
)

from router.cache.codes import (
    CANNOT_SEND_PQ_ID_AND_BODY,
    DONT_CACHE,
    PERSISTED_QUERY_HASH_MISMATCH,
    PERSISTED_QUERY_ID_REQUIRED,
    PERSISTED_QUERY_NOT_FOUND,
    PERSISTED_QUERY_NOT_IN_LIST,
    PERSISTED_QUERY_NOT_SUPPORTED,
    QUERY_NOT_IN_SAFELIST,
    UNSUPPORTED_PERSISTED_QUERY_VERSION,
    persisted_query_error,
)
from router.cache.normalise import normalised_body
from router.plugins.limits import nesting_exceeds
from router.server.errors import INVALID_GRAPHQL_REQUEST, RequestFailure
from router.store import TieredStore, build_store
from router.telemetry.active import observe_cache

if TYPE_CHECKING:
    from router.cache.manifest import Manifest
    from router.config import RouterConfig
    from router.plugins.context import RequestContext
    from router.server.request import GraphQLRequest

__all__ = ["PersistedQueryLayer"]

logger = logging.getLogger(__name__)

# Apollo Router's header for the client's name (`telemetry.apollo.client_name_header`).
CLIENT_NAME_HEADER = "apollographql-client-name"
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
_INTROSPECTION_ROOTS = frozenset({"__schema", "__type", "__typename"})
# Distinct query texts whose place in the list is remembered.
_REMEMBERED = 1024
_LOGGED_BODY = 4096


class _Freeform(enum.Enum):
    """What happens to a query not resolved from the list (Apollo's
    `FreeformGraphQLBehavior`)."""

    ALLOW = "allow"
    LOG_UNLESS_LISTED = "log unless listed"
    ALLOW_IF_LISTED = "allow if listed"
    DENY = "deny"


class PersistedQueryLayer:
    """Built once per loaded config (with the manifest read alongside it)."""

    def __init__(self, config: RouterConfig, manifest: Manifest | None) -> None:
        pq = config.persisted_queries
        self._manifest = manifest if pq.enabled else None
        self._store: TieredStore | None = (
            build_store(config.apq.router.cache, "apq") if config.apq.enabled else None
        )
        self._required_to_start = (
            config.apq.enabled
            and config.apq.router.cache.redis is not None
            and config.apq.router.cache.redis.required_to_start
        )
        self._log_unknown = pq.enabled and pq.log_unknown
        if self._manifest is None:
            self._freeform = _Freeform.ALLOW
        elif pq.safelist.enabled:
            self._freeform = (
                _Freeform.DENY if pq.safelist.require_id else _Freeform.ALLOW_IF_LISTED
            )
        else:
            self._freeform = (
                _Freeform.LOG_UNLESS_LISTED if pq.log_unknown else _Freeform.ALLOW
            )
        # An unknown id may go to APQ only while APQ is on and nothing is safelisted
        # (config refuses APQ with the safelist; Apollo's
        # `augmenting_apq_with_pre_registration_and_no_safelisting`).
        self._apq_after_list = self._store is not None and not pq.safelist.enabled
        self._introspection = config.supergraph.introspection
        self._max_tokens = config.limits.parser_max_tokens
        self._max_recursion = config.limits.parser_max_recursion
        # query text -> (listed, introspection only)
        self._seen: OrderedDict[str, tuple[bool, bool]] = OrderedDict()

    @property
    def store(self) -> TieredStore | None:
        """The APQ store (None with `apq.enabled: false`)."""
        return self._store

    async def startup(self) -> None:
        if self._store is not None and self._required_to_start:
            await self._store.ping()

    async def shutdown(self) -> None:
        if self._store is not None:
            await self._store.close()

    def inherit(self, previous: PersistedQueryLayer) -> None:
        """Keeps the previous generation's in-memory APQ registrations: a hash maps to
        a query text whatever the schema or config."""
        if self._store is not None and previous._store is not None:
            self._store.memory.adopt(previous._store.memory)

    async def resolve(
        self, request: GraphQLRequest, context: RequestContext | None
    ) -> GraphQLRequest:
        """`request` with its query text (from the list or APQ), or RequestFailure."""
        extensions = request.extensions
        persisted = None if extensions is None else extensions.get("persistedQuery")
        if persisted is None:
            if request.query is not None:
                self._check_freeform(request.query)
            return request
        id_ = self._persisted_id(persisted)
        if self._manifest is not None:
            if request.query is not None:
                if not self._apq_after_list:
                    raise _failure(
                        CANNOT_SEND_PQ_ID_AND_BODY,
                        "Sending a persisted query ID and a body in the same request "
                        "is disallowed",
                        400,
                        DONT_CACHE,
                    )
            else:
                client = (
                    None if context is None else context.headers.get(CLIENT_NAME_HEADER)
                )
                body = self._manifest.body(id_, client)
                if body is not None:
                    return dataclasses.replace(request, query=body)
                if not self._apq_after_list:
                    raise _failure(
                        PERSISTED_QUERY_NOT_IN_LIST,
                        f"Persisted query '{id_}' not found in the persisted query list",
                        404,
                        DONT_CACHE,
                    )
        resolved = await self._apq(request, id_)
        assert resolved.query is not None  # APQ answers with a query or refuses
        self._check_freeform(resolved.query)
        return resolved

    def _persisted_id(self, persisted: Any) -> str:
        if self._manifest is None and self._store is None:
            raise _failure(
                PERSISTED_QUERY_NOT_SUPPORTED, "PersistedQueryNotSupported", 200
            )
        if not isinstance(persisted, dict):
            raise RequestFailure.of(
                INVALID_GRAPHQL_REQUEST,
                "Invalid GraphQL request: `extensions.persistedQuery` must be an "
                "object with `version` and `sha256Hash`",
                400,
            )
        if persisted.get("version") != 1:
            raise _failure(
                UNSUPPORTED_PERSISTED_QUERY_VERSION,
                "Unsupported persisted query version",
                400,
            )
        id_ = persisted.get("sha256Hash")
        if not isinstance(id_, str) or not id_:
            raise RequestFailure.of(
                INVALID_GRAPHQL_REQUEST,
                "Invalid GraphQL request: `extensions.persistedQuery.sha256Hash` must "
                "be a non-empty string",
                400,
            )
        return id_

    async def _apq(self, request: GraphQLRequest, hash_: str) -> GraphQLRequest:
        store = self._store
        if store is None:  # a list without APQ took every id above
            raise _failure(
                PERSISTED_QUERY_NOT_SUPPORTED, "PersistedQueryNotSupported", 200
            )
        key = hash_.lower()
        if request.query is not None:
            digest = hashlib.sha256(
                request.query.encode("utf-8", "surrogatepass")
            ).hexdigest()
            if digest != key:
                raise _failure(
                    PERSISTED_QUERY_HASH_MISMATCH,
                    "provided sha does not match query",
                    400,
                )
            await store.set(key, request.query)
            return request
        query = await store.get(key) if _SHA256.fullmatch(key) else None
        observe_cache("apq", query is not None)
        if query is None:
            raise _failure(
                PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound", 200, DONT_CACHE
            )
        return dataclasses.replace(request, query=query)

    def _check_freeform(self, query: str) -> None:
        freeform = self._freeform
        if freeform is _Freeform.ALLOW:
            return
        if freeform is _Freeform.DENY:
            if self._log_unknown:
                _log_unknown(query)
            raise _failure(
                PERSISTED_QUERY_ID_REQUIRED,
                "This endpoint does not allow freeform GraphQL requests; operations "
                "must be sent by ID in the persisted queries GraphQL extension.",
                400,
            )
        listed, introspection = self._classify(query)
        if listed or (introspection and self._introspection):
            return
        if freeform is _Freeform.LOG_UNLESS_LISTED:
            _log_unknown(query)
            return
        if self._log_unknown:
            _log_unknown(query)
        raise _failure(
            QUERY_NOT_IN_SAFELIST,
            "The operation body was not found in the persisted query safelist",
            403,
            DONT_CACHE,
        )

    def _classify(self, query: str) -> tuple[bool, bool]:
        """Whether `query`'s normalised body is listed, and whether it selects only
        introspection fields (remembered per text)."""
        known = self._seen.get(query)
        if known is not None:
            self._seen.move_to_end(query)
            return known
        assert self._manifest is not None
        document = self._parse(query)
        if document is None:
            # Compared as it is: the list holds no unparsable body, so never listed.
            known = (self._manifest.has_body(query), False)
        else:
            known = (
                self._manifest.has_body(normalised_body(document)),
                _introspection_only(document),
            )
        self._seen[query] = known
        if len(self._seen) > _REMEMBERED:
            self._seen.popitem(last=False)
        return known

    def _parse(self, query: str) -> DocumentNode | None:
        if nesting_exceeds(query, self._max_recursion):
            return None
        try:
            return parse(query, no_location=True, max_tokens=self._max_tokens)
        except (GraphQLError, RecursionError):
            return None


def _failure(
    code: str,
    message: str,
    status: int,
    headers: tuple[tuple[str, str], ...] = (),
) -> RequestFailure:
    return RequestFailure(
        [persisted_query_error(code, message)], status, headers=headers
    )


def _log_unknown(query: str) -> None:
    shown = orjson.dumps(query[:_LOGGED_BODY]).decode()
    logger.warning(
        "unknown operation (not in the persisted query list): %s%s",
        shown,
        " (truncated)" if len(query) > _LOGGED_BODY else "",
    )


def _introspection_only(document: DocumentNode) -> bool:
    """Every operation selects only `__schema`, `__type` and `__typename` at its root
    (fragments followed), as Apollo Router's `is_introspection`."""
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }

    def only(selections: SelectionSetNode, seen: frozenset[str]) -> bool:
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                if selection.name.value not in _INTROSPECTION_ROOTS:
                    return False
            elif isinstance(selection, InlineFragmentNode):
                if not only(selection.selection_set, seen):
                    return False
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is None or name in seen:
                    return False
                if not only(fragment.selection_set, seen | {name}):
                    return False
        return True

    operations = [
        d for d in document.definitions if isinstance(d, OperationDefinitionNode)
    ]
    return bool(operations) and all(
        only(op.selection_set, frozenset()) for op in operations
    )
