"""Debian's Chromium driven by Playwright, for the tests of pages (the sandbox's web client,
Agora's public pages): one launch with the flags this machine's closed network needs.

Chromium is installed by the first test that needs it (``system_packages.py``); if it
still cannot start, that is the test's result, never a skip.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, async_playwright

from tests.support.system_packages import ensure_debian_package

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        try:
            ensure_debian_package("chromium", Path(CHROMIUM).exists)
            chromium = await playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_FLAGS
            )
        except Exception as error:  # the reason is the test's result: never a skip
            pytest.fail(f"Chromium ({CHROMIUM}) cannot start: {error}", pytrace=False)
        try:
            yield chromium
        finally:
            await chromium.close()
