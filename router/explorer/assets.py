"""The explorer's static files, read once from the package (`static/`, package data).

The bundle and stylesheet are served under names carrying a hash of their content
(`explorer.3f2a9c1e0b4d.js`), so browsers may keep them for a year (`immutable`) and a
new bundle is a new URL; the licence notices esbuild gathered keep their own name (the
bundle's last line points at it). Bodies are gzip-compressed once, when the assets are
first loaded, for clients that accept it.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
from dataclasses import dataclass
from importlib import resources

__all__ = ["Asset", "Assets", "load_assets"]

_CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
_HASHED = ("explorer.js", "explorer.css")
_PLAIN = ("explorer.js.LEGAL.txt",)


@dataclass(frozen=True, slots=True)
class Asset:
    """One file: its served (hashed) name, media type and body."""

    name: str
    content_type: str
    body: bytes
    etag: str
    gzipped: bytes
    immutable: bool


@dataclass(frozen=True, slots=True)
class Assets:
    """The served files by hashed name; `script` and `stylesheet` are what the page links."""

    by_name: dict[str, Asset]
    script: str
    stylesheet: str


@functools.cache
def load_assets() -> Assets:
    folder = resources.files("router.explorer").joinpath("static")
    by_name: dict[str, Asset] = {}
    served: dict[str, str] = {}
    for file in _HASHED + _PLAIN:
        body = folder.joinpath(file).read_bytes()
        digest = hashlib.sha256(body).hexdigest()
        name = file
        if file in _HASHED:
            stem, _, suffix = file.partition(".")
            name = f"{stem}.{digest[:12]}.{suffix}"
        by_name[name] = Asset(
            name,
            _CONTENT_TYPES["." + file.rsplit(".", 1)[1]],
            body,
            f'"{digest[:32]}"',
            gzip.compress(body, compresslevel=6, mtime=0),
            immutable=file in _HASHED,
        )
        served[file] = name
    return Assets(by_name, served["explorer.js"], served["explorer.css"])
