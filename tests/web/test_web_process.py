"""The public pages as a process of their own (``run_bot.py web``): Agora (the bot) runs
against the sandbox with no pages of its own, and a separate web server reads the same
database (one SQLite file, or PostgreSQL) through its own connection and caches. What the
bot writes through Discord shows on the web server's pages once it has read the change
counters; names come from Discord's REST API, only for those who agreed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.config import Config
from bot.public_pages import RunningPages, start_public_pages
from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.conftest import replace_config
from tests.support.meetings_e2e import create_meeting, meeting_id_of
from tests.web.conftest import Web
from tests.web.test_pages import members_of


@pytest.fixture
def agora_config_overrides(database_url: str) -> dict[str, dict[str, object]]:
    """The pages are on, served by a process of their own (``in_bot = false``); the
    database is a SQLite file or a PostgreSQL database."""
    where = "url" if database_url.startswith("postgresql://") else "path"
    return {"database": {where: database_url}, "web": {"enabled": True, "in_bot": False}}


async def open_pages(config: Config, poll_seconds: float) -> RunningPages:
    return await start_public_pages(
        replace_config(config, "web", host="127.0.0.1", port=0),
        poll_seconds=poll_seconds,
    )


@pytest.fixture
async def pages(
    seeded: RunningAgora, sandbox: Sandbox, agora_config: Config
) -> AsyncIterator[tuple[RunningPages, Web]]:
    """The seed guild published by its admin, and a web process that reads what changed
    only when the test says so (``changes.poll()``)."""
    published = await sandbox.user("admin").slash("admin web on")
    assert "now **public**" in published.text, published.text
    assert seeded.web is None  # the bot's own process serves nothing
    running = await open_pages(agora_config, poll_seconds=3600)
    try:
        async with aiohttp.ClientSession() as http:
            yield running, Web(running.url, http)
    finally:
        await running.stop()


async def test_a_join_a_meeting_names_and_unpublishing_reach_the_web_process(
    pages: tuple[RunningPages, Web], sandbox: Sandbox
) -> None:
    running, web = pages
    before = members_of(await web.page("/"), "Humble Lamppost")
    assert "1 lead" not in await web.page("/initiatives/humble-lamppost")

    # A join made through Discord, in the bot's process.
    joined = await sandbox.user("alice").slash("initiative join", initiative="humble-lamppost")
    assert "Welcome" in joined.text, joined.text
    assert await running.changes.poll()
    assert members_of(await web.page("/"), "Humble Lamppost") == before + 1
    assert f"<dt>Members</dt><dd>{before + 1}</dd>" in await web.page(
        "/initiatives/humble-lamppost"
    )
    assert not await running.changes.poll()  # nothing else moved

    # A new meeting, on the meetings page and in the calendar feed (built before it).
    assert (await web.get("/calendar.ics"))[0] == 200
    meeting_id = meeting_id_of(
        await create_meeting(
            sandbox,
            "Lamppost sprint review",
            start="2099-06-20 09:00",
            end="10:00",
            zone="Europe/Brussels",
            initiatives="Humble Lamppost",
        )
    )
    status, feed, _ = await web.get("/calendar.ics")
    assert status == 200 and "Lamppost sprint review" not in feed
    assert await running.changes.poll()
    assert "Lamppost sprint review" in await web.page("/meetings")
    assert f"/meetings/{meeting_id}" in await web.page("/initiatives/humble-lamppost")
    assert "Lamppost sprint review" in (await web.get("/calendar.ics"))[1]

    # A lead is named once they agree, by the name Discord has for them, and no longer
    # once they withdraw it.
    alice = sandbox.user("alice")
    await sandbox.user("admin").slash(
        "initiative lead add", initiative="humble-lamppost", member=alice.id
    )
    assert await running.changes.poll()
    page = await web.page("/initiatives/humble-lamppost")
    assert "1 lead" in page and "alice" not in page
    await alice.slash("privacy web show-name", state="on")
    assert await running.changes.poll()
    assert "alice" in await web.page("/initiatives/humble-lamppost")
    await alice.slash("privacy web show-name", state="off")
    assert await running.changes.poll()
    page = await web.page("/initiatives/humble-lamppost")
    assert "alice" not in page and "1 lead" in page

    # Unpublished: every page answers 404 at once, nothing kept is served.
    withdrawn = await sandbox.user("admin").slash("admin web off")
    assert "no longer" in withdrawn.text or "not" in withdrawn.text, withdrawn.text
    assert await running.changes.poll()
    for path in ("/", "/initiatives/humble-lamppost", "/meetings", "/calendar.ics"):
        status, _, _ = await web.get(path)
        assert status == 404, path


async def test_the_web_process_sees_a_join_by_itself_within_seconds(
    seeded: RunningAgora, sandbox: Sandbox, agora_config: Config
) -> None:
    await sandbox.user("admin").slash("admin web on")
    running = await open_pages(agora_config, poll_seconds=0.2)
    try:
        async with aiohttp.ClientSession() as http:
            web = Web(running.url, http)
            before = members_of(await web.page("/"), "Humble Lamppost")
            await sandbox.user("bob").slash("initiative join", initiative="humble-lamppost")
            deadline = time.monotonic() + 10
            while members_of(await web.page("/"), "Humble Lamppost") != before + 1:
                assert time.monotonic() < deadline, "the join never reached the web process"
                await asyncio.sleep(0.05)
            await sandbox.user("admin").slash("admin web off")
            while (await web.get("/"))[0] != 404:
                assert time.monotonic() < deadline, "unpublishing never reached the web process"
                await asyncio.sleep(0.05)
    finally:
        await running.stop()
