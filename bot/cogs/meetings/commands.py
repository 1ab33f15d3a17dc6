"""/meeting: create, change, cancel and look up meetings; RSVP; reminders.

Organisers (Manage Events, Manage Server or the organiser role) create and
change meetings; everyone can look them up and answer. The checks are in code
(the services refuse), because the organiser role cannot be expressed in
Discord's default permissions and members need the read commands.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import Callable
from dataclasses import replace

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.meetings.options import (
    REPEAT_CHOICES,
    CommandT,
    MeetingChannel,
    MeetingLink,
    MeetingName,
    NameList,
    OffsetsText,
    TimeText,
    VenueAddress,
    VenueName,
    ZoneName,
    clusters_autocomplete,
    initiatives_autocomplete,
    location_from,
    meeting_autocomplete,
    offsets_from,
    repeat_from,
    scope_from,
    session_autocomplete,
    where_and_who_autocomplete,
)
from bot.cogs.meetings.publish import MeetingPublisher
from bot.cogs.meetings.render import (
    attendees_embed,
    edit_effects_text,
    list_line,
    meeting_embed,
    occurrence_move_text,
    scheduled_text,
    session_line,
)
from bot.cogs.meetings.time_autocomplete import time_autocomplete
from bot.cogs.meetings.views import (
    MEETING_FORM,
    PUBLISHER,
    CancelButton,
    RsvpButton,
    cancel_question,
    meeting_actor,
)
from bot.cogs.shared.client import AgoraClient
from bot.cogs.shared.context import guild_id_of, is_organiser, services_of
from bot.cogs.shared.cooldowns import limited
from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.cogs.shared.error_handler import AgoraModal
from bot.cogs.shared.pagination import Page, page_count, send_page
from bot.errors import InvalidInput
from bot.services.common.ids import plain_id
from bot.services.common.name_matcher import Found
from bot.services.common.text_fit import fit_lines
from bot.services.meetings.models import SESSION_KINDS, Location
from bot.services.meetings.programme import KIND_LABELS, SessionDraft
from bot.services.meetings.service import (
    MAX_DESCRIPTION,
    MAX_TITLE,
    MeetingChange,
    MeetingDraft,
    MeetingEdit,
)
from bot.services.privacy.service import ANSWERS_WITHDRAWN, ForgetResult

log = logging.getLogger(__name__)

LIST_PAGE_SIZE = 8
EVENT_SWEEP_JOB_ID = "agora-meeting-events-sweep"
EVENT_SWEEP_MINUTES = 10

KIND_CHOICES = [app_commands.Choice(name=KIND_LABELS[k], value=k) for k in SESSION_KINDS]
WHEN_CHOICES = [
    app_commands.Choice(name="upcoming", value="upcoming"),
    app_commands.Choice(name="past", value="past"),
]


def _notes(notes: tuple[str, ...]) -> str:
    return "".join(f"\nNote: {note}" for note in notes)


class CreateMeetingModal(AgoraModal, title="New meeting"):
    """The long text of ``/meeting create``; everything else came with the command."""

    meeting_title: discord.ui.TextInput[CreateMeetingModal] = discord.ui.TextInput(
        label="Title",
        placeholder="Action Clusters Meeting",
        required=True,
        min_length=1,
        max_length=MAX_TITLE,  # Discord's client refuses more: no round trip to be told
        custom_id="title",  # fixed: a form registered again after a restart must match
    )
    description: discord.ui.TextInput[CreateMeetingModal] = discord.ui.TextInput(
        label="Description",
        style=discord.TextStyle.paragraph,
        placeholder="Who it is for, what to prepare, links to documents…",
        required=False,
        max_length=MAX_DESCRIPTION,
        custom_id="description",
    )

    def __init__(self, cog: MeetingCog, draft: MeetingDraft, draft_id: int, owner_id: int) -> None:
        # No timeout: the stored draft, not this object, decides how long the form is
        # answered (bot/services/meetings/drafts.py); after a restart it is registered again.
        super().__init__(timeout=None, custom_id=f"agora:meeting-draft:{draft_id}")
        self.cog = cog
        self.draft = draft
        self.draft_id = draft_id
        self.owner_id = owner_id  # who ran /meeting create: the only one who may answer
        # A draft that comes with its text (a poll's title) opens the form filled in.
        self.meeting_title.default = draft.title or None
        self.description.default = draft.description or None

    async def on_submit(self, interaction: discord.Interaction) -> None:
        # A submission naming someone else's form is refused before anything is touched.
        services_of(interaction).meeting_drafts.check_answerer(self.owner_id, interaction.user.id)
        await interaction.response.defer(ephemeral=True, thinking=True)
        draft = replace(
            self.draft, title=self.meeting_title.value, description=self.description.value or ""
        )
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        try:
            change = await services.meetings.create(guild_id, meeting_actor(interaction), draft)
        finally:
            # A form is answered once.
            await services.meeting_drafts.discard(self.draft_id, interaction.user.id)
        text = await self.cog.publish_new(interaction, change)
        await interaction.followup.send(text, ephemeral=True)


def _one_date_of_a_series(**described: str) -> Callable[[CommandT], CommandT]:
    """What /meeting occurrence move and cancel share, declared once: the repeating meeting
    (autocompleted) and the date of it, described, and their checks. ``described`` are the
    command's other options' descriptions."""

    def decorate(command: CommandT) -> CommandT:
        command = limited("meeting")(command)
        command = app_commands.guild_only()(command)
        command = app_commands.autocomplete(meeting=meeting_autocomplete)(command)
        return app_commands.describe(
            meeting="The repeating meeting",
            date="The date it falls on (2017-07-04, 4 July, next tuesday) or its usual start",
            **described,
        )(command)

    return decorate


class MeetingCog(
    commands.GroupCog,
    name="Meetings",
    group_name="meeting",
    group_description="Meetings: programme, announcements, answers and reminders",
):
    session = app_commands.Group(name="session", description="A meeting's programme")
    occurrence = app_commands.Group(
        name="occurrence", description="Move or cancel one date of a repeating meeting"
    )

    def __init__(self, bot: AgoraClient) -> None:
        self.bot = bot
        self.publisher = MeetingPublisher(bot)
        self.reminder_dispatcher = bot.services.reminder_dispatcher
        self._startup: asyncio.Task[None] | None = None
        bot.pages.register("meetings", self.render_list_page)
        super().__init__()

    # -- lifecycle ---------------------------------------------------------------

    async def cog_load(self) -> None:
        PUBLISHER.provide(self.bot, self.publisher)
        MEETING_FORM.provide(self.bot, self)
        self.bot.add_dynamic_items(RsvpButton, CancelButton)
        # Forms of /meeting create opened before a restart are answered as if nothing happened.
        for pending in await self.bot.services.meeting_drafts.pending():
            self.bot.add_view(CreateMeetingModal(self, pending.draft, pending.id, pending.user_id))
        await self.reminder_dispatcher.start(self.publisher.send_reminder)
        self.bot.scheduler.add_job(
            self.sweep_events,
            "interval",
            minutes=EVENT_SWEEP_MINUTES,
            id=EVENT_SWEEP_JOB_ID,
            replace_existing=True,
            coalesce=True,
        )
        self._startup = asyncio.create_task(self._after_ready())

    async def cog_unload(self) -> None:
        await self.publisher.flush_refreshes()
        if self._startup is not None:
            self._startup.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._startup
        if self.bot.scheduler.get_job(EVENT_SWEEP_JOB_ID) is not None:
            self.bot.scheduler.remove_job(EVENT_SWEEP_JOB_ID)
        await self.reminder_dispatcher.stop()
        self.bot.remove_dynamic_items(RsvpButton, CancelButton)
        MEETING_FORM.withdraw(self.bot)
        PUBLISHER.withdraw(self.bot)

    async def _after_ready(self) -> None:
        """Once connected: create missing events, count interest marked while away."""
        await self.bot.wait_until_ready()
        await self.sweep_events()
        for guild in self.bot.guilds:
            try:
                await self.publisher.catch_up_interest(guild)
            except Exception:
                log.exception("could not catch up on event interest in guild %s", guild.id)

    @commands.Cog.listener(f"on_{ANSWERS_WITHDRAWN}")
    async def show_withdrawn_answers(self, result: ForgetResult) -> None:
        """A member forgotten (/privacy forget): announcements show the new counts, and
        whoever moved up from a waitlist gets the usual DM."""
        for answer in result.withdrawn_answers:
            try:
                if answer.changed:
                    await self.publisher.refresh_announcements(result.guild_id, answer.meeting.id)
                await self.publisher.dm_promoted(answer.meeting, answer.promoted_user_ids)
            except discord.HTTPException:
                log.warning("could not update the announcements of meeting %s", answer.meeting.id)

    async def sweep_events(self) -> None:
        """Create missing native events: new meetings and each series' next occurrence."""
        for guild in self.bot.guilds:
            try:
                await self.publisher.create_needed_events(guild)
            except Exception:
                log.exception("event sweep failed for guild %s", guild.id)

    # -- shared steps ------------------------------------------------------------

    async def publish_new(self, interaction: discord.Interaction, change: MeetingChange) -> str:
        guild = interaction.guild
        assert guild is not None
        meeting = change.view.meeting
        posted = await self.publisher.announce(guild, change.view)
        event = await self.publisher.create_needed_events(guild, meeting.id)
        where = ", ".join(channel.mention for channel in posted) or "nowhere"
        if change.view.has_ended:
            # Recorded after it happened: nothing asks people to come or reminds them.
            parts = [
                f"Recorded **{meeting.title}** (#{meeting.id}) as a past meeting. Announced in "
                f"{where} as a record, with no answer buttons and no reminders. "
                "No Discord event (Discord takes none in the past)."
            ]
            return " ".join(parts) + _notes(change.notes)
        parts = [f"Created **{meeting.title}** (#{meeting.id}). Announced in {where}."]
        if not posted:
            parts.append(
                "No announcement channel found: create #"
                f"{self.bot.config.channels.announcement_channel} or set one up."
            )
        parts.append("Discord event created." if event else "No Discord event (it has started).")
        scheduled = await self.bot.services.reminders.scheduled(guild.id, meeting.id)
        parts.append(scheduled_text(scheduled))
        return " ".join(parts) + _notes(change.notes)

    async def after_change(self, interaction: discord.Interaction, change: MeetingChange) -> None:
        guild = interaction.guild
        assert guild is not None
        meeting = change.view.meeting
        await self.publisher.refresh_announcements(guild.id, meeting.id)
        await self.publisher.update_events(guild, change.view)
        await self.publisher.dm_promoted(meeting, change.promoted_user_ids)

    async def _meeting_id(self, interaction: discord.Interaction, text: str) -> int:
        """The meeting for a command that changes it: a typo is suggested, not used."""
        return await services_of(interaction).meetings.find(guild_id_of(interaction), text)

    async def _meeting_to_read(self, interaction: discord.Interaction, text: str) -> Found[int]:
        """The meeting for a command that only reads: a typo close to one title is used."""
        return await services_of(interaction).meetings.find_named(
            guild_id_of(interaction), text, "close"
        )

    # -- create, edit, cancel ------------------------------------------------------

    @app_commands.command(
        name="create", description="Plan a meeting (organisers); title and description come next"
    )
    @app_commands.describe(
        start="When it starts, e.g. 2017-06-20 09:00, 20/06/2017 9:00, tomorrow 14:00, in 2 hours",
        end="When it ends: a time (17:00), a full date and time, or a length (3h, 90m)",
        zone="Time zone of those times (IANA, e.g. Europe/Brussels); default: the server's",
        venue="Venue name, e.g. Hotel Metropole",
        address="Venue address, e.g. Rue Neuve 31, Brussels",
        link="Online meeting link (https://…)",
        channel="Voice or stage channel the meeting happens in",
        clusters="For these Action Clusters (separate with ;); empty: the whole community",
        initiatives="For these initiatives (separate with ;); empty: the whole community",
        cap="Most people who can come; later Going answers join a waitlist",
        reminders="When to remind, e.g. 1d, 1h, 0s (0s: at the start); default: the server's",
        repeat="Repeat the meeting",
        repeat_until="Last date of the series, e.g. 2017-12-31",
        confirm_past="Yes, the start is in the past on purpose (to record a past meeting)",
    )
    @app_commands.autocomplete(start=time_autocomplete)
    @where_and_who_autocomplete
    @app_commands.choices(repeat=REPEAT_CHOICES)
    @app_commands.guild_only()
    @limited("meeting")
    async def create(
        self,
        interaction: discord.Interaction,
        start: TimeText,
        end: TimeText,
        zone: ZoneName | None = None,
        venue: VenueName | None = None,
        address: VenueAddress | None = None,
        link: MeetingLink | None = None,
        channel: MeetingChannel | None = None,
        clusters: NameList | None = None,
        initiatives: NameList | None = None,
        cap: app_commands.Range[int, 1, 100_000] | None = None,
        reminders: OffsetsText | None = None,
        repeat: app_commands.Choice[str] | None = None,
        repeat_until: app_commands.Range[str, 1, 20] | None = None,
        confirm_past: bool = False,
    ) -> None:
        guild_id = guild_id_of(interaction)
        draft = MeetingDraft(
            title="",
            start=start,
            end=end,
            timezone=zone,
            location=location_from(venue, address, link, channel) or Location(),
            scope=await scope_from(interaction, guild_id, clusters, initiatives),
            attendee_cap=cap,
            reminder_offsets=offsets_from(reminders),
            repeat=repeat_from(repeat.value if repeat else None, repeat_until),
            confirm_past=confirm_past,
        )
        await self.open_form(interaction, draft)

    async def open_form(self, interaction: discord.Interaction, draft: MeetingDraft) -> None:
        """Check the draft, keep it (a restart keeps the form working), open the form."""
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        # Refuse bad times now, before the organiser types the long text.
        await services.meetings.check_draft(guild_id, meeting_actor(interaction), draft)
        draft_id = await services.meeting_drafts.keep(guild_id, interaction.user.id, draft)
        await interaction.response.send_modal(
            CreateMeetingModal(self, draft, draft_id, interaction.user.id)
        )

    @app_commands.command(name="edit", description="Change a meeting (organisers)")
    @app_commands.describe(
        meeting="The meeting (start typing its title)",
        title="New title",
        description="New description",
        start="New start (the programme moves with it)",
        end="New end: a time, a full date and time, or a length",
        zone="New time zone",
        venue="Move to this venue",
        address="The venue's address",
        link="Move online, to this link",
        channel="Move to this voice or stage channel",
        clusters="New scope: these Action Clusters (separate with ;)",
        initiatives="New scope: these initiatives (separate with ;)",
        cap="New attendee cap (0 removes the cap)",
        reminders="New reminder offsets, e.g. 1d, 1h, 0s; 'default' for the server's",
        confirm_past="Yes, the new start is in the past on purpose",
    )
    @app_commands.autocomplete(meeting=meeting_autocomplete)
    @where_and_who_autocomplete
    @app_commands.guild_only()
    @limited("meeting")
    async def edit(
        self,
        interaction: discord.Interaction,
        meeting: MeetingName,
        title: app_commands.Range[str, 1, 200] | None = None,
        description: app_commands.Range[str, 1, 1000] | None = None,
        start: TimeText | None = None,
        end: TimeText | None = None,
        zone: ZoneName | None = None,
        venue: VenueName | None = None,
        address: VenueAddress | None = None,
        link: MeetingLink | None = None,
        channel: MeetingChannel | None = None,
        clusters: NameList | None = None,
        initiatives: NameList | None = None,
        cap: app_commands.Range[int, 0, 100_000] | None = None,
        reminders: OffsetsText | None = None,
        confirm_past: bool = False,
    ) -> None:
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        meeting_id = await self._meeting_id(interaction, meeting)
        scope = None
        if clusters is not None or initiatives is not None:
            scope = await scope_from(interaction, guild_id, clusters, initiatives)
        offsets: list[str] | None = None
        if reminders is not None:
            offsets = [] if reminders.strip().lower() == "default" else offsets_from(reminders)
        edit = MeetingEdit(
            title=title,
            description=description,
            start=start,
            end=end,
            timezone=zone,
            location=location_from(venue, address, link, channel),
            scope=scope,
            attendee_cap=cap,
            reminder_offsets=offsets,
            confirm_past=confirm_past,
        )
        if edit == MeetingEdit(confirm_past=confirm_past):
            raise InvalidInput("Nothing to change: give at least one of the options to edit.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        change = await services.meetings.edit(
            guild_id, meeting_id, meeting_actor(interaction), edit
        )
        await self.after_change(interaction, change)
        # What is stored now, not how many rows moved (several per date of a series).
        scheduled = await services.reminders.scheduled(guild_id, meeting_id)
        text = (
            f"Updated **{change.view.meeting.title}**: announcements and the Discord event "
            f"follow. {scheduled_text(scheduled)}"
        )
        effects = edit_effects_text(
            change.sessions_shifted, change.shift_seconds, len(change.promoted_user_ids)
        )
        if effects:
            text += " " + effects
        await interaction.followup.send(text + _notes(change.notes), ephemeral=True)

    @app_commands.command(name="cancel", description="Cancel a meeting (organisers; asks first)")
    @app_commands.describe(meeting="The meeting to cancel")
    @app_commands.autocomplete(meeting=meeting_autocomplete)
    @app_commands.guild_only()
    @limited("meeting")
    async def cancel(
        self, interaction: discord.Interaction, meeting: app_commands.Range[str, 1, 100]
    ) -> None:
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        meeting_id = await self._meeting_id(interaction, meeting)
        found = (await services.meetings.view(guild_id, meeting_id)).meeting
        actor = meeting_actor(interaction)
        if not actor.is_organiser and actor.user_id != found.organiser_id:
            raise InvalidInput(
                f"Only the meeting's organiser or server organisers can cancel “{found.title}”."
            )
        if found.is_cancelled:
            raise InvalidInput(f"“{found.title}” is already cancelled.")
        await interaction.response.send_message(
            f"Cancel **{found.title}** ({discord.utils.format_dt(found.starts_at, 'F')})? "
            "Everyone gets a cancellation notice and its reminders stop.",
            view=cancel_question(meeting_id, interaction.user.id),
            ephemeral=True,
        )

    # -- looking up -----------------------------------------------------------------

    @app_commands.command(name="info", description="A meeting: when, where, programme, answers")
    @app_commands.describe(meeting="The meeting (start typing its title)")
    @app_commands.autocomplete(meeting=meeting_autocomplete)
    @app_commands.guild_only()
    async def info(
        self, interaction: discord.Interaction, meeting: app_commands.Range[str, 1, 100]
    ) -> None:
        guild_id = guild_id_of(interaction)
        found = await self._meeting_to_read(interaction, meeting)
        view = await services_of(interaction).meetings.view(guild_id, found.key)
        embed = meeting_embed(
            view,
            await self.publisher.names(guild_id),
            detailed=True,
            buttons=False,
            pitches=await self.publisher.pitches(guild_id, view),
        )
        await interaction.response.send_message(found.note() or None, embed=embed)

    @app_commands.command(name="list", description="Upcoming or past meetings")
    @app_commands.describe(
        when="Upcoming (default) or past",
        cluster="Only meetings for this Action Cluster",
        initiative="Only meetings for this initiative",
    )
    @app_commands.choices(when=WHEN_CHOICES)
    @app_commands.autocomplete(cluster=clusters_autocomplete, initiative=initiatives_autocomplete)
    @app_commands.guild_only()
    async def list_meetings(
        self,
        interaction: discord.Interaction,
        when: app_commands.Choice[str] | None = None,
        cluster: app_commands.Range[str, 1, 100] | None = None,
        initiative: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        directory = services_of(interaction).directory
        # A read: a typo close to one name is used; the list's title names it.
        cluster_id = (await directory.find_cluster(guild_id, cluster)).key.id if cluster else 0
        initiative_id = (
            (await directory.find_initiative(guild_id, initiative)).key.id if initiative else 0
        )
        argument = f"{when.value if when else 'upcoming'}.{cluster_id}.{initiative_id}"
        page = await self.render_list_page(interaction, argument, 0)
        await send_page(interaction, "meetings", argument, page)

    async def render_list_page(
        self, interaction: discord.Interaction, argument: str, page: int
    ) -> Page:
        when, cluster_text, initiative_text = [*argument.split("."), "0", "0"][:3]
        guild_id = guild_id_of(interaction)
        cluster_id = int(cluster_text or 0) or None
        initiative_id = int(initiative_text or 0) or None
        service = services_of(interaction).meetings
        # Only the page shown is read: a big community has thousands of meetings.
        total = await service.count_meetings(guild_id, when, cluster_id, initiative_id)
        pages = page_count(total, LIST_PAGE_SIZE)
        page = max(0, min(page, pages - 1))
        window = await service.list_meetings(
            guild_id,
            when,
            cluster_id,
            initiative_id,
            limit=LIST_PAGE_SIZE,
            offset=page * LIST_PAGE_SIZE,
        )
        title = "Upcoming meetings" if when == "upcoming" else "Past meetings"
        if cluster_id or initiative_id:
            names = await self.publisher.names(guild_id)
            if cluster_id:
                title += f" · {names.cluster(cluster_id)}"
            if initiative_id:
                title += f" · {names.initiative(initiative_id)}"
        empty = (
            "Nothing planned yet. Organisers can plan one with /meeting create."
            if when == "upcoming"
            else "No past meetings."
        )
        embed = discord.Embed(
            title=title,
            description=fit_lines([list_line(m) for m in window], 4000) or empty,
            colour=AGORA_COLOUR,
        )
        embed.set_footer(text=f"Page {page + 1} of {pages} · {total} in all")
        return Page(embed, page, pages)

    @app_commands.command(name="attendees", description="Who answered Going, Maybe, Can't go")
    @app_commands.describe(meeting="The meeting")
    @app_commands.autocomplete(meeting=meeting_autocomplete)
    @app_commands.guild_only()
    async def attendees(
        self, interaction: discord.Interaction, meeting: app_commands.Range[str, 1, 100]
    ) -> None:
        found = await self._meeting_to_read(interaction, meeting)
        attendees = await services_of(interaction).rsvp.attendees(
            guild_id_of(interaction), found.key
        )
        await interaction.response.send_message(
            found.note() or None, embed=attendees_embed(attendees), ephemeral=True
        )

    @app_commands.command(name="ics", description="The meeting as a calendar file (.ics)")
    @app_commands.describe(meeting="The meeting")
    @app_commands.autocomplete(meeting=meeting_autocomplete)
    @app_commands.guild_only()
    async def ics(
        self, interaction: discord.Interaction, meeting: app_commands.Range[str, 1, 100]
    ) -> None:
        found = await self._meeting_to_read(interaction, meeting)
        meeting_id = found.key
        services = services_of(interaction)
        guild_id = guild_id_of(interaction)
        data = await services.meetings.meeting_ics(guild_id, meeting_id)
        await interaction.response.send_message(
            f"{found.note()} Open the file to add the meeting to your calendar.".lstrip()
            + services.web.subscription_text(guild_id),
            file=discord.File(io.BytesIO(data), filename=f"meeting-{meeting_id}.ics"),
            ephemeral=True,
        )

    # -- programme ------------------------------------------------------------------

    @session.command(name="add", description="Add a session to a meeting's programme (organisers)")
    @app_commands.describe(
        meeting="The meeting",
        title="Session title, e.g. Opening plenary",
        start="Start: a time on the meeting's day (10:30) or a full date and time",
        end="End: a time (11:30) or a length (45m)",
        kind="What kind of session",
        cluster="For this Action Cluster (its members are reminded)",
        initiative="For this initiative (its members are reminded)",
        room="Room, e.g. Salon Royal",
    )
    @app_commands.autocomplete(
        meeting=meeting_autocomplete,
        cluster=clusters_autocomplete,
        initiative=initiatives_autocomplete,
    )
    @app_commands.choices(kind=KIND_CHOICES)
    @app_commands.guild_only()
    @limited("meeting")
    async def session_add(
        self,
        interaction: discord.Interaction,
        meeting: app_commands.Range[str, 1, 100],
        title: app_commands.Range[str, 1, 200],
        start: app_commands.Range[str, 1, 100],
        end: app_commands.Range[str, 1, 100],
        kind: app_commands.Choice[str] | None = None,
        cluster: app_commands.Range[str, 1, 100] | None = None,
        initiative: app_commands.Range[str, 1, 100] | None = None,
        room: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        meeting_id = await self._meeting_id(interaction, meeting)
        directory = services.directory
        cluster_id = (
            (await directory.find_cluster(guild_id, cluster, "partial")).key.id if cluster else None
        )
        initiative_id = (
            (await directory.find_initiative(guild_id, initiative, "partial")).key.id
            if initiative
            else None
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        change = await services.programme.add_session(
            guild_id,
            meeting_id,
            interaction.user.id,
            is_organiser(interaction),
            SessionDraft(
                title=title,
                start=start,
                end=end,
                kind=kind.value if kind else "other",
                cluster_id=cluster_id,
                initiative_id=initiative_id,
                room=room or "",
            ),
        )
        await self.publisher.refresh_announcements(guild_id, meeting_id)
        names = await self.publisher.names(guild_id)
        await interaction.followup.send(
            f"Added to **{change.meeting.title}**: {session_line(change.session, names, True)}"
            + _notes(change.notes),
            ephemeral=True,
        )

    @session.command(name="remove", description="Remove a session from the programme (organisers)")
    @app_commands.describe(meeting="The meeting", session="The session to remove")
    @app_commands.autocomplete(meeting=meeting_autocomplete, session=session_autocomplete)
    @app_commands.guild_only()
    @limited("meeting")
    async def session_remove(
        self,
        interaction: discord.Interaction,
        meeting: app_commands.Range[str, 1, 100],
        session: app_commands.Range[str, 1, 100],
    ) -> None:
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        meeting_id = await self._meeting_id(interaction, meeting)
        number = plain_id(session.strip().lstrip("#").split(" ", 1)[0])
        if number is None:
            raise InvalidInput("Pick the session from the list as you type (e.g. #12).")
        await interaction.response.defer(ephemeral=True, thinking=True)
        change = await services.programme.remove_session(
            guild_id, meeting_id, interaction.user.id, is_organiser(interaction), number
        )
        await self.publisher.refresh_announcements(guild_id, meeting_id)
        await interaction.followup.send(
            f"Removed “{change.session.title}” from **{change.meeting.title}**.", ephemeral=True
        )

    # -- one occurrence of a series -------------------------------------------------

    @occurrence.command(name="move", description="Move one date of a repeating meeting")
    @_one_date_of_a_series(new_start="The new start, e.g. 2017-07-05 09:00")
    async def occurrence_move(
        self,
        interaction: discord.Interaction,
        meeting: app_commands.Range[str, 1, 100],
        date: app_commands.Range[str, 1, 100],
        new_start: app_commands.Range[str, 1, 100],
    ) -> None:
        meeting_id = await self._meeting_id(interaction, meeting)
        await interaction.response.defer(ephemeral=True, thinking=True)
        change = await services_of(interaction).meetings.move_occurrence(
            guild_id_of(interaction), meeting_id, meeting_actor(interaction), date, new_start
        )
        await self.after_change(interaction, change)
        moved = change.occurrence
        assert moved is not None
        found = change.view.meeting
        await interaction.followup.send(
            occurrence_move_text(found.title, found.timezone, moved.old_start, moved.new_start)
            + _notes(change.notes),
            ephemeral=True,
        )

    @occurrence.command(name="cancel", description="Cancel one date of a repeating meeting")
    @_one_date_of_a_series()
    async def occurrence_cancel(
        self,
        interaction: discord.Interaction,
        meeting: app_commands.Range[str, 1, 100],
        date: app_commands.Range[str, 1, 100],
    ) -> None:
        meeting_id = await self._meeting_id(interaction, meeting)
        await interaction.response.defer(ephemeral=True, thinking=True)
        cancellation = await services_of(interaction).meetings.cancel_occurrence(
            guild_id_of(interaction), meeting_id, meeting_actor(interaction), date
        )
        if interaction.guild is not None:
            await self.publisher.cancel_events(interaction.guild, cancellation.event_ids)
            await self.publisher.create_needed_events(interaction.guild, meeting_id)
        await self.publisher.refresh_announcements(guild_id_of(interaction), meeting_id)
        await interaction.followup.send(
            f"Cancelled that date of **{cancellation.view.meeting.title}**; the others go on.",
            ephemeral=True,
        )

    # -- "Interested" on the native event counts as Going ---------------------------

    @commands.Cog.listener()
    async def on_scheduled_event_user_add(
        self, event: discord.ScheduledEvent, user: discord.User
    ) -> None:
        await self._event_interest(event, user, added=True)

    @commands.Cog.listener()
    async def on_scheduled_event_user_remove(
        self, event: discord.ScheduledEvent, user: discord.User
    ) -> None:
        await self._event_interest(event, user, added=False)

    async def _event_interest(
        self, event: discord.ScheduledEvent, user: discord.User, *, added: bool
    ) -> None:
        rsvp = self.bot.services.rsvp
        try:
            if added:
                result = await rsvp.event_interest_added(event.guild_id, event.id, user.id)
            else:
                result = await rsvp.event_interest_removed(event.guild_id, event.id, user.id)
            if result is None:
                return
            if result.changed:
                self.publisher.request_refresh(event.guild_id, result.meeting.id)
            await self.publisher.dm_promoted(result.meeting, result.promoted_user_ids)
        except Exception:
            log.exception("could not record interest of %s in event %s", user.id, event.id)
