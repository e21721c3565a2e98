"""Shared helpers for the explorer's tests.

The explorer needs the ``app`` extra (Solara) and its browser test needs the
``browser-test`` extra (playwright) plus a Chromium binary
(``.ci/install-browser.sh``). Anything missing FAILS these tests, so CI cannot
pass without them. Locally, ``GOVSIM_SKIP_BROWSER_TESTS=1`` turns the failure
into a skip; with ``CI=true`` that switch is ignored.
"""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest

SKIP_ENV = "GOVSIM_SKIP_BROWSER_TESTS"
BROWSER_ENV = "GOVSIM_CHROMIUM"
INSTALL_HINT = 'pip install -e ".[test,app,browser-test]" and bash .ci/install-browser.sh'


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def missing(what: str) -> None:
    """Fail (CI, default) or skip (only when asked locally) because ``what`` is missing."""
    message = f"{what} is missing: {INSTALL_HINT}"
    if os.environ.get(SKIP_ENV, "").strip() not in ("", "0") and not in_ci():
        pytest.skip(f"{message} (skipped: {SKIP_ENV} is set)")
    pytest.fail(message + f" (set {SKIP_ENV}=1 to skip locally; never skipped with CI=true)", pytrace=False)


def require_module(name: str) -> None:
    if importlib.util.find_spec(name) is None:
        missing(f"Python package {name!r}")


def chromium_executable() -> str:
    """A Chromium binary: $GOVSIM_CHROMIUM, Debian's /usr/bin/chromium, or one on PATH."""
    candidates = [os.environ.get(BROWSER_ENV), "/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    missing("the Chromium browser (/usr/bin/chromium)")
    raise AssertionError("unreachable")


@pytest.fixture
def solara_available() -> None:
    require_module("solara")
