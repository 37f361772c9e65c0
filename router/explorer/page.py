"""The explorer's HTML page, and whether a request is a browser asking for one.

The page is a shell: a root element naming the GraphQL endpoint and the schema URL,
and the bundle's two files (`assets`). Its Content-Security-Policy lets it load and
connect to its own origin only, so nothing it runs can reach another host.
"""

from __future__ import annotations

import html

from router.server.request import media_quality

__all__ = ["CONTENT_SECURITY_POLICY", "render_page", "wants_html"]

# GraphiQL and CodeMirror set inline styles, and GraphiQL embeds its fonts and icons
# as data: URLs; nothing else is allowed, and every fetch goes to the router itself.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_JSON_TYPES = frozenset({"application/json", "application/graphql-response+json"})


def wants_html(accept: str | None) -> bool:
    """Whether an Accept header is a browser's page request: `text/html` is listed
    with a positive q, and no JSON type is listed with a higher one (`*/*`, which
    every browser also sends, does not count as asking for JSON)."""
    if not accept:
        return False
    html_q = 0.0
    json_q = 0.0
    for item in accept.split(","):
        media, _, params = item.strip().partition(";")
        media = media.strip().lower()
        if media == "text/html":
            html_q = max(html_q, media_quality(params))
        elif media in _JSON_TYPES:
            json_q = max(json_q, media_quality(params))
    return html_q > 0 and html_q >= json_q


def render_page(endpoint: str, asset_base: str, script: str, stylesheet: str) -> bytes:
    """The page for a GraphQL endpoint path, with the bundle under `asset_base`."""
    e = html.escape
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Explorer · {e(endpoint)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="{e(asset_base + stylesheet)}">
</head>
<body>
<div id="explorer" data-endpoint="{e(endpoint)}" data-schema="{e(asset_base + "schema.graphql")}">Loading the explorer…</div>
<script src="{e(asset_base + script)}"></script>
</body>
</html>
""".encode()
