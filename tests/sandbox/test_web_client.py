"""The sandbox's web client in a real headless Chromium, with Agora connected to the sandbox.

People act only through the page (the composer, the command options and their
autocomplete, the form, the buttons, the user switcher); the sandbox's state is read
afterwards to check that the page did what it showed. Chromium is Debian's
``/usr/bin/chromium`` (``tests/support/browser.py``), driven by Playwright; a Chromium that
cannot start fails the test with the reason.

With ``SANDBOX_SCREENSHOTS=DIR`` set, the run also saves the README's screenshots there:
``directory-lookup.png``, ``meeting-form.png`` and ``meeting-announcement.png``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    Route,
    expect,
)

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from discord_sandbox.web import WebClient

WAIT_MS = 15_000
SCREENSHOTS = os.environ.get("SANDBOX_SCREENSHOTS")


@pytest.fixture
async def web(sandbox: Sandbox) -> AsyncIterator[WebClient]:
    client = WebClient(sandbox)
    await client.start()
    try:
        yield client
    finally:
        await client.stop()


class Outside:
    """Requests the page tried to send anywhere but loopback (all refused)."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    async def guard(self, route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if host in ("127.0.0.1", "localhost", "::1"):
            await route.continue_()
        else:
            self.urls.append(route.request.url)
            await route.abort()


async def open_page(
    browser: Browser, web: WebClient, outside: Outside, user: str, timezone: str
) -> tuple[BrowserContext, Page]:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800}, locale="en-GB", timezone_id=timezone
    )
    context.set_default_timeout(WAIT_MS)
    await context.route("**/*", outside.guard)
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: errors.append(f"unexpected dialog {dialog.message}"))
    await page.goto(f"{web.url}?user={user}")
    await page.wait_for_selector(f"body[data-ready][data-user={user}]")
    page.set_default_timeout(WAIT_MS)
    setattr(page, "script_errors", errors)  # noqa: B010 - read back by the test
    return context, page


async def switch_to_new_user(page: Page, name: str) -> None:
    """The user panel's switcher: create ``name`` and act as them."""
    await page.click("#me-button")
    await page.fill("#user-menu input", name)
    await page.click("#user-menu .user-create button")
    await page.wait_for_selector(f"body[data-user={name}]")
    await expect(page.locator("#me-name")).to_have_text(name)


async def open_channel(page: Page, name: str) -> None:
    await page.click(f'#channels .channel[data-name="{name}"]')
    await expect(page.locator("#channel-name")).to_have_text(name)


async def pick_command(page: Page, path: str) -> None:
    """Type ``/path`` in the composer and take it from the command list."""
    await page.click("#input")
    await page.keyboard.type("/" + path)
    await page.wait_for_selector(f'#command-popup .popup-item[data-path="{path}"]')
    await page.keyboard.press("Enter")
    await page.wait_for_selector("#command-form:not([hidden])")


async def shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        # Playwright makes the directory; PNG of the page as it is.
        await page.screenshot(path=str(Path(SCREENSHOTS) / name))


def announcement_of(sandbox: Sandbox, title: str) -> dict[str, object]:
    found = [
        m
        for m in sandbox.messages("announcements")
        if m["embeds"] and m["embeds"][0].get("title") == title
    ]
    assert len(found) == 1, found
    return found[0]


def answers(message: dict[str, object]) -> str:
    embeds = message["embeds"]
    assert isinstance(embeds, list)
    return str(next(f["value"] for f in embeds[0]["fields"] if f["name"].startswith("Answers")))


async def test_directory_lookup_with_live_autocomplete(
    sandbox: Sandbox, seeded: RunningAgora, web: WebClient, browser: Browser
) -> None:
    outside = Outside()
    context, page = await open_page(browser, web, outside, "admin", "Europe/Brussels")
    await switch_to_new_user(page, "alice")
    await expect(page.locator("#channel-name")).to_have_text("general")
    calls_before = len(sandbox.log)

    await pick_command(page, "initiative info")
    option = page.locator('#command-form input[data-option="initiative"]')
    await option.type("lamp")
    # The choices come from Agora, asked as alice types (an autocomplete interaction).
    choice = page.locator('#choice-popup .popup-item:has-text("Humble Lamppost")')
    await choice.click()
    await expect(option).to_have_value("Humble Lamppost")
    await option.press("Enter")

    reply = page.locator(".message", has=page.locator('.embed-title:text-is("Humble Lamppost")'))
    await expect(reply).to_have_count(1)
    await expect(reply.locator(".used")).to_have_text("alice used /initiative info")
    await expect(reply.locator(".tag")).to_have_text("APP")
    # Bold, an embed with its colour bar, fields, and a channel mention drawn as #name.
    await expect(reply.locator(".embed-field-name").first).to_be_visible()
    await expect(reply.locator(".mention", has_text="#humble-lamppost")).to_have_count(1)
    assert await reply.locator(".only-you").count() == 0  # a public answer

    autocompletes = [
        c
        for c in sandbox.log.calls[calls_before:]
        if c.route.startswith("/interactions/") and (c.body or {}).get("type") == 8
    ]
    assert autocompletes, "the choices were not the bot's"
    await shot(page, "directory-lookup.png")
    assert outside.urls == []
    assert getattr(page, "script_errors") == []  # noqa: B009
    await context.close()


