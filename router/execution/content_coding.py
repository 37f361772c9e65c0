"""HTTP content codings for subgraph traffic: request bodies compressed
(`traffic_shaping.*.compression`) and response bodies inflated under a cap.

Both HTTP clients (``router.execution.http1`` for plain HTTP, aiohttp for the rest)
inflate through these decoders, so that a compressed answer is read the same way
whichever client fetched it, and a decompression bomb (a small body inflating past
the subgraph's response cap) is refused after at most cap + 1 bytes are produced,
never held whole. gzip and deflate come with Python; br (Brotli) works when the
``brotli`` package is installed (it is not a dependency: gzip serves the same
purpose, and Brotli is a C extension that few subgraph servers need).
"""

from __future__ import annotations

import gzip
import zlib
from typing import Any, Protocol

__all__ = [
    "ACCEPT_ENCODING",
    "BROTLI",
    "CODINGS",
    "Decoder",
    "InvalidCoding",
    "compress",
    "decoder_for",
]

try:  # pragma: no cover - depends on the environment
    import brotli as _brotli  # type: ignore[import-untyped, import-not-found, unused-ignore]
except ImportError:  # pragma: no cover
    _brotli = None

BROTLI = _brotli is not None
# The codings the router sends and understands.
CODINGS = ("gzip", "deflate", "br") if BROTLI else ("gzip", "deflate")
ACCEPT_ENCODING = ", ".join(CODINGS)


class InvalidCoding(ValueError):
    """A body that does not decode in the coding its Content-Encoding names."""


class Decoder(Protocol):
    def decompress(self, data: bytes, max_length: int) -> bytes:
        """At most about `max_length` bytes of output for `data`; one byte more
        when there is more, so that a size check past the cap fails."""
        ...

    def flush(self) -> bytes: ...


def compress(body: bytes, coding: str) -> bytes:
    """`body` in `coding` (gzip, deflate or br) for a Content-Encoding header."""
    if coding == "gzip":
        return gzip.compress(body, compresslevel=6, mtime=0)
    if coding == "deflate":
        return zlib.compress(body, 6)  # zlib-wrapped, as RFC 9110 defines deflate
    if coding == "br" and _brotli is not None:
        return bytes(_brotli.compress(body, quality=4))
    raise ValueError(f"unsupported content coding {coding!r}")


def decoder_for(encoding: str) -> Decoder | None:
    """The decoder of a Content-Encoding value; None for identity or a coding the
    router did not ask for (the bytes are then read as they came)."""
    value = encoding.strip().lower()
    if value in ("gzip", "x-gzip"):
        return _Zlib(16 + zlib.MAX_WBITS)
    if value == "deflate":
        return _Deflate()
    if value == "br" and _brotli is not None:
        return _Brotli()
    return None


class _Zlib:
    def __init__(self, wbits: int) -> None:
        self._inner = zlib.decompressobj(wbits)

    def decompress(self, data: bytes, max_length: int) -> bytes:
        return _bounded(self._inner, data, max_length)

    def flush(self) -> bytes:
        return bytes(self._inner.flush())


class _Deflate:
    """zlib-wrapped deflate, or raw deflate as some servers send it (aiohttp reads
    both too)."""

    def __init__(self) -> None:
        self._inner: Any = None

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._inner is None:
            if not data:
                return b""
            raw = data[0] & 0x0F != 8
            self._inner = zlib.decompressobj(-zlib.MAX_WBITS if raw else zlib.MAX_WBITS)
        return _bounded(self._inner, data, max_length)

    def flush(self) -> bytes:
        return b"" if self._inner is None else bytes(self._inner.flush())


class _Brotli:  # pragma: no cover - needs the brotli package
    def __init__(self) -> None:
        assert _brotli is not None
        self._inner = _brotli.Decompressor()

    def decompress(self, data: bytes, max_length: int) -> bytes:
        try:
            # brotli >= 1.2 bounds the output; older versions inflate the chunk whole.
            try:
                out = self._inner.process(data, output_buffer_limit=max(1, max_length))
            except TypeError:
                out = self._inner.process(data)
        except _brotli.error as error:
            raise InvalidCoding(f"invalid compressed body ({error})") from None
        if len(out) >= max_length and not self._inner.is_finished():
            return bytes(out) + b"\0"
        return bytes(out)

    def flush(self) -> bytes:
        return b""


def _bounded(inner: Any, data: bytes, max_length: int) -> bytes:
    """At most `max_length` bytes out (a longer output means too large anyway)."""
    try:
        out: bytes = inner.decompress(data, max(1, max_length))
    except zlib.error as error:
        raise InvalidCoding(f"invalid compressed body ({error})") from None
    if inner.unconsumed_tail:
        return out + b"\0"  # past the cap: one byte more makes the size check fail
    return out
