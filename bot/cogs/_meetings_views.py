"""Buttons for meetings that keep working after a restart (state in the custom_id).

- ``agora:rsvp:<meeting_id>:<going|maybe|declined>`` on every announcement;
- ``agora:mcancel:<meeting_id>:<yes|no>:by:<asker>`` on the ephemeral "really cancel?"
  question, answered only by the organiser who asked (bot/cogs/_confirmations.py).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

from bot.cogs._confirmations import ASKER_TEMPLATE, asker_of, asker_only, asker_suffix
from bot.cogs._context import agora_of, guild_id_of, is_organiser, services_of
from bot.cogs._cooldowns import check_rate
from bot.cogs._meetings_render import meeting_embed
from bot.error_handler import errors_answered
from bot.services.meetings.service import Actor
from bot.storage.meetings.models import Answer

if TYPE_CHECKING:
    from bot.cogs._meetings_publish import MeetingPublisher

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


def publisher_of(interaction: discord.Interaction) -> MeetingPublisher:
    """The meetings cog's publisher (looked up by name: extensions are re-imported)."""
    from bot.cogs._meetings_publish import MeetingPublisher

    publisher = getattr(agora_of(interaction).get_cog("Meetings"), "publisher", None)
    if not isinstance(publisher, MeetingPublisher):
        raise RuntimeError("the meetings cog is not loaded")
    return publisher


def meeting_actor(interaction: discord.Interaction) -> Actor:
    return Actor(user_id=interaction.user.id, is_organiser=is_organiser(interaction))


def rsvp_view(meeting_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for answer in ANSWERS:
        view.add_item(RsvpButton(meeting_id, answer))
    return view


class RsvpButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"agora:rsvp:(?P<meeting>\d+):(?P<answer>going|maybe|declined)",
):
    def __init__(self, meeting_id: int, answer: str) -> None:
        label, emoji, style = ANSWERS[answer]
        super().__init__(
            discord.ui.Button(
                label=label,
                emoji=emoji,
                style=style,
                custom_id=f"agora:rsvp:{meeting_id}:{answer}",
            )
        )
        self.meeting_id = meeting_id
        self.answer = answer

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> RsvpButton:
        return cls(int(match["meeting"]), match["answer"])

    @errors_answered
    async def callback(self, interaction: discord.Interaction) -> None:
        check_rate(interaction, "rsvp")
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        publisher = publisher_of(interaction)
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
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"agora:mcancel:(?P<meeting>\d+):(?P<choice>yes|no)" + ASKER_TEMPLATE,
):
    def __init__(self, meeting_id: int, choice: str, asker_id: int | None) -> None:
        yes = choice == "yes"
        suffix = asker_suffix(asker_id) if asker_id is not None else ""
        super().__init__(
            discord.ui.Button(
                label="Yes, cancel the meeting" if yes else "No, keep it",
                style=discord.ButtonStyle.danger if yes else discord.ButtonStyle.secondary,
                custom_id=f"agora:mcancel:{meeting_id}:{choice}{suffix}",
            )
        )
        self.meeting_id = meeting_id
        self.choice = choice
        self.asker_id = asker_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> CancelButton:
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
        publisher = publisher_of(interaction)
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
