"""Header rules (`headers`): what reaches each subgraph, and what comes back.

Apollo Router's request rules
(https://www.apollographql.com/docs/graphos/routing/header-propagation): for a
subgraph, the `all` rules run, then its own, in order, building the headers the fetch
carries from the client's. Response rules (ours) copy subgraph response headers to the
client, resolving several subgraphs' values by `first_write`, `last_write` or `append`.

Connection-level and body-level headers (`RESERVED`) are never propagated or inserted:
a client's Content-Length on a subgraph request would corrupt it.

With tracing on, the trace-context headers telemetry writes for each fetch
(`router.plugins.telemetry.propagation_headers`: `traceparent`, `tracestate`,
`baggage`, B3, `uber-trace-id`) go out as telemetry wrote them, whatever the rules
(`propagate` named or `matching`, `insert`, `remove`) and the plugin order say: the
subgraph's spans must hang off our fetch span, not the client's. Apollo Router gives
telemetry the same ownership.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from router.config import RouterConfig
from router.config.headers import HeaderRule, ResponseHeaderRule, SubgraphHeaderRules
from router.execution.subgraph_client import SubgraphResponse
from router.plugins.context import RequestContext
from router.plugins.plugin import (
    HttpResponse,
    Plugin,
    RouterNext,
    SubgraphNext,
    SubgraphRequest,
)
from router.plugins.telemetry import REQUEST_ID_HEADER, propagation_headers

__all__ = ["RESERVED", "HeaderRulesPlugin", "build"]

logger = logging.getLogger(__name__)

RESERVED = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "content-type",
        "content-encoding",
        "host",
        "accept",
        "accept-encoding",
    }
)

# One compiled request rule: it edits `out` (lower-case name -> (sent name, value)).
_Edit = Callable[[RequestContext, dict[str, tuple[str, str]]], None]


def _propagate_named(name: str, rename: str | None, default: str | None) -> _Edit:
    source = name.lower()
    target = rename or name

    def edit(context: RequestContext, out: dict[str, tuple[str, str]]) -> None:
        values = context.all_values(source)
        if values:
            out[target.lower()] = (target, ", ".join(values))
        elif default is not None:
            out[target.lower()] = (target, default)

    return edit


def _propagate_matching(pattern: re.Pattern[str]) -> _Edit:
    def edit(context: RequestContext, out: dict[str, tuple[str, str]]) -> None:
        # The client's lines of one name are joined; a value already set (an
        # earlier rule's, telemetry's X-Request-ID) is replaced, as `named` does.
        found: dict[str, list[str]] = {}
        for name, value in context.header_values:
            if name not in RESERVED and pattern.search(name):
                found.setdefault(name, []).append(value)
        for name, values in found.items():
            out[name] = (name, ", ".join(values))

    return edit


def _insert(name: str, value: Callable[[RequestContext], str | None]) -> _Edit:
    def edit(context: RequestContext, out: dict[str, tuple[str, str]]) -> None:
        found = value(context)
        if found is not None:
            out[name.lower()] = (name, found)

    return edit


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _claim(claim: str) -> Callable[[RequestContext], str | None]:
    def value(context: RequestContext) -> str | None:
        return _text((context.jwt_claims or {}).get(claim))

    return value


def _context_value(key: str) -> Callable[[RequestContext], str | None]:
    def value(context: RequestContext) -> str | None:
        return _text(context.values.get(key))

    return value


def _remove(named: str | None, pattern: re.Pattern[str] | None) -> _Edit:
    def edit(context: RequestContext, out: dict[str, tuple[str, str]]) -> None:
        if named is not None:
            out.pop(named.lower(), None)
        elif pattern is not None:
            for name in [n for n in out if pattern.search(n)]:
                del out[name]

    return edit


def _compile_request(rule: HeaderRule) -> _Edit | None:
    if rule.propagate is not None:
        p = rule.propagate
        if p.matching is not None:
            return _propagate_matching(re.compile(p.matching, re.IGNORECASE))
        assert p.named is not None  # the config model requires one of the two
        if p.named.lower() in RESERVED or (p.rename or "").lower() in RESERVED:
            return None
        return _propagate_named(p.named, p.rename, p.default)
    if rule.insert is not None:
        i = rule.insert
        if i.name.lower() in RESERVED:
            return None
        if i.value is not None:
            static = i.value
            return _insert(i.name, lambda _: static)
        if i.from_jwt_claim is not None:
            return _insert(i.name, _claim(i.from_jwt_claim))
        assert i.from_context is not None
        return _insert(i.name, _context_value(i.from_context))
    assert rule.remove is not None
    r = rule.remove
    return _remove(
        r.named, None if r.matching is None else re.compile(r.matching, re.IGNORECASE)
    )


@dataclass(frozen=True, slots=True)
class _ResponseRule:
    """A response rule, and the subgraph it is limited to (None: every subgraph)."""

    subgraph: str | None
    named: str | None
    pattern: re.Pattern[str] | None
    rename: str | None
    default: str | None
    algorithm: str

    def picks(self, name: str) -> bool:
        if name in RESERVED:
            return False
        if self.named is not None:
            return name == self.named
        return self.pattern is not None and self.pattern.search(name) is not None


def _compile_response(
    subgraph: str | None, rules: Sequence[ResponseHeaderRule]
) -> list[_ResponseRule]:
    return [
        _ResponseRule(
            subgraph,
            None if r.propagate.named is None else r.propagate.named.lower(),
            None
            if r.propagate.matching is None
            else re.compile(r.propagate.matching, re.IGNORECASE),
            r.propagate.rename,
            r.propagate.default,
            r.propagate.algorithm,
        )
        for r in rules
    ]


class HeaderRulesPlugin(Plugin):
    """Applies request rules to each fetch and response rules to the client answer."""

    name = "headers"

    def __init__(
        self,
        request_rules: dict[str | None, tuple[_Edit, ...]],
        response_rules: list[_ResponseRule],
        owned: frozenset[str] = frozenset(),
    ) -> None:
        # Key None: the rules of a subgraph without rules of its own (`all` alone).
        self._request = request_rules
        self._response = response_rules
        # Lower-case names the rules must not change (telemetry's trace context).
        self._owned = tuple(sorted(owned))

    async def subgraph(
        self,
        context: RequestContext,
        request: SubgraphRequest,
        call_next: SubgraphNext,
    ) -> SubgraphResponse:
        edits = self._request.get(request.subgraph, self._request[None])
        if edits:
            out: dict[str, tuple[str, str]] = {
                name.lower(): (name, value) for name, value in request.headers.items()
            }
            kept = [(name, out[name]) for name in self._owned if name in out]
            for edit in edits:
                edit(context, out)
            if self._owned:
                # Back as telemetry left them: present or absent, its value.
                for name in self._owned:
                    out.pop(name, None)
                out.update(kept)
            request.headers = dict(out.values())
        return await call_next(context, request)

    async def router(
        self, context: RequestContext, call_next: RouterNext
    ) -> HttpResponse:
        response = await call_next(context)
        if self._response:
            response.headers.extend(self._copied(context))
        return response

    def _copied(self, context: RequestContext) -> list[tuple[str, str]]:
        chosen: dict[str, tuple[str, list[str]]] = {}
        for rule in self._response:
            for answer in context.subgraph_responses:
                if rule.subgraph is not None and rule.subgraph != answer.subgraph:
                    continue
                for raw_name, value in answer.headers.items():
                    name = raw_name.lower()
                    if not rule.picks(name):
                        continue
                    target = (rule.rename or name).lower()
                    held = chosen.get(target)
                    if held is None or rule.algorithm == "last_write":
                        chosen[target] = (rule.rename or name, [value])
                    elif rule.algorithm == "append":
                        held[1].append(value)
            if rule.named is not None and rule.default is not None:
                target = (rule.rename or rule.named).lower()
                chosen.setdefault(target, (rule.rename or rule.named, [rule.default]))
        return [(name, ", ".join(values)) for name, values in chosen.values()]


def build(config: RouterConfig) -> Plugin | None:
    headers = config.headers
    if headers.is_empty():
        return None

    def edits(rules: SubgraphHeaderRules | None) -> tuple[_Edit, ...]:
        compiled = [_compile_request(r) for r in (rules.request if rules else [])]
        return tuple(e for e in compiled if e is not None)

    owned = propagation_headers(config)
    _warn_shadowed(headers.all, "headers.all", owned)
    for name, rules in headers.subgraphs.items():
        _warn_shadowed(rules, f"headers.subgraphs.{name}", owned)
    # Telemetry sends every fetch the request id it settled on: the client's when it is
    # a sane token, else a UUID. A rule passing the client's raw X-Request-ID on (as the
    # usual `propagate: {named: X-Request-ID}` does) must not undo that choice; no
    # warning, since telemetry already sends what such a rule means to send.
    owned |= {REQUEST_ID_HEADER}
    common = edits(headers.all)
    request_rules: dict[str | None, tuple[_Edit, ...]] = {None: common}
    for name, rules in headers.subgraphs.items():
        request_rules[name] = common + edits(rules)
    response_rules = _compile_response(None, headers.all.response)
    for name, rules in headers.subgraphs.items():
        response_rules += _compile_response(name, rules.response)
    return HeaderRulesPlugin(request_rules, response_rules, owned)


def _warn_shadowed(
    rules: SubgraphHeaderRules | None, where: str, owned: frozenset[str]
) -> None:
    """Logs once per loaded config each rule that names a header telemetry owns (a
    `matching` rule is left alone: `.*` is the usual way to pass everything on)."""
    for i, rule in enumerate(rules.request if rules else []):
        if rule.propagate is not None:
            target = rule.propagate.rename or rule.propagate.named
        elif rule.insert is not None:
            target = rule.insert.name
        else:
            target = None if rule.remove is None else rule.remove.named
        if target is not None and target.lower() in owned:
            logger.warning(
                "%s.request[%d]: %r is written by telemetry for each subgraph fetch "
                "while tracing is on; this rule leaves it as telemetry wrote it",
                where,
                i,
                target,
            )
