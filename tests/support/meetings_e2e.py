"""Helpers for the meetings' end-to-end tests (tests/cogs/meetings/)."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.runtime import RunningAgora
from discord_sandbox import InteractionResult, Sandbox
from discord_sandbox.rest.log import RestCall

MESSAGES = "/channels/{channel_id}/messages"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"
EVENTS = "/guilds/{guild_id}/scheduled-events"
EVENT = "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"


def next_year_day(month: int = 6, day: int = 22) -> str:
    """A date in June of next year: far enough ahead, and on summer time in Brussels."""
    return f"{datetime.now(UTC).year + 1}-{month:02d}-{day:02d}"


def iso_in(seconds: float) -> str:
    """An exact instant ``seconds`` from now, as ISO 8601 with its offset."""
    moment = datetime.now(UTC) + timedelta(seconds=seconds)
    return moment.replace(microsecond=0).isoformat()


async def create_meeting(
    sandbox: Sandbox,
    title: str,
    *,
    user: str = "admin",
    description: str = "",
    **options: Any,
) -> InteractionResult:
    """``/meeting create`` then the modal; returns the modal submission's result."""
    driver = sandbox.user(user)
    opened = await driver.slash("meeting create", **options)
    assert opened.modal is not None, opened.text
    return await driver.submit_modal({"Title": title, "Description": description})


def meeting_id_of(result: InteractionResult) -> int:
    match = re.search(r"\(#(\d+)\)", result.text)
    assert match, result.text
    return int(match.group(1))


def first_tuesday_of_june() -> date:
    """The first Tuesday of June next year (on summer time in Brussels)."""
    first = date(datetime.now(UTC).year + 1, 6, 1)
    return first + timedelta(days=(1 - first.weekday()) % 7)


async def create_weekly_series(sandbox: Sandbox, first: date, **options: Any) -> int:
    """The Urban Data Platform's weekly call, made by the admin: online, every week from
    ``first``, 09:00 to 10:00 in Brussels; ``options`` add to /meeting create's. Returns
    its id."""
    created = await create_meeting(
        sandbox,
        "Urban Data Platform weekly",
        start=f"{first} 09:00",
        end="1h",
        zone="Europe/Brussels",
        link="https://meet.example.eu/udp",
        repeat="weekly:1",
        **options,
    )
    return meeting_id_of(created)


def bot_posts(sandbox: Sandbox, channel: str | int) -> list[dict[str, Any]]:
    return [m for m in sandbox.messages(channel) if m["author"]["id"] == sandbox.bot_user_id]


def announcement(sandbox: Sandbox, channel: str | int, meeting_id: int) -> dict[str, Any]:
    found = [
        m
        for m in bot_posts(sandbox, channel)
        if m["embeds"] and f"Meeting #{meeting_id}" in m["embeds"][0]["footer"]["text"]
    ]
    assert len(found) == 1, f"{len(found)} announcements of #{meeting_id} in {channel}"
    return found[0]


def field(message: dict[str, Any], name: str) -> str:
    for item in message["embeds"][0]["fields"]:
        if item["name"].startswith(name):
            return str(item["value"])
    raise AssertionError(f"no field {name!r}")


def reminder_posts(sandbox: Sandbox, channel: str | int, needle: str = "") -> list[dict[str, Any]]:
    """Reminder messages (sent with an ``r…`` nonce) in a channel, optionally containing text."""
    return [
        m
        for m in bot_posts(sandbox, channel)
        if str(m.get("nonce") or "").startswith("r") and needle in m["content"]
    ]


def expect_call(
    sandbox: Sandbox,
    *,
    method: str,
    route: str,
    where: Any = None,
    timeout: float = 10.0,
) -> asyncio.Task[RestCall]:
    """Start waiting for a REST call *before* the action that causes it."""
    return asyncio.create_task(
        sandbox.wait_for_call(where, method=method, route=route, timeout=timeout)
    )


async def stored_meetings(running: RunningAgora, sandbox: Sandbox) -> int:
    meetings = running.bot.services.meetings
    guild_id = int(sandbox.guild.id)
    upcoming = await meetings.list_meetings(guild_id, "upcoming", limit=500)
    past = await meetings.list_meetings(guild_id, "past", limit=500)
    return len(upcoming) + len(past)


FOLLOWUP = "/webhooks/{webhook_id}/{webhook_token}"


async def rsvp(
    sandbox: Sandbox, user: str, message: Any, label: str
) -> tuple[InteractionResult, str]:
    """Click an RSVP button; returns the result and the ephemeral confirmation text."""
    confirmation = expect_call(sandbox, method="POST", route=FOLLOWUP)
    result = await sandbox.user(user).click(message, label)
    call = await confirmation
    assert int(call.body.get("flags") or 0) & 64, "the confirmation must be ephemeral"
    return result, str(call.body.get("content"))


async def link_lamppost(sandbox: Sandbox, agora: RunningAgora) -> tuple[str, str]:
    """Give Humble Lamppost a channel and a role, as /admin setup would."""
    guild_id = int(sandbox.guild.id)
    directory = agora.bot.services.directory
    lamppost = await directory.get_initiative(guild_id, "Humble Lamppost")
    channel = await sandbox.create_channel("humble-lamppost")
    role = await sandbox.create_role("Humble Lamppost")
    await directory.link_channel(guild_id, lamppost.id, int(channel.id))
    await directory.link_role(guild_id, lamppost.id, int(role.id))
    await sandbox.drain_gateway()
    return channel.id, role.id
