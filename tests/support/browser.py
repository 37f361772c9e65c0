"""Headless Chromium for browser tests: Debian's `chromium` driven through Playwright.

Never `playwright install`: the browser is the system's (/usr/bin/chromium, installed
by .ci/run when missing), launched with no background networking, so the only
requests it makes are the page's. Missing locally: the test skips; under `CI`: it
fails (as `require_oracle` does), so a green CI run has run it.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "require_chromium"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def require_chromium() -> str:
    """The Chromium executable; skips (fails under CI) without it or Playwright."""
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
    elif importlib.util.find_spec("playwright") is None:
        reason = "the playwright package is missing (pip install -e '.[dev]')"
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"browser unavailable under CI: {reason}", pytrace=False)
        pytest.skip(f"browser unavailable: {reason}")
    return str(CHROMIUM)
