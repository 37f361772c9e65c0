"""Ports that refuse connections for as long as the test process runs.

Binding a port and releasing it to find a "closed" one races: another server can take
the port before the test connects (seen once: a subgraph error where a refused
connection was expected). A socket bound without ``listen`` holds the port, and the
kernel refuses every connection to it, so the port stays closed for good.
"""

from __future__ import annotations

import socket

__all__ = ["refusing_url"]

_held: list[socket.socket] = []


def refusing_url(path: str = "/graphql") -> str:
    """``http://127.0.0.1:<port><path>`` for a port that refuses connections and that
    no other server can take while this process lives."""
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind(("127.0.0.1", 0))
    _held.append(held)
    return f"http://127.0.0.1:{held.getsockname()[1]}{path}"
