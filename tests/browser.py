"""Headless Chromium for the browser tests: one launcher, the same flags everywhere.

Uses the system's ``/usr/bin/chromium`` through Playwright (never downloads a browser). Outside
CI (``CI`` unset or false) a missing Chromium skips the test, saying so; in CI it fails.

    def test_page(browser: Browser, server_url: str) -> None: ...   # tests/conftest.py loads it
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Route, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless system Chromium; skipped outside CI when it is missing, a failure in CI."""
    if not os.path.exists(CHROMIUM):
        if in_ci():
            pytest.fail(f"{CHROMIUM} is missing in CI: the web pages cannot be tested")
        pytest.skip(f"{CHROMIUM} not installed (outside CI; apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def block_the_internet(context: BrowserContext) -> list[str]:
    """Abort every request of ``context`` that leaves this machine; returns the list that the
    aborted URLs are appended to (a test can assert the page never asked for one)."""
    blocked: list[str] = []

    def route(route: Route) -> None:
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname not in LOCAL_HOSTS:
            blocked.append(url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    context.route("**/*", route)
    return blocked
