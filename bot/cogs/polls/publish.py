"""The Discord side of polls: posting them, keeping their tallies current, announcing the
result and telling Yes voters.

Polls go where a meeting for the same scope would be announced (the meetings'
publisher picks the channels). Edits after answers are coalesced per poll, as for a
meeting's RSVP announcements: at most one edit per ``refresh_interval`` however many
answer, the last one always showing the stored answers. The result and the DMs carry a
deterministic nonce per channel, so announcing again after a crash posts nothing twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import discord

from bot.cogs.meetings.publish import REFRESH_INTERVAL, MeetingPublisher
from bot.cogs.meetings.render import DirectoryNames
from bot.cogs.polls.render import dm_text, parts_of, poll_embed, result_embed
from bot.cogs.polls.views import answer_buttons, meeting_buttons
from bot.cogs.shared.channels import Postable
from bot.cogs.shared.client import AgoraClient
from bot.services.polls.service import PollView
from bot.wiring import Services

log = logging.getLogger(__name__)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def result_nonce(poll_id: int, channel_id: int) -> str:
    """The nonce of a poll's result (or DM) in one channel: within Discord's 25 characters
    ("p" + 11 for the poll + "." + 13 for a 64-bit channel id)."""
    return f"p{_base36(poll_id)}.{_base36(channel_id)}"


class PollPublisher:
    def __init__(self, bot: AgoraClient, refresh_interval: float = REFRESH_INTERVAL) -> None:
        self.bot = bot
        self.refresh_interval = refresh_interval
        # Where a meeting for the same scope is announced is where a poll goes.
        self.channels = MeetingPublisher(bot)
        self._refreshers: dict[int, asyncio.Task[None]] = {}
        self._stale: dict[int, int] = {}  # poll id: guild id
        self._locks: dict[int, asyncio.Lock] = {}

    @property
    def services(self) -> Services:
        return self.bot.services

    async def names(self, guild_id: int) -> DirectoryNames:
        return await self.channels.names(guild_id)

    async def targets(self, guild: discord.Guild, view: PollView) -> list[Postable]:
        return await self.channels.scope_targets(guild, view.poll.scope)

    # -- posting and refreshing -------------------------------------------------

    async def post(self, guild: discord.Guild, view: PollView) -> list[Postable]:
        """The poll in every target channel (one message per five times)."""
        names = await self.names(guild.id)
        poll = view.poll
        posted: list[Postable] = []
        for channel in await self.targets(guild, view):
            try:
                for part in range(parts_of(poll)):
                    buttons = answer_buttons(poll, part)
                    extra: dict[str, Any] = {} if buttons is None else {"view": buttons}
                    message = await channel.send(embed=poll_embed(view, names, part), **extra)
                    await self.services.polls.add_message(
                        guild.id, poll.id, channel.id, message.id, part
                    )
            except discord.HTTPException:
                log.warning("could not post poll %s in %s", poll.id, channel.id)
                continue
            posted.append(channel)
        return posted

    async def refresh(self, guild_id: int, poll_id: int) -> int:
        """Edit every message of the poll in place (tallies, closed)."""
        lock = self._locks.setdefault(poll_id, asyncio.Lock())
        async with lock:
            view = await self.services.polls.view(guild_id, poll_id)
            names = await self.names(guild_id)
            edited = 0
            for shown in view.messages:
                channel = self.bot.get_partial_messageable(shown.channel_id)
                message = channel.get_partial_message(shown.message_id)
                try:
                    await message.edit(
                        embed=poll_embed(view, names, shown.part),
                        view=answer_buttons(view.poll, shown.part),
                    )
                    edited += 1
                except discord.HTTPException:
                    log.info("message %s of poll %s is gone", shown.message_id, poll_id)
            return edited

    def request_refresh(self, guild_id: int, poll_id: int) -> None:
        """Refresh soon without waiting: the first request edits at once, the ones during
        an edit or within ``refresh_interval`` of its start make one trailing edit."""
        self._stale[poll_id] = guild_id
        if poll_id not in self._refreshers:
            self._refreshers[poll_id] = asyncio.create_task(
                self._refresh_while_stale(guild_id, poll_id), name=f"agora-poll-{poll_id}"
            )

    async def _refresh_while_stale(self, guild_id: int, poll_id: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._stale.pop(poll_id, None) is not None:
                started = loop.time()
                try:
                    await self.refresh(guild_id, poll_id)
                except asyncio.CancelledError:
                    self._stale.setdefault(poll_id, guild_id)
                    raise
                except Exception:
                    log.warning("could not refresh poll %s", poll_id)
                await asyncio.sleep(max(0.0, started + self.refresh_interval - loop.time()))
        finally:
            if self._refreshers.get(poll_id) is asyncio.current_task():
                del self._refreshers[poll_id]

    async def refreshes_done(self) -> None:
        """Until every requested refresh was made (its trailing edit too)."""
        while self._refreshers:
            await asyncio.gather(*self._refreshers.values(), return_exceptions=True)

    async def flush(self) -> None:
        """On unload: make the edits still waiting for their interval now, and stop."""
        tasks = list(self._refreshers.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stale, self._stale = self._stale, {}
        for poll_id, guild_id in stale.items():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.refresh(guild_id, poll_id), 5.0)

    # -- the result -------------------------------------------------------------

    async def announce_result(self, view: PollView) -> None:
        """A poll just closed: its messages freeze, the result goes where the poll was
        posted (with Create meeting), and Yes voters of the best time who asked for DMs
        are told. Idempotent per channel through the nonces."""
        await self.bot.wait_until_ready()
        poll = view.poll
        guild = self.bot.get_guild(poll.guild_id)
        if guild is None:
            log.warning("poll %s: Agora is not in guild %s", poll.id, poll.guild_id)
            return
        await self.refresh(guild.id, poll.id)
        names = await self.names(guild.id)
        embed = result_embed(view, names)
        buttons = meeting_buttons(view)
        extra: dict[str, Any] = {} if buttons is None else {"view": buttons}
        posted_in = {shown.channel_id for shown in view.messages}
        channels = [
            c for c in await self.targets(guild, view) if c.id in posted_in or not posted_in
        ]
        for channel in channels:
            await channel.send(
                embed=embed,
                nonce=result_nonce(poll.id, channel.id),
                **extra,
            )
        for user_id in await self.services.polls.dm_recipients(view):
            await self._dm(user_id, dm_text(view), poll.id)

    async def _dm(self, user_id: int, text: str, poll_id: int) -> None:
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            channel = user.dm_channel or await user.create_dm()
            await channel.send(text, nonce=result_nonce(poll_id, channel.id))
        except discord.HTTPException:
            log.info("could not DM user %s the result of poll %s", user_id, poll_id)
