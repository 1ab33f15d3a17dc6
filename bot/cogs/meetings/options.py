"""Option parsing and autocomplete shared by the meeting commands.

Turns what the user typed (names, ";"-separated lists, location parts) into the
services' inputs; every refusal is an InvalidInput saying how to fix it.
"""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.cogs.shared.context import services_of
from bot.errors import AgoraError, InvalidInput
from bot.services.common.name_matcher import Candidate, rank_names, split_names
from bot.services.directory.service import Choice
from bot.services.meetings.models import Location, Scope
from bot.services.meetings.programme import session_choice
from bot.services.meetings.service import RepeatSpec

MAX_CHOICES = 25

# The options /meeting create and /meeting edit share, declared once: what Discord checks
# of each (a length, a kind of channel).
MeetingName = app_commands.Range[str, 1, 100]
TimeText = app_commands.Range[str, 1, 100]
ZoneName = app_commands.Range[str, 1, 64]
VenueName = app_commands.Range[str, 1, 100]
VenueAddress = app_commands.Range[str, 1, 200]
MeetingLink = app_commands.Range[str, 1, 300]
MeetingChannel = discord.VoiceChannel | discord.StageChannel
NameList = app_commands.Range[str, 1, 500]
OffsetsText = app_commands.Range[str, 1, 100]

REPEAT_CHOICES = [
    app_commands.Choice(name="every week", value="weekly:1"),
    app_commands.Choice(name="every 2 weeks", value="weekly:2"),
    app_commands.Choice(name="every 4 weeks", value="weekly:4"),
    app_commands.Choice(name="every month (same weekday of the month)", value="monthly:1"),
    app_commands.Choice(name="every month (last such weekday)", value="monthly:last"),
]


@functools.lru_cache(maxsize=1)
def _zone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


async def zone_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """IANA zones containing what was typed ("brus" finds Europe/Brussels)."""
    if not current.strip():
        preferred = ["Europe/Brussels", "Europe/London", "Europe/Paris", "UTC"]
        return [app_commands.Choice(name=n, value=n) for n in preferred]
    ranked = rank_names(current[:100], _zone_candidates(), MAX_CHOICES)
    return [app_commands.Choice(name=c.key, value=c.key) for c in ranked]


@functools.lru_cache(maxsize=1)
def _zone_candidates() -> tuple[Candidate[str], ...]:
    # "Europe/Brussels" is also named by its city alone, so "brus" finds it first.
    return tuple(Candidate(name, name, (name.rsplit("/", 1)[-1],)) for name in _zone_names())


def _split_list(text: str) -> tuple[str, list[str]]:
    """ "Humble Lamppost; Urban Da" -> ("Humble Lamppost; ", ["Humble Lamppost"]).

    Names are separated by ";" (or new lines): a cluster's name can hold commas.
    """
    parts = [part.strip() for part in text.replace("\n", ";").split(";")]
    done = [part for part in parts[:-1] if part]
    prefix = "".join(f"{part}; " for part in done)
    return prefix, done


def _list_choices(prefix: str, names: list[str]) -> list[app_commands.Choice[str]]:
    choices = []
    for name in names:
        value = f"{prefix}{name}"
        if len(value) <= 100:
            choices.append(app_commands.Choice(name=value, value=value))
    return choices[:MAX_CHOICES]


async def _complete_last(
    interaction: discord.Interaction,
    current: str,
    search: Callable[[int, str], Awaitable[list[Choice]]],
) -> list[app_commands.Choice[str]]:
    """Completes the last name of a ";"-separated list with ``search``'s finds,
    leaving out the names already in the list."""
    if interaction.guild_id is None:
        return []
    prefix, done = _split_list(current)
    last = current.replace("\n", ";").split(";")[-1].strip()
    choices = await search(interaction.guild_id, last)
    names = [c.name for c in choices if c.name not in done]
    return _list_choices(prefix, names)


async def initiatives_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """One or more initiatives, separated by ";"; completes the last one."""
    directory = services_of(interaction).directory
    return await _complete_last(interaction, current, directory.autocomplete)


async def clusters_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """One or more Action Clusters, separated by ";"; completes the last one."""
    directory = services_of(interaction).directory
    return await _complete_last(interaction, current, directory.cluster_autocomplete)


async def meeting_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    if interaction.guild_id is None:
        return []
    choices = await services_of(interaction).meetings.autocomplete_meetings(
        interaction.guild_id, current
    )
    return [app_commands.Choice(name=c.name, value=str(c.value)) for c in choices]


