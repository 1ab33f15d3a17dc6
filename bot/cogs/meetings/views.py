"""Buttons for meetings that keep working after a restart (state in the custom_id).

- ``agora:rsvp:<meeting_id>:<going|maybe|declined>`` on every announcement;
- ``agora:mcancel:<meeting_id>:<yes|no>:by:<asker>`` on the ephemeral "really cancel?"
  question, answered only by the organiser who asked (bot/cogs/shared/confirmations.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol, Self

import discord

from bot.cogs.meetings.render import DirectoryNames, meeting_embed
from bot.cogs.shared.buttons import AgoraButton, Provided
from bot.cogs.shared.confirmations import ASKER_TEMPLATE, asker_of, asker_only, asker_suffix
from bot.cogs.shared.context import guild_id_of, is_organiser, services_of
from bot.cogs.shared.cooldowns import check_rate
from bot.cogs.shared.error_handler import errors_answered
from bot.services.meetings.models import Answer, Meeting
from bot.services.meetings.service import Actor, MeetingDraft

ANSWERS: dict[str, tuple[str, str, discord.ButtonStyle]] = {
    "going": ("Going", "✅", discord.ButtonStyle.success),
    "maybe": ("Maybe", "🤔", discord.ButtonStyle.secondary),
    "declined": ("Can't go", "❌", discord.ButtonStyle.danger),
}
CONFIRMATIONS: dict[Answer | None, str] = {
    "going": "You're **going** to **{title}**. See you there!",
    "maybe": "You **might** come to **{title}**.",
    "declined": "You **can't go** to **{title}**. Thanks for letting the organisers know.",
    "waitlist": "**{title}** is full: you are number {position} on the **waitlist**. "
    "You'll get a DM if a place opens up.",
    None: "Your answer to **{title}** was removed.",
}


class Publisher(Protocol):
    """What the buttons need from the meetings' publisher (bot/cogs/meetings/publish.py)."""

    async def names(self, guild_id: int) -> DirectoryNames: ...

    def request_refresh(self, guild_id: int, meeting_id: int) -> None: ...

    async def refresh_announcements(self, guild_id: int, meeting_id: int) -> int: ...

    async def dm_promoted(self, meeting: Meeting, user_ids: Sequence[int]) -> None: ...

    async def cancel_events(self, guild: discord.Guild, event_ids: Sequence[int]) -> int: ...


# Each bot's publisher, provided by the meetings cog while it is loaded.
PUBLISHER: Provided[Publisher] = Provided("the meetings' publisher")


class MeetingForm(Protocol):
    """``/meeting create``'s form (bot/cogs/meetings/commands.py)."""

    async def open_form(self, interaction: discord.Interaction, draft: MeetingDraft) -> None:
        """Check the draft, keep it, and open the form with its title and description
        filled in (an answer to ``interaction``)."""


# Each bot's /meeting create form, provided by the meetings cog while it is loaded (a
# poll's Create meeting opens it with the poll's time, scope and title).
MEETING_FORM: Provided[MeetingForm] = Provided("the /meeting create form")


def meeting_actor(interaction: discord.Interaction) -> Actor:
    return Actor(user_id=interaction.user.id, is_organiser=is_organiser(interaction))


def rsvp_view(meeting_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for answer in ANSWERS:
        view.add_item(RsvpButton(meeting_id, answer))
    return view


class RsvpButton(
    AgoraButton,
    template=r"agora:rsvp:(?P<meeting>\d+):(?P<answer>going|maybe|declined)",
):
    """An answer on an announcement."""

    def __init__(self, meeting_id: int, answer: str) -> None:
        label, emoji, style = ANSWERS[answer]
        super().__init__(f"agora:rsvp:{meeting_id}:{answer}", label, style, emoji=emoji)
        self.meeting_id = meeting_id
        self.answer = answer

    @classmethod
    def from_match(cls, match: re.Match[str], label: str) -> Self:
        return cls(int(match["meeting"]), match["answer"])

    @errors_answered
    async def callback(self, interaction: discord.Interaction) -> None:
        check_rate(interaction, "rsvp")
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        publisher = PUBLISHER.of(interaction)
        result = await services.rsvp.respond(
            guild_id, self.meeting_id, interaction.user.id, self.answer
        )
        template = CONFIRMATIONS[result.answer]
        text = template.format(title=result.meeting.title, position=result.waitlist_position)
        if not result.changed:
            text = "No change: " + text[0].lower() + text[1:]
        # This announcement is updated by the click itself, every announcement (this one
        # too: another click may have come in between) by edits coalesced per meeting.
        view = await services.meetings.view(guild_id, self.meeting_id)
        names = await publisher.names(guild_id)
        await interaction.response.edit_message(
            embed=meeting_embed(view, names), view=rsvp_view(self.meeting_id)
        )
        await interaction.followup.send(text, ephemeral=True)
        if result.changed:
            publisher.request_refresh(guild_id, self.meeting_id)
        await publisher.dm_promoted(result.meeting, result.promoted_user_ids)


def cancel_question(meeting_id: int, asker_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(CancelButton(meeting_id, "yes", asker_id))
    view.add_item(CancelButton(meeting_id, "no", asker_id))
    return view


class CancelButton(
    AgoraButton,
    template=r"agora:mcancel:(?P<meeting>\d+):(?P<choice>yes|no)" + ASKER_TEMPLATE,
):
    """The "really cancel?" question, answered by the organiser who asked."""

    def __init__(self, meeting_id: int, choice: str, asker_id: int | None) -> None:
        yes = choice == "yes"
        suffix = asker_suffix(asker_id) if asker_id is not None else ""
        super().__init__(
            f"agora:mcancel:{meeting_id}:{choice}{suffix}",
            "Yes, cancel the meeting" if yes else "No, keep it",
            discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary,
        )
        self.meeting_id = meeting_id
        self.choice = choice
        self.asker_id = asker_id

    @classmethod
    def from_match(cls, match: re.Match[str], label: str) -> Self:
        return cls(int(match["meeting"]), match["choice"], asker_of(match))

    @asker_only
    async def callback(self, interaction: discord.Interaction) -> None:
        if self.choice == "yes":
            check_rate(interaction, "meeting")
        if self.choice == "no":
            await interaction.response.edit_message(
                content="Nothing changed: the meeting goes ahead.", view=None
            )
            return
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        publisher = PUBLISHER.of(interaction)
        cancellation = await services.meetings.cancel(
            guild_id, self.meeting_id, meeting_actor(interaction)
        )
        meeting = cancellation.view.meeting
        notice = (
            "A cancellation notice goes out to the announcement channels now."
            if cancellation.reminders.notice is not None
            else "It had already started, so no notice is sent."
        )
        await interaction.response.edit_message(
            content=f"**{meeting.title}** is cancelled; its reminders are stopped. {notice}",
            view=None,
        )
        await publisher.refresh_announcements(guild_id, self.meeting_id)
        if interaction.guild is not None:
            await publisher.cancel_events(interaction.guild, cancellation.event_ids)
