"""The Discord side effects of meetings: announcements, native events, reminders, DMs.

One ``MeetingPublisher`` per bot (held by the meetings cog). Everything here is
best effort towards Discord and idempotent where it can be: announcements are
edited in place, events are created only when the service says one is needed,
and reminders carry a deterministic nonce per channel so a resend after a crash
is answered by Discord with the message already posted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import discord

from bot.cogs.meetings.render import DirectoryNames, meeting_embed, reminder_text, where_text
from bot.cogs.meetings.views import rsvp_view
from bot.cogs.shared.channels import Postable, announcement_channel
from bot.cogs.shared.client import AgoraClient
from bot.services.directory.pitches import InitiativePitch
from bot.services.meetings.models import Meeting, Reminder, Scope, Session
from bot.services.meetings.service import EventPlan, MeetingView
from bot.wiring import Services

log = logging.getLogger(__name__)

EVENT_DESCRIPTION_LIMIT = 1000
# Announcements changed by bursts (RSVP clicks, "Interested") are edited at most once
# per this many seconds per meeting, always ending with the latest state.
REFRESH_INTERVAL = 1.0
EVENT_LOCATION_LIMIT = 100


class MeetingPublisher:
    def __init__(self, bot: AgoraClient, refresh_interval: float = REFRESH_INTERVAL) -> None:
        self.bot = bot
        self.refresh_interval = refresh_interval
        # Coalesced refreshes: one task per meeting with edits pending or just made,
        # and the meetings changed since their task's last edit began.
        self._refreshers: dict[int, asyncio.Task[None]] = {}
        self._stale: dict[int, int] = {}  # meeting id: guild id
        # One refresh of a meeting at a time, so an older rendering never lands last:
        # meeting id: [lock, how many hold or wait for it] (dropped at zero).
        self._refresh_locks: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    @property
    def services(self) -> Services:
        return self.bot.services

    # -- where things go -------------------------------------------------------

    async def names(self, guild_id: int) -> DirectoryNames:
        # Read through to the in-memory directory: copying 10,000 initiatives' names
        # took ~3.5 ms per /meeting list or /meeting info.
        clusters, initiatives = await self.services.directory.names_by_id(guild_id)
        return DirectoryNames(clusters=clusters, initiatives=initiatives)

    async def pitches(
        self, guild_id: int, view: MeetingView
    ) -> dict[int, tuple[InitiativePitch, ...]]:
        """The pitches each pitch session lists, by session id: its initiative's, or its
        cluster's initiatives', or else those of the initiatives the meeting is for."""
        found: dict[int, tuple[InitiativePitch, ...]] = {}
        scope = view.meeting.scope
        for session in view.sessions:
            if session.kind != "pitch":
                continue
            if session.initiative_id is not None or session.cluster_id is not None:
                initiative_ids: tuple[int, ...] = tuple(
                    i for i in (session.initiative_id,) if i is not None
                )
                cluster_ids = tuple(c for c in (session.cluster_id,) if c is not None)
            else:
                initiative_ids, cluster_ids = scope.initiative_ids, scope.cluster_ids
            found[session.id] = await self.services.pitches.for_scope(
                guild_id, initiative_ids, cluster_ids
            )
        return found

    async def linked_channel_ids(
        self, guild_id: int, meeting: Meeting, session: Session | None = None
    ) -> list[int]:
        """Channels of the clusters and initiatives the meeting (or session) is for."""
        initiative_ids = list(meeting.scope.initiative_ids)
        cluster_ids = list(meeting.scope.cluster_ids)
        if session is not None:
            if session.initiative_id is not None:
                initiative_ids.append(session.initiative_id)
            if session.cluster_id is not None:
                cluster_ids.append(session.cluster_id)
        return await self.scope_channel_ids(guild_id, cluster_ids, initiative_ids)

    async def scope_channel_ids(
        self, guild_id: int, cluster_ids: Sequence[int], initiative_ids: Sequence[int]
    ) -> list[int]:
        """Channels of these initiatives, then of these clusters (those linked)."""
        clusters, initiatives = await self.services.directory.by_id(guild_id)
        found: list[int | None] = [
            initiatives[i].channel_id for i in initiative_ids if i in initiatives
        ]
        found += [clusters[c].channel_id for c in cluster_ids if c in clusters]
        return [channel_id for channel_id in found if isinstance(channel_id, int)]

    async def targets(
        self, guild: discord.Guild, meeting: Meeting, session: Session | None = None
    ) -> list[Postable]:
        """The announcement channel first, then each linked channel, no repeats."""
        linked = await self.linked_channel_ids(guild.id, meeting, session)
        return await self.channels_for(guild, linked)

    async def scope_targets(self, guild: discord.Guild, scope: Scope) -> list[Postable]:
        """Where something for ``scope`` is announced, as a meeting for it would be: the
        announcement channel first, then its clusters' and initiatives' channels."""
        linked = await self.scope_channel_ids(guild.id, scope.cluster_ids, scope.initiative_ids)
        return await self.channels_for(guild, linked)

    async def channels_for(self, guild: discord.Guild, linked: list[int]) -> list[Postable]:
        channels: list[Postable] = []
        announcement = await announcement_channel(self.bot, guild)
        if announcement is not None:
            channels.append(announcement)
        for channel_id in linked:
            channel = guild.get_channel_or_thread(channel_id)
            if isinstance(channel, Postable) and all(c.id != channel.id for c in channels):
                channels.append(channel)
        return channels

    async def ping_role(self, guild: discord.Guild, reminder: Reminder) -> discord.Role | None:
        """The role a session reminder is aimed at: its initiative's (or cluster's) role."""
        if reminder.target_id is None:
            return None
        role_id: object = None
        if reminder.target_kind == "initiative":
            _, initiatives = await self.services.directory.by_id(guild.id)
            initiative = initiatives.get(reminder.target_id)
            role_id = None if initiative is None else initiative.role_id
        # A cluster has no role of its own (its session reminder goes to its channel).
        return guild.get_role(role_id) if isinstance(role_id, int) else None

    # -- announcements ---------------------------------------------------------

    async def announce(self, guild: discord.Guild, view: MeetingView) -> list[Postable]:
        """Post the announcement in every target channel: with its RSVP buttons, or as a
        record without them when the meeting is already over (recorded afterwards)."""
        meeting = view.meeting
        embed = meeting_embed(
            view,
            await self.names(guild.id),
            buttons=view.takes_answers,
            pitches=await self.pitches(guild.id, view),
        )
        extra: dict[str, Any] = {"view": rsvp_view(meeting.id)} if view.takes_answers else {}
        posted: list[Postable] = []
        for channel in await self.targets(guild, meeting):
            try:
                message = await channel.send(embed=embed, **extra)
            except discord.HTTPException:
                log.warning("could not announce meeting %s in %s", meeting.id, channel.id)
                continue
            await self.services.meetings.add_announcement(
                guild.id, meeting.id, channel.id, message.id
            )
            posted.append(channel)
        return posted

    async def refresh_announcements(
        self, guild_id: int, meeting_id: int, skip_message_id: int | None = None
    ) -> int:
        """Edit every announcement of the meeting in place (counts, times, cancellation)."""
        async with self._refresh_lock(meeting_id):
            view = await self.services.meetings.view(guild_id, meeting_id)
            embed = meeting_embed(
                view,
                await self.names(guild_id),
                buttons=view.takes_answers,
                pitches=await self.pitches(guild_id, view),
            )
            buttons = rsvp_view(meeting_id) if view.takes_answers else None
            edited = 0
            for announcement in view.announcements:
                if announcement.message_id == skip_message_id:
                    continue
                channel = self.bot.get_partial_messageable(announcement.channel_id)
                message = channel.get_partial_message(announcement.message_id)
                try:
                    await message.edit(embed=embed, view=buttons)
                    edited += 1
                except discord.HTTPException:
                    log.info("announcement %s of meeting %s is gone", message.id, meeting_id)
            return edited

    @contextlib.asynccontextmanager
    async def _refresh_lock(self, meeting_id: int) -> AsyncIterator[None]:
        lock, users = self._refresh_locks.setdefault(meeting_id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                yield
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._refresh_locks[meeting_id]

    def request_refresh(self, guild_id: int, meeting_id: int) -> None:
        """Refresh the meeting's announcements soon, without waiting for it.

        For bursts: the first request edits at once; requests while an edit is running
        or within ``refresh_interval`` of its start are folded into one trailing edit,
        which renders the state as of then. So a meeting's announcements are edited at
        most once per interval, and the last edit always shows the latest answers (they
        are in the database: a restart loses no answer, only an edit not yet made, and
        the next change renders everything again).
        """
        self._stale[meeting_id] = guild_id
        if meeting_id not in self._refreshers:
            self._refreshers[meeting_id] = asyncio.create_task(
                self._refresh_while_stale(guild_id, meeting_id),
                name=f"agora-refresh-{meeting_id}",
            )

    async def _refresh_while_stale(self, guild_id: int, meeting_id: int) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._stale.pop(meeting_id, None) is not None:
                started = loop.time()
                try:
                    await self.refresh_announcements(guild_id, meeting_id)
                except asyncio.CancelledError:
                    self._stale.setdefault(meeting_id, guild_id)  # for flush_refreshes
                    raise
                except Exception:
                    log.warning("could not refresh the announcements of meeting %s", meeting_id)
                # Requests from now until the interval is over wait for the next edit.
                await asyncio.sleep(max(0.0, started + self.refresh_interval - loop.time()))
        finally:
            if self._refreshers.get(meeting_id) is asyncio.current_task():
                del self._refreshers[meeting_id]

    async def refreshes_done(self) -> None:
        """Wait until every requested refresh has been made (its trailing edit too)."""
        while self._refreshers:
            await asyncio.gather(*self._refreshers.values(), return_exceptions=True)

    async def flush_refreshes(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """On unload: make the edits still waiting for their interval now, and stop."""
        tasks = list(self._refreshers.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        stale, self._stale = self._stale, {}
        for meeting_id, guild_id in stale.items():
            try:
                await asyncio.wait_for(self.refresh_announcements(guild_id, meeting_id), timeout)
            except Exception:
                log.warning("could not refresh the announcements of meeting %s", meeting_id)

    # -- native scheduled events -----------------------------------------------

    def _event_fields(self, guild: discord.Guild, meeting: Meeting) -> dict[str, Any]:
        description = meeting.description[:EVENT_DESCRIPTION_LIMIT]
        fields: dict[str, Any] = {"name": meeting.title[:100], "description": description}
        location = meeting.location
        channel = guild.get_channel(location.channel_id) if location.channel_id else None
        if location.kind == "channel" and isinstance(channel, discord.StageChannel):
            fields.update(entity_type=discord.EntityType.stage_instance, channel=channel)
        elif location.kind == "channel" and isinstance(channel, discord.VoiceChannel):
            fields.update(entity_type=discord.EntityType.voice, channel=channel)
        else:
            # The bare link is clickable on the event; a venue reads "name, address".
            if location.kind in ("venue", "online"):
                text = location.describe()
            elif location.kind == "channel":
                text = "Discord"  # the channel is gone or not a voice/stage channel
            else:
                text = where_text(meeting)
            fields.update(
                entity_type=discord.EntityType.external, location=text[:EVENT_LOCATION_LIMIT]
            )
        return fields

    async def create_event(self, guild: discord.Guild, plan: EventPlan) -> int | None:
        """Create the scheduled event the service asked for; None when Discord can't."""
        if plan.starts_at <= datetime.now(UTC):
            return None  # Discord refuses events that start in the past
        fields = self._event_fields(guild, plan.meeting)
        try:
            event = await guild.create_scheduled_event(
                start_time=plan.starts_at,
                end_time=plan.ends_at,
                privacy_level=discord.PrivacyLevel.guild_only,
                **fields,
            )
        except discord.HTTPException:
            log.warning("could not create the event of meeting %s", plan.meeting.id, exc_info=True)
            return None
        event_id: int = event.id
        await self.services.meetings.link_event(
            guild.id, plan.meeting.id, event_id, plan.occurrence_start
        )
        return event_id

    async def create_needed_events(
        self, guild: discord.Guild, meeting_id: int | None = None
    ) -> int:
        """Create every missing event (one meeting's, or the guild's whole sweep)."""
        meetings = self.services.meetings
        if meeting_id is not None:
            plan = await meetings.event_needed(guild.id, meeting_id)
            plans = [plan] if plan is not None else []
        else:
            plans = await meetings.events_needed(guild.id)
        created = 0
        for plan in plans:
            if await self.create_event(guild, plan) is not None:
                created += 1
        return created

    async def update_events(self, guild: discord.Guild, view: MeetingView) -> int:
        """Bring the meeting's events in step with it (times, name, place)."""
        meeting = view.meeting
        fields = self._event_fields(guild, meeting)
        starts = {o.original_start: o for o in view.next_occurrences}
        updated = 0
        for link in view.events:
            if link.occurrence_start is None:
                start, end = meeting.starts_at, meeting.ends_at
            elif link.occurrence_start in starts:
                occurrence = starts[link.occurrence_start]
                start, end = occurrence.starts_at, occurrence.ends_at
            else:
                continue
            try:
                event = await guild.fetch_scheduled_event(link.event_id)
                changes = dict(fields)
                if event.status is discord.EventStatus.scheduled and start > datetime.now(UTC):
                    changes.update(start_time=start, end_time=end)
                await event.edit(**changes)
                updated += 1
            except discord.NotFound:
                await self.services.meetings.unlink_event(guild.id, link.event_id)
            except discord.HTTPException:
                log.warning("could not update event %s", link.event_id, exc_info=True)
        await self.create_needed_events(guild, meeting.id)
        return updated

    async def catch_up_interest(self, guild: discord.Guild, limit: int = 50) -> int:
        """Count "Interested" marked while Agora was away as Going (upcoming meetings)."""
        rsvp = self.services.rsvp
        meetings = await self.services.meetings.list_meetings(guild.id, "upcoming", limit=limit)
        recorded = 0
        for meeting in meetings:
            view = await self.services.meetings.view(guild.id, meeting.id)
            changed = False
            for link in view.events:
                try:
                    event = await guild.fetch_scheduled_event(link.event_id)
                    async for user in event.users():
                        result = await rsvp.event_interest_caught_up(guild.id, event.id, user.id)
                        if result is not None and result.changed:
                            changed = True
                            recorded += 1
                except discord.HTTPException:
                    log.info("could not read who is interested in event %s", link.event_id)
            if changed:
                await self.refresh_announcements(guild.id, meeting.id)
        return recorded

    async def cancel_events(self, guild: discord.Guild, event_ids: Sequence[int]) -> int:
        cancelled = 0
        for event_id in event_ids:
            try:
                event = await guild.fetch_scheduled_event(event_id)
                if event.status is discord.EventStatus.scheduled:
                    await event.cancel()
                elif event.status is discord.EventStatus.active:
                    await event.end()
                cancelled += 1
            except discord.HTTPException:
                log.info("event %s could not be cancelled (gone?)", event_id)
        return cancelled

    # -- reminders and DMs -----------------------------------------------------

    async def send_reminder(self, reminder: Reminder) -> None:
        """The ReminderScheduler's send callback: idempotent per channel through the nonce."""
        await self.bot.wait_until_ready()
        guild = self.bot.get_guild(reminder.guild_id)
        if guild is None:
            log.warning("reminder %s: Agora is not in guild %s", reminder.id, reminder.guild_id)
            return
        context = await self.services.reminders.context(reminder)
        names = await self.names(guild.id)
        text = reminder_text(reminder, context.meeting, context.session, names)
        role = await self.ping_role(guild, reminder)
        content = f"{role.mention} {text}" if role is not None else text
        mentions = (
            discord.AllowedMentions(everyone=False, users=False, roles=[role])
            if role is not None
            else discord.AllowedMentions.none()
        )
        for channel in await self.targets(guild, context.meeting, context.session):
            await channel.send(
                content, nonce=reminder.nonce_for(channel.id), allowed_mentions=mentions
            )
        for user_id in context.dm_user_ids:
            await self._dm(user_id, text, reminder)

    async def _dm(self, user_id: int, text: str, reminder: Reminder | None = None) -> bool:
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            channel = user.dm_channel or await user.create_dm()
            if reminder is not None:
                await channel.send(text, nonce=reminder.nonce_for(channel.id))
            else:
                await channel.send(text)
            return True
        except discord.HTTPException:
            log.info("could not DM user %s", user_id)
            return False

    async def dm_promoted(self, meeting: Meeting, user_ids: Sequence[int]) -> None:
        """Tell people moved off the waitlist that they have a place now."""
        for user_id in user_ids:
            await self._dm(
                user_id,
                f"🎉 A place opened up: you are now **Going** to **{meeting.title}** "
                f"(<t:{int(meeting.starts_at.timestamp())}:F>). "
                "If you can't make it, press Can't go on the announcement.",
            )
