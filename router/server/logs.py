"""Logging set-up of a router process (the CLI's, and each `--workers` process's)."""

from __future__ import annotations

import logging

__all__ = ["configure_logging"]


def configure_logging() -> None:
    """INFO and up to stderr, one line per record, with the logger's name."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