async def test_meeting_created_and_answered_live_in_two_pages(
    sandbox: Sandbox, seeded: RunningAgora, web: WebClient, browser: Browser
) -> None:
    year = datetime.now(UTC).year + 1
    outside = Outside()
    admin_context, first = await open_page(browser, web, outside, "admin", "Europe/Brussels")

    # The server setup's report is admin's alone; dismissed, it leaves the page.
    setup = first.locator(".message.ephemeral", has_text="Server setup")
    await setup.locator(".dismiss").click()
    await expect(setup).to_have_count(0)

    # -- admin: /meeting create with options, then the form ----------------------------------
    await pick_command(first, "meeting create")
    await first.fill('#command-form input[data-option="start"]', f"20 June {year} 09:00")
    await first.fill('#command-form input[data-option="end"]', "17:00")
    await first.click('#command-form button[data-add="venue"]')
    venue = first.locator('#command-form input[data-option="venue"]')
    await venue.fill("Hotel Metropole")
    await venue.press("Enter")

    form = first.locator("#overlay .dialog")
    await expect(form).to_be_visible()
    opened = [r.modal for r in sandbox.interactions.by_id.values() if r.modal is not None]
    await expect(form.locator("h2")).to_have_text(str(opened[-1]["title"]))
    await form.get_by_label("Title").fill("Action Clusters Meeting")
    await form.get_by_label("Description").fill("The **yearly** gathering of all six clusters.")
    await shot(first, "meeting-form.png")
    await form.locator('button[type="submit"]').click()
    await expect(first.locator("#overlay")).to_be_hidden()

    created = first.locator(".message.ephemeral", has_text="Created Action Clusters Meeting")
    await expect(created).to_have_count(1)
    await expect(created.locator("strong", has_text="Action Clusters Meeting")).to_have_count(1)
    await expect(created.locator(".only-you")).to_contain_text("Only you can see this")
    meeting = announcement_of(sandbox, "Action Clusters Meeting")
    assert "Hotel Metropole" in str(meeting["embeds"])

    # -- alice in the first page, bob in a second one, both in #announcements -----------------
    await switch_to_new_user(first, "alice")
    bob_context, second = await open_page(browser, web, outside, "admin", "America/New_York")
    await switch_to_new_user(second, "bob")
    pages = {"alice": first, "bob": second}
    for page in pages.values():
        await open_channel(page, "announcements")
        await page.evaluate("window.notReloaded = true")

    def card(page: Page) -> Locator:
        return page.locator(
            ".message", has=page.locator('.embed-title:text-is("Action Clusters Meeting")')
        )

    # Discord timestamps in each browser's own zone: 09:00 in Brussels is 03:00 in New York.
    when_alice = card(first).locator(".embed-field", has_text="When").locator(".ts").first
    when_bob = card(second).locator(".embed-field", has_text="When").locator(".ts").first
    await expect(when_alice).to_contain_text(f"20 June {year}")
    await expect(when_alice).to_contain_text("09:00")
    await expect(when_bob).to_contain_text("03:00")
    await expect(card(second).locator(".embed-field", has_text="Where")).to_contain_text(
        "Hotel Metropole"
    )

    # -- alice clicks Going: bob's page shows the count, live ---------------------------------
    await card(first).locator("button.btn", has_text="Going").first.click()
    await expect(card(second).locator(".embed-field", has_text="Answers")).to_contain_text(
        "Going: 1"
    )
    going_reply = first.locator(".message.ephemeral .only-you")
    await expect(going_reply.first).to_be_visible()
    await shot(second, "meeting-announcement.png")

    # -- bob clicks Going: alice's page follows ------------------------------------------------
    await card(second).locator("button.btn", has_text="Going").first.click()
    await expect(card(first).locator(".embed-field", has_text="Answers")).to_contain_text(
        "Going: 2"
    )
    for page in pages.values():
        assert await page.evaluate("window.notReloaded") is True
        assert getattr(page, "script_errors") == []  # noqa: B009

    # The page did what it showed: two people going, in the sandbox's own record.
    assert "Going: 2" in answers(announcement_of(sandbox, "Action Clusters Meeting"))
    assert outside.urls == []
    await admin_context.close()
    await bob_context.close()
