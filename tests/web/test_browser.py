"""The public pages in a real headless Chromium (Debian's, driven by Playwright with the
launch settings of tests/sandbox/test_web_client.py): search the directory, open an
initiative, follow a meeting link, with no console error; and axe-core's accessibility
rules (tests/web/vendor/axe.min.js, from the npm package axe-core) find nothing serious
or critical on the directory, an initiative and a meeting.

With ``WEB_SCREENSHOTS=DIR`` set, the run also saves the README's screenshots there:
``web-directory.png``, ``web-initiative.png`` (desktop) and ``web-directory-mobile.png``,
``web-initiative-mobile.png``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, Page, Route

from discord_sandbox import Sandbox
from tests.support.meetings_e2e import create_meeting, meeting_id_of
from tests.web.conftest import Web

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
WAIT_MS = 15_000
SCREENSHOTS = os.environ.get("WEB_SCREENSHOTS")
DESKTOP = {"width": 1280, "height": 900}
MOBILE = {"width": 390, "height": 844}


class Watch:
    """Console errors, script errors and requests anywhere but loopback (refused)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []

    async def guard(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1"):
            await route.continue_()
        else:
            self.outside.append(route.request.url)
            await route.abort()

    def attach(self, page: Page) -> None:
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: self.errors.append(message.text) if message.type == "error" else None,
        )


async def open_page(browser: Browser, watch: Watch, viewport: dict[str, int]) -> Page:
    # axe is injected as a script of its own: the pages' policy allows only theirs.
    context = await browser.new_context(
        viewport=viewport,  # type: ignore[arg-type]
        locale="en-GB",
        timezone_id="America/New_York",
        bypass_csp=True,
    )
    context.set_default_timeout(WAIT_MS)
    await context.route("**/*", watch.guard)
    page = await context.new_page()
    watch.attach(page)
    return page


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


async def shoot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        await page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=False)


async def test_search_open_an_initiative_follow_a_meeting(
    web: Web, sandbox: Sandbox, browser: Browser
) -> None:
    year = datetime.now(UTC).year + 1
    meeting_id = meeting_id_of(
        await create_meeting(
            sandbox,
            "Humble Lamppost working session",
            start=f"{year}-06-20 14:00",
            end="16:00",
            zone="Europe/Brussels",
            venue="Hotel Metropole",
            initiatives="Humble Lamppost",
        )
    )
    await sandbox.user("admin").slash(
        "meeting session add",
        meeting=str(meeting_id),
        title="Smart lampposts in 10 million streets",
        start="14:00",
        end="15:00",
        kind="pitch",
    )
    watch = Watch()
    page = await open_page(browser, watch, DESKTOP)
    await page.goto(web.url)
    assert await serious_violations(page) == []
    await shoot(page, "web-directory.png")

    await page.fill("#q", "lamppost")
    await page.press("#q", "Enter")
    await page.wait_for_url("**/?q=lamppost")
    await page.get_by_role("heading", name="1 initiative for “lamppost”").wait_for()
    await page.get_by_role("link", name="Humble Lamppost", exact=True).click()
    await page.wait_for_url("**/initiatives/humble-lamppost")
    assert await page.get_by_role("heading", level=1).inner_text() == "Humble Lamppost"
    assert await serious_violations(page) == []
    await shoot(page, "web-initiative.png")

    await page.get_by_role("link", name="Humble Lamppost working session").click()
    await page.wait_for_url(f"**/meetings/{meeting_id}")
    assert "Smart lampposts in 10 million streets" in await page.inner_text("main")
    # The reader is in New York: their own time is added beside the meeting's.
    assert "your time" in await page.inner_text("main")
    assert await serious_violations(page) == []
    assert watch.errors == [] and watch.outside == []

    if SCREENSHOTS:
        mobile = await open_page(browser, watch, MOBILE)
        await mobile.goto(web.url)
        await shoot(mobile, "web-directory-mobile.png")
        await mobile.goto(web.url + "initiatives/humble-lamppost")
        await shoot(mobile, "web-initiative-mobile.png")
    assert watch.errors == []
