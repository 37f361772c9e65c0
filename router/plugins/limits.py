"""Operation limits (`limits`): depth, height, aliases and root fields, before planning.

Apollo Router's definitions
(https://www.apollographql.com/docs/graphos/routing/security/request-limits):

- depth: the most fields on one path from the root, fragments expanded
  (`book { details { ... on X { country } } }` has depth 3);
- height: distinct fields, fragments expanded; fields merge by response key at the
  same path, so an aliased duplicate counts again and a repeated one does not;
- aliases: aliased fields, fragments expanded;
- root fields: distinct response keys at the root.

The walk uses an explicit stack (no recursion, whatever the nesting), expands a
fragment once per path, and stops once every set limit is exceeded or after
`WALK_BUDGET` selections, so fragment fan-out cannot make it run long.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from router.config import LimitsConfig, RouterConfig
from router.plugins.codes import (
    MAX_ALIASES_LIMIT,
    MAX_DEPTH_LIMIT,
    MAX_HEIGHT_LIMIT,
    MAX_ROOT_FIELDS_LIMIT,
)
from router.plugins.context import RequestContext
from router.plugins.plugin import (
    Plugin,
    Rejection,
    SupergraphNext,
    SupergraphRequest,
    SupergraphResponse,
    error_body,
)

__all__ = ["OperationLimitsPlugin", "OperationMeasure", "build", "measure"]

logger = logging.getLogger(__name__)

WALK_BUDGET = 100_000


@dataclass(frozen=True, slots=True)
class OperationMeasure:
    """What `measure` found; `complete` is false when the walk ran out of budget.
    With `stop_above` the counts may be lower bounds, already over every set limit."""

    depth: int
    height: int
    aliases: int
    root_fields: int
    complete: bool = True


def measure(
    document: DocumentNode,
    operation: OperationDefinitionNode,
    stop_above: LimitsConfig | None = None,
) -> OperationMeasure:
    """The four measures of `operation`; with `stop_above`, the walk may stop once
    each limit that is set is exceeded."""
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    fields: set[tuple[tuple[str, ...], str]] = set()
    roots: set[str] = set()
    spreads: set[tuple[tuple[str, ...], str]] = set()
    depth = aliases = steps = 0
    stack: list[tuple[SelectionSetNode, tuple[str, ...]]] = [
        (operation.selection_set, ())
    ]
    while stack:
        selection_set, path = stack.pop()
        for selection in selection_set.selections:
            steps += 1
            if isinstance(selection, FieldNode):
                key = (selection.alias or selection.name).value
                if selection.alias is not None:
                    aliases += 1
                fields.add((path, key))
                depth = max(depth, len(path) + 1)
                if not path:
                    roots.add(key)
                if selection.selection_set is not None:
                    stack.append((selection.selection_set, (*path, key)))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, path))
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and (path, name) not in spreads:
                    spreads.add((path, name))
                    stack.append((fragment.selection_set, path))
        if steps > WALK_BUDGET:
            return OperationMeasure(depth, len(fields), aliases, len(roots), False)
        if stop_above is not None and _all_exceeded(
            stop_above, depth, len(fields), aliases, len(roots)
        ):
            break
    return OperationMeasure(depth, len(fields), aliases, len(roots))


def _all_exceeded(
    limits: LimitsConfig, depth: int, height: int, aliases: int, roots: int
) -> bool:
    pairs = (
        (limits.max_depth, depth),
        (limits.max_height, height),
        (limits.max_aliases, aliases),
        (limits.max_root_fields, roots),
    )
    return all(value > limit for limit, value in pairs if limit is not None)


class OperationLimitsPlugin(Plugin):
    """Refuses (HTTP 400) or, with `warn_only`, logs operations over the limits."""

    name = "limits"

    def __init__(self, limits: LimitsConfig) -> None:
        self._limits = limits

    def violations(self, found: OperationMeasure) -> list[tuple[str, str]]:
        """(code, message) for each limit `found` exceeds."""
        limits = self._limits
        over: list[tuple[str, str]] = []
        if limits.max_depth is not None and found.depth > limits.max_depth:
            over.append((MAX_DEPTH_LIMIT, "Maximum depth limit exceeded"))
        # A walk cut short by its budget counts as too high: it has too many fields to
        # count, even where duplicates would merge.
        if (
            limits.max_height is not None and found.height > limits.max_height
        ) or not found.complete:
            over.append(
                (MAX_HEIGHT_LIMIT, "Maximum height (field count) limit exceeded")
            )
        if limits.max_aliases is not None and found.aliases > limits.max_aliases:
            over.append((MAX_ALIASES_LIMIT, "Maximum aliases limit exceeded"))
        if (
            limits.max_root_fields is not None
            and found.root_fields > limits.max_root_fields
        ):
            over.append((MAX_ROOT_FIELDS_LIMIT, "Maximum root fields limit exceeded"))
        return over

    async def supergraph(
        self,
        context: RequestContext,
        request: SupergraphRequest,
        call_next: SupergraphNext,
    ) -> SupergraphResponse:
        limits = self._limits
        found = measure(
            request.document,
            request.operation,
            None if limits.warn_only else limits,
        )
        over = self.violations(found)
        if over:
            if limits.warn_only:
                logger.warning(
                    "operation %s over the limits (warn_only): %s "
                    "(depth %d, height %d, aliases %d, root fields %d)",
                    request.operation_name or "(anonymous)",
                    ", ".join(code for code, _ in over),
                    found.depth,
                    found.height,
                    found.aliases,
                    found.root_fields,
                )
            else:
                raise Rejection(
                    [
                        error_body(code, f"{message} in this operation")["errors"][0]
                        for code, message in over
                    ],
                    400,
                )
        return await call_next(context, request)


def build(config: RouterConfig) -> Plugin | None:
    if not config.limits.operation_limits_set():
        return None
    return OperationLimitsPlugin(config.limits)


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether braces, parentheses and brackets (outside strings and comments) nest
    deeper than `limit` in `text`: Apollo's `parser_max_recursion`, checked on the
    text so that the parser is never asked to recurse that deep."""
    if text.count("{") + text.count("(") + text.count("[") <= limit:
        return False
    depth, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "{([":
            depth += 1
            if depth > limit:
                return True
        elif ch in "})]":
            depth -= 1
        elif ch == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif ch == '"':
            if text.startswith('"""', i):
                end = text.find('"""', i + 3)
                while end > 0 and text[end - 1] == "\\":
                    end = text.find('"""', end + 3)
                i = n if end < 0 else end + 2
            else:
                i += 1
                while i < n and text[i] not in '"\n':
                    i += 2 if text[i] == "\\" else 1
        i += 1
    return False
