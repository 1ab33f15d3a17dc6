"""How challenges and workshop tables read in Discord.

Titles and descriptions are members' text: shown as typed, never as markdown, links or
mentions (``escape_markdown``). The tables posted to a workshop ping the roles of each
table's initiatives, and only those (``table_messages`` says which, per message).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.cogs.shared.embeds import AGORA_COLOUR
from bot.services.challenges.service import ListedChallenge, Proposal, ProposedTable, Workshop
from bot.services.common.links import escape_markdown
from bot.services.common.text import plural
from bot.services.common.text_fit import MESSAGE_LIMIT, clip, fit_lines
from bot.services.common.timeparse import discord_timestamp

DESCRIPTION_LIMIT = 4000


def initiative_name(item: ListedChallenge) -> str:
    if item.initiative is None:
        return "a removed initiative"
    return escape_markdown(item.initiative.name)


def challenge_title(item: ListedChallenge) -> str:
    return f"**#{item.challenge.id}** {escape_markdown(item.challenge.title)}"


def challenge_line(item: ListedChallenge) -> str:
    """Two lines: number, title, initiative, author, date; then the description's start."""
    challenge = item.challenge
    by = f" · by <@{challenge.added_by}>" if challenge.added_by is not None else ""
    when = discord.utils.format_dt(challenge.added_at, "d")
    about = clip(" ".join(challenge.description.split()), 160)
    return (
        f"{challenge_title(item)} · {initiative_name(item)}{by} · {when}\n"
        f"> {escape_markdown(about)}"
    )


def challenge_embed(item: ListedChallenge, heading: str) -> discord.Embed:
    embed = discord.Embed(
        title=clip(item.challenge.title, 256),
        description=clip(escape_markdown(item.challenge.description), DESCRIPTION_LIMIT),
        colour=AGORA_COLOUR,
    )
    embed.add_field(name="Initiative", value=initiative_name(item), inline=True)
    embed.set_footer(text=f"{heading} · Challenge #{item.challenge.id} · /challenge list")
    return embed


def terms_text(table: ProposedTable) -> str:
    if not table.shared_terms:
        return ""
    return "shared: " + ", ".join(f"*{escape_markdown(term)}*" for term in table.shared_terms)


def table_lines(table: ProposedTable) -> list[str]:
    """A table in the ephemeral proposal: heading with its shared terms, then a line per
    challenge."""
    heading = f"__Table {table.number}__ · {plural(len(table.challenges), 'challenge')}"
    terms = terms_text(table)
    lines = [f"{heading} · {terms}" if terms else heading]
    lines += [f"• {initiative_name(item)}: {challenge_title(item)}" for item in table.challenges]
    return lines


def proposal_embed(proposal: Proposal) -> discord.Embed:
    blocks = ["\n".join(table_lines(table)) for table in proposal.tables]
    embed = discord.Embed(
        title="Challenge workshop tables",
        description=fit_lines(blocks, DESCRIPTION_LIMIT) or proposal.summary,
        colour=AGORA_COLOUR,
    )
    if proposal.unmatched:
        lines = [f"{initiative_name(i)}: {challenge_title(i)}" for i in proposal.unmatched]
        embed.add_field(
            name=f"Unmatched ({len(proposal.unmatched)})",
            value=fit_lines(lines, 1024),
            inline=False,
        )
    embed.set_footer(text=clip(proposal.summary, 2048))
    return embed


@dataclass(frozen=True)
class TableMessage:
    """A message of the tables posted to a workshop, and the roles it may ping."""

    content: str
    role_ids: tuple[int, ...]

    @property
    def allowed_mentions(self) -> discord.AllowedMentions:
        return discord.AllowedMentions(
            everyone=False,
            users=False,
            roles=[discord.Object(role_id) for role_id in self.role_ids],
            replied_user=False,
        )


def _posted_table(table: ProposedTable) -> str:
    terms = terms_text(table)
    heading = f"**Table {table.number}**" + (f" · {terms}" if terms else "")
    pings = " ".join(f"<@&{role_id}>" for role_id in table.role_ids)
    lines = [heading] + ([pings] if pings else [])
    lines += [f"• {initiative_name(item)}: {challenge_title(item)}" for item in table.challenges]
    return clip("\n".join(lines), MESSAGE_LIMIT)


def table_messages(workshop: Workshop, tables: Sequence[ProposedTable]) -> list[TableMessage]:
    """The tables as messages of at most 2,000 characters, whole tables each; a message
    pings the roles of its own tables' initiatives."""
    session = workshop.session
    heading = (
        f"🧩 **Tables for {escape_markdown(session.title)}** "
        f"({escape_markdown(workshop.meeting.title)},"
        f" {discord_timestamp(session.starts_at, 'F')}): each table brings together"
        " initiatives facing the same challenge."
    )
    messages: list[TableMessage] = []
    content = clip(heading, MESSAGE_LIMIT)
    roles: list[int] = []
    for table in tables:
        block = _posted_table(table)
        if len(content) + 2 + len(block) > MESSAGE_LIMIT:
            messages.append(TableMessage(content, tuple(roles)))
            content, roles = block, []
        else:
            content = f"{content}\n\n{block}"
        roles += [role_id for role_id in table.role_ids if role_id not in roles]
    messages.append(TableMessage(content, tuple(roles)))
    return messages
