"""The Discord side of the outcomes timers: outcome threads, the summary, owners' DMs.

``send_timer`` is the outcome dispatcher's send callback, so it must be idempotent for a
timer sent again after a crash (the dispatcher repeats a "sending" row):

* a thread in a text channel hangs off an opening post sent with the timer's nonce for
  that session: sent again, Discord answers with the post it already has, and a second
  thread on it is refused (160004) because a message holds one thread, whose id is the
  message's own; either way the one thread is recorded;
* a forum post has no nonce: one of Agora's with the same name in that forum is taken as
  already opened;
* each page of the summary has its own nonce, and an owner's DM the DM channel's.
"""

from __future__ import annotations

import logging

import discord

from bot.cogs.outcomes.render import (
    action_reminder_text,
    summary_embed,
    thread_invitation,
    thread_name,
)
from bot.cogs.shared.channels import announcement_channel
from bot.cogs.shared.client import AgoraClient
from bot.services.outcomes.models import OutcomeTimer
from bot.services.outcomes.summary import summary_pages
from bot.wiring import Services

log = logging.getLogger(__name__)

THREAD_ALREADY_CREATED = 160004


class OutcomePublisher:
    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot

    @property
    def services(self) -> Services:
        return self.bot.services

    async def send_timer(self, timer: OutcomeTimer) -> None:
        await self.bot.wait_until_ready()
        guild = self.bot.get_guild(timer.guild_id)
        if guild is None:
            log.warning("outcome timer %s: Agora is not in guild %s", timer.id, timer.guild_id)
            return
        if timer.kind == "threads":
            await self.open_threads(guild, timer)
        elif timer.kind == "summary":
            await self.post_summary(guild, timer)
        else:
            await self.remind_owner(timer)

    # -- threads ------------------------------------------------------------------

    async def open_threads(self, guild: discord.Guild, timer: OutcomeTimer) -> int:
        """Open the meeting's outcome threads not opened yet; how many were opened."""
        outcomes = self.services.outcomes
        plan = await outcomes.thread_targets(guild.id, timer.meeting_id)
        opened = 0
        for target in plan.targets:
            if target.channel_id is None:
                channel: object = await announcement_channel(self.bot, guild)
            else:
                channel = guild.get_channel(target.channel_id)
            name = thread_name(plan.meeting, target.session)
            text = thread_invitation(plan.meeting, target.session)
            nonce = timer.nonce_for(target.key)
            if isinstance(channel, discord.ForumChannel):
                thread_id = await self._forum_post(channel, name, text)
            elif isinstance(channel, discord.TextChannel):
                thread_id = await self._thread_on_post(channel, name, text, nonce)
            else:
                log.info("meeting %s: no channel for its thread %r", plan.meeting.id, name)
                continue
            await outcomes.thread_opened(guild.id, plan.meeting.id, target, channel.id, thread_id)
            opened += 1
        return opened

    async def _thread_on_post(
        self, channel: discord.TextChannel, name: str, text: str, nonce: str
    ) -> int:
        """The thread's id: a new one on the opening post, or the post's own."""
        post = await channel.send(text, nonce=nonce)
        try:
            thread = await post.create_thread(name=name)
        except discord.HTTPException as error:
            if error.code != THREAD_ALREADY_CREATED:
                raise
            # Sent again after a crash: the post already holds its thread, whose id is
            # the post's own.
            return post.id
        return thread.id

    async def _forum_post(self, forum: discord.ForumChannel, name: str, text: str) -> int:
        me = forum.guild.me
        for thread in forum.threads:
            if thread.name == name and me is not None and thread.owner_id == me.id:
                return thread.id
        created = await forum.create_thread(name=name, content=text)
        return created.thread.id

    # -- the summary ----------------------------------------------------------------

    async def post_summary(self, guild: discord.Guild, timer: OutcomeTimer) -> int:
        """The plenary summary in the announcement channel, one message per page."""
        channel = await announcement_channel(self.bot, guild)
        if channel is None:
            log.info("meeting %s: no announcement channel for its summary", timer.meeting_id)
            return 0
        data = await self.services.outcomes.meeting_outcomes(guild.id, timer.meeting_id)
        summary = summary_pages(data, self.services.outcomes.clock())
        for page in range(len(summary.pages)):
            await channel.send(embed=summary_embed(summary, page), nonce=timer.nonce_for(page + 1))
        return len(summary.pages)

    # -- owners' reminders ---------------------------------------------------------

    async def remind_owner(self, timer: OutcomeTimer) -> bool:
        """DM the action's owner, if they asked for reminders by DM; True when sent."""
        reminder = await self.services.outcomes.owner_to_remind(timer)
        if reminder is None:
            return False
        action = reminder.action
        assert action.due_at is not None
        text = action_reminder_text(
            timer.kind,
            action.id,
            action.text,
            int(action.due_at.timestamp()),
            reminder.meeting_title,
        )
        try:
            user = self.bot.get_user(reminder.owner_id) or await self.bot.fetch_user(
                reminder.owner_id
            )
            channel = user.dm_channel or await user.create_dm()
            await channel.send(text, nonce=timer.nonce_for(channel.id))
        except discord.HTTPException:
            log.info("could not DM the owner of action %s", action.id)
            return False
        return True
