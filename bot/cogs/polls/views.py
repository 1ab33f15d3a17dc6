"""Buttons of polls that keep working after a restart (state in the custom_id).

- ``agora:poll:<poll_id>:<time>:<yes|maybe|no>``: an answer, one button per time and
  answer on the poll's messages;
- ``agora:pollmeet:<poll_id>:<time>``: **Create meeting** on a closed poll's result, for
  organisers: ``/meeting create``'s form, filled in with that time, the poll's title and
  scope.
"""

from __future__ import annotations

import re
from typing import Protocol, Self, cast

import discord

from bot.cogs.meetings.render import DirectoryNames
from bot.cogs.meetings.views import MEETING_FORM
from bot.cogs.polls.render import (
    ANSWERS,
    SLOTS_PER_MESSAGE,
    answer_text,
    poll_embed,
    positions_of,
)
from bot.cogs.shared.buttons import AgoraButton, Provided
from bot.cogs.shared.context import guild_id_of, is_organiser, services_of
from bot.cogs.shared.cooldowns import check_rate
from bot.cogs.shared.error_handler import errors_answered
from bot.errors import PermissionDenied
from bot.services.polls.models import Poll, PollAnswer
from bot.services.polls.service import PollView


class PollPublisherView(Protocol):
    """What the buttons need from the polls' publisher (bot/cogs/polls/publish.py)."""

    async def names(self, guild_id: int) -> DirectoryNames: ...

    def request_refresh(self, guild_id: int, poll_id: int) -> None: ...


# Each bot's poll publisher, provided by the polls cog while it is loaded.
POLL_PUBLISHER: Provided[PollPublisherView] = Provided("the polls' publisher")


def answer_buttons(poll: Poll, part: int) -> discord.ui.View | None:
    """One row per time of this message: Yes, If need be, No; none once closed."""
    if not poll.is_open:
        return None
    view = discord.ui.View(timeout=None)
    for position in positions_of(poll, part):
        for answer in ANSWERS:
            view.add_item(PollAnswerButton(poll.id, position, answer))
    return view


def meeting_buttons(view: PollView) -> discord.ui.View | None:
    """Create meeting, for the best time (one button per time when they tie)."""
    best = view.best
    if not best:
        return None
    buttons = discord.ui.View(timeout=None)
    for position in best:
        label = "Create meeting" if len(best) == 1 else f"Create meeting: time {position}"
        buttons.add_item(CreateMeetingButton(view.poll.id, position, label))
    return buttons


class PollAnswerButton(
    AgoraButton,
    template=r"agora:poll:(?P<poll>\d+):(?P<position>\d{1,2}):(?P<answer>yes|maybe|no)",
):
    """One answer to one time."""

    def __init__(self, poll_id: int, position: int, answer: str) -> None:
        label, emoji, style = ANSWERS[cast(PollAnswer, answer)]
        super().__init__(
            f"agora:poll:{poll_id}:{position}:{answer}", f"{position} · {label}", style, emoji=emoji
        )
        self.poll_id = poll_id
        self.position = position
        self.answer = answer

    @classmethod
    def from_match(cls, match: re.Match[str], label: str) -> Self:
        return cls(int(match["poll"]), int(match["position"]), match["answer"])

    @errors_answered
    async def callback(self, interaction: discord.Interaction) -> None:
        check_rate(interaction, "rsvp")
        guild_id = guild_id_of(interaction)
        services = services_of(interaction)
        publisher = POLL_PUBLISHER.of(interaction)
        result = await services.polls.answer(
            guild_id, self.poll_id, self.position, interaction.user.id, self.answer
        )
        # The clicked message follows at once; every message of the poll (this one too:
        # another answer may have come in between) by edits coalesced per poll.
        view = await services.polls.view(guild_id, self.poll_id)
        part = (self.position - 1) // SLOTS_PER_MESSAGE
        await interaction.response.edit_message(
            embed=poll_embed(view, await publisher.names(guild_id), part),
            view=answer_buttons(view.poll, part),
        )
        await interaction.followup.send(
            answer_text(
                result.poll.title, result.poll, self.position, result.answer, result.changed
            ),
            ephemeral=True,
        )
        if result.changed:
            publisher.request_refresh(guild_id, self.poll_id)


class CreateMeetingButton(
    AgoraButton,
    template=r"agora:pollmeet:(?P<poll>\d+):(?P<position>\d{1,2})",
):
    """Turn a closed poll's best time into a meeting (organisers)."""

    def __init__(self, poll_id: int, position: int, label: str = "Create meeting") -> None:
        super().__init__(
            f"agora:pollmeet:{poll_id}:{position}", label, discord.ButtonStyle.primary, emoji="📅"
        )
        self.poll_id = poll_id
        self.position = position

    @classmethod
    def from_match(cls, match: re.Match[str], label: str) -> Self:
        return cls(int(match["poll"]), int(match["position"]), label or "Create meeting")

    @errors_answered
    async def callback(self, interaction: discord.Interaction) -> None:
        if not is_organiser(interaction):
            raise PermissionDenied(
                "Only organisers (Manage Events, Manage Server or the organiser role) can"
                " create meetings. Ask an organiser to press Create meeting."
            )
        check_rate(interaction, "meeting")
        draft = await services_of(interaction).polls.meeting_draft(
            guild_id_of(interaction), self.poll_id, self.position
        )
        await MEETING_FORM.of(interaction).open_form(interaction, draft)