async def session_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    """Sessions of the meeting already chosen in the same command."""
    if interaction.guild_id is None:
        return []
    services = services_of(interaction)
    meeting_text = str(getattr(interaction.namespace, "meeting", "") or "")
    try:
        meeting_id = await services.meetings.find(interaction.guild_id, meeting_text)
        found, sessions = await services.programme.programme_of(interaction.guild_id, meeting_id)
    except Exception:
        return []
    # In the zone the meeting's times were typed in, never bare UTC; ranked by title
    # (or "#12") with the name matcher.
    labels = {session.id: session_choice(session, found.timezone) for session in sessions}
    candidates = [Candidate(s.id, s.title, (f"#{s.id}",)) for s in sessions]
    ranked = rank_names(current[:100], candidates, MAX_CHOICES)
    return [app_commands.Choice(name=labels[c.key], value=str(c.key)) for c in ranked]


async def scope_from(
    interaction: discord.Interaction, guild_id: int, clusters: str | None, initiatives: str | None
) -> Scope:
    """Names (separated by ";") to ids; NotFound names the closest when one is unknown.

    A name may hold commas ("Business Models, Finance and Procurement"). Commas still
    separate names when the whole text names nothing and every piece names one thing.
    A part of a name is used when it names one thing; a typo is suggested, not used.
    """
    directory = services_of(interaction).directory

    async def cluster_id(name: str) -> int:
        return (await directory.find_cluster(guild_id, name, "partial")).key.id

    async def initiative_id(name: str) -> int:
        return (await directory.find_initiative(guild_id, name, "partial")).key.id

    return Scope(
        cluster_ids=tuple(await _ids_of(clusters, cluster_id, "clusters")),
        initiative_ids=tuple(await _ids_of(initiatives, initiative_id, "initiatives")),
    )


async def _ids_of(
    text: str | None, resolve: Callable[[str], Awaitable[int]], what: str
) -> list[int]:
    names = split_names(text or "")
    if len(names) == 1 and "," in names[0]:
        try:
            return [await resolve(names[0])]
        except AgoraError as whole:
            pieces = [piece.strip() for piece in names[0].split(",") if piece.strip()]
            try:
                ids = [await resolve(piece) for piece in pieces]
            except AgoraError:
                raise InvalidInput(
                    f"{whole.message} To give several {what}, separate them with “;” "
                    "(a name can contain commas)."
                ) from None
            return list(dict.fromkeys(ids))
    return list(dict.fromkeys([await resolve(name) for name in names]))


def location_from(
    venue: str | None,
    address: str | None,
    link: str | None,
    channel: discord.abc.GuildChannel | None,
) -> Location | None:
    """One kind of place: a venue (and address), an online link, or a voice/stage channel.

    None when nothing was given.
    """
    given = [
        kind for kind, value in (("venue", venue), ("link", link), ("channel", channel)) if value
    ]
    if len(given) > 1:
        raise InvalidInput(
            f"Give one kind of place, not {' and '.join(given)}: a venue (with its address), "
            "an online link, or a voice/stage channel."
        )
    if address and not venue:
        raise InvalidInput("An address needs a venue name too (e.g. venue: Hotel Metropole).")
    if channel is not None:
        return Location(kind="channel", channel_id=channel.id)
    if link:
        return Location(kind="online", url=link)
    if venue:
        return Location(kind="venue", name=venue, address=address or "")
    return None


def repeat_from(choice: str | None, until: str | None) -> RepeatSpec | None:
    if choice is None:
        if until:
            raise InvalidInput("repeat_until only makes sense with repeat; choose how it repeats.")
        return None
    frequency, _, detail = choice.partition(":")
    if frequency == "weekly":
        return RepeatSpec("weekly", interval=int(detail or 1), until=until)
    return RepeatSpec("monthly", week_of_month="last" if detail == "last" else None, until=until)


def offsets_from(text: str | None) -> list[str] | None:
    """ "1d, 1h, 0s" -> ["1d", "1h", "0s"]; None when not given."""
    if text is None:
        return None
    parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    if not parts:
        raise InvalidInput('Give reminder offsets like "1d, 1h, 0s" (0s means at the start).')
    return parts


CommandT = TypeVar("CommandT", bound=Callable[..., Any])


def where_and_who_autocomplete(command: CommandT) -> CommandT:
    """The zone, clusters and initiatives autocomplete of /meeting create and edit."""
    decorate = app_commands.autocomplete(
        zone=zone_autocomplete,
        clusters=clusters_autocomplete,
        initiatives=initiatives_autocomplete,
    )
    return decorate(command)
