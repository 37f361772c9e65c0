"""Subgraph extension header: a value subgraphs put in their response `extensions`,
sent back to the client as a response header.

```yaml
plugins:
  examples.plugins.subgraph_extension_header:
    extension: servedBy       # the key in each subgraph answer's `extensions`
    header: x-served-by       # the client response header it goes to
    subgraphs: [products]     # whose answers count (default: every subgraph)
```

A subgraph that answers `{"data": ..., "extensions": {"servedBy": "products-eu-1"}}`
makes the client's response carry `x-served-by: products-eu-1`. When several fetches
return a value, the distinct values are joined with ", " in the order the answers
arrived; numbers and booleans are written as JSON; a value a header cannot carry (a
line break, a non-Latin-1 character, an object) is skipped. No value, no header.

Headers a subgraph *sends* reach the client through the router's own rules
(`headers.all.response`, README); this plugin is for what only the body says. It
shows two hooks sharing one request's state through `context.values`: the subgraph
hook collects, the router hook writes the header on the way out.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from pydantic import field_validator

from router.plugins import (
    HttpResponse,
    Plugin,
    PluginConfig,
    RequestContext,
    RouterNext,
    SubgraphNext,
    SubgraphRequest,
)

if TYPE_CHECKING:
    from router.execution import SubgraphResponse

__all__ = ["SubgraphExtensionHeader", "plugin"]

# Where this plugin keeps a request's values (`"<plugin>.<name>"`, RequestContext).
_VALUES = "subgraph_extension_header.values"
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 field-name
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


class SubgraphExtensionHeader(Plugin):
    """Copies `extensions.<extension>` of subgraph answers into a client header."""

    class Config(PluginConfig):
        extension: str
        header: str
        subgraphs: list[str] | None = None

        @field_validator("header")
        @classmethod
        def _field_name(cls, value: str) -> str:
            if not _TOKEN.match(value):
                raise ValueError("must be an HTTP header name")
            return value.lower()

    def __init__(self, config: SubgraphExtensionHeader.Config) -> None:
        self.config = config
        self._subgraphs = (
            None if config.subgraphs is None else frozenset(config.subgraphs)
        )

    async def router(
        self, context: RequestContext, call_next: RouterNext
    ) -> HttpResponse:
        response = await call_next(context)
        values: list[str] | None = context.values.get(_VALUES)
        if values:
            response.headers.append(
                (self.config.header, ", ".join(dict.fromkeys(values)))
            )
        return response

    async def subgraph(
        self,
        context: RequestContext,
        request: SubgraphRequest,
        call_next: SubgraphNext,
    ) -> SubgraphResponse:
        response = await call_next(context, request)
        if self._subgraphs is not None and request.subgraph not in self._subgraphs:
            return response
        extensions = response.body.get("extensions")
        if isinstance(extensions, dict):
            value = _header_value(extensions.get(self.config.extension))
            if value is not None:
                context.values.setdefault(_VALUES, []).append(value)
        return response


def _header_value(value: object) -> str | None:
    if value is None or isinstance(value, dict | list):
        return None
    text = value if isinstance(value, str) else json.dumps(value)
    if _UNSAFE.search(text):
        return None
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return None
    return text


plugin = SubgraphExtensionHeader
