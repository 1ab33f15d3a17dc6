"""Sandbox set-up for bench/run.py: the seed guild under a known id, virtual users, and the
prepared interactions (templates) each kind of load sends."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench._load import Template
from bot.launch import openapi_spec_path
from discord_sandbox import Sandbox
from discord_sandbox.interactions import InteractionType
from discord_sandbox.models import Guild, User
from discord_sandbox.slash import build_command_data


def agora_sandbox(**options: Any) -> Sandbox:
    """A sandbox validating against Discord's spec where Agora's checkout keeps it
    (``$DISCORD_OPENAPI_SPEC``, else ``../shared/discord-api/openapi.json``)."""
    return Sandbox(spec_path=str(openapi_spec_path()), **options)


class _OneFixedId:
    """Stands in for the sandbox's id generator for exactly one id, then puts it back."""

    def __init__(self, sb: Sandbox, fixed: int) -> None:
        self._sb = sb
        self._real = sb.state.ids
        self._fixed = fixed

    def next_int(self) -> int:
        self._sb.state.ids = self._real
        return self._fixed

    def next(self) -> str:
        return str(self.next_int())


def create_guild_with_id(sb: Sandbox, guild_id: int) -> Guild:
    """The seed guild (``create_seed_guild``) with id ``guild_id``, so a database generated
    once for that id can be reused without rewriting a million rows. Only the guild's id is
    fixed; every later id comes from the sandbox's generator (and is larger)."""
    state = sb.state
    if "admin" not in state.users_by_name:
        state.new_user("admin")  # create_seed_guild reuses it; the next id is the guild's
    state.ids = _OneFixedId(sb, guild_id)  # type: ignore[assignment]
    guild = sb.create_seed_guild()
    assert guild.id == str(guild_id), (guild.id, guild_id)
    return guild


def add_users(sb: Sandbox, count: int) -> list[str]:
    """Virtual users, members of the guild (made before the bot connects: no events)."""
    return [sb.user(f"user{n:04d}").id for n in range(count)]


def add_members_of_record(sb: Sandbox, guild: Guild, database: Path) -> int:
    """Make everyone the generated database lists as a current member a member of the guild.

    Memberships of people who are not in the guild are, to Agora, people who left while it
    was away, and its catch-up on connect would end every one of them during the run.
    """
    with sqlite3.connect(database) as conn:
        user_ids = [
            row[0]
            for row in conn.execute(
                "SELECT DISTINCT user_id FROM memberships"
                " WHERE guild_id = ? AND left_at IS NULL AND user_id IS NOT NULL",
                (int(guild.id),),
            )
        ]
    state = sb.state
    for user_id in user_ids:
        key = str(user_id)
        if key not in state.users:
            state.users[key] = User(id=key, username=f"member{user_id}", global_name=None)
        state.add_member(guild, key)
    return len(user_ids)


def build_pools(
    sb: Sandbox,
    *,
    initiative_names: Sequence[str],
    cluster_names: Sequence[str],
    list_message_id: str,
    next_custom_id: str,
    size: int = 400,
    seed: int = 11,
) -> dict[str, list[Template]]:
    """Prepared interactions per kind: ``info`` (/initiative info on a random initiative),
    ``autocomplete`` (its initiative option, 1-10 typed characters, sometimes a typo),
    ``meetings`` (/meeting list: upcoming, past, by cluster, by initiative) and ``click``
    (Next on the /initiative list message)."""
    rng = random.Random(seed)
    user = sb.state.users[sb.state.users_by_name["admin"]]
    channel = sb.channel("general")
    names = list(initiative_names)

    def command(path: str, options: dict[str, object], focused: tuple[str, str] | None = None):
        return build_command_data(sb, user, path, options, channel, focused=focused)

    info = [
        Template(
            "info",
            InteractionType.APPLICATION_COMMAND,
            "initiative info",
            channel,
            command("initiative info", {"initiative": rng.choice(names)}),
        )
        for _ in range(size)
    ]
    autocomplete = []
    for _ in range(size):
        name = rng.choice(names)
        typed = name[: rng.randint(1, 10)].lower()
        if len(typed) > 4 and rng.random() < 0.3:
            cut = rng.randrange(1, len(typed) - 1)
            typed = typed[:cut] + typed[cut + 1 :]  # a dropped letter
        autocomplete.append(
            Template(
                "autocomplete",
                InteractionType.AUTOCOMPLETE,
                "initiative info",
                channel,
                command("initiative info", {}, focused=("initiative", typed)),
            )
        )
    meeting_options: list[dict[str, object]] = [{}, {"when": "past"}]
    meeting_options += [{"cluster": name} for name in cluster_names]
    meeting_options += [{"initiative": rng.choice(names)} for _ in range(6)]
    meetings = [
        Template(
            "meetings",
            InteractionType.APPLICATION_COMMAND,
            "meeting list",
            channel,
            command("meeting list", meeting_options[n % len(meeting_options)]),
        )
        for n in range(max(size // 4, len(meeting_options)))
    ]
    message = sb.state.message_by_id(list_message_id)
    assert message is not None
    click = [
        Template(
            "click",
            InteractionType.MESSAGE_COMPONENT,
            next_custom_id,
            sb.state.channels[message.channel_id],
            {"custom_id": next_custom_id, "component_type": 2},
            message,
            button=("Next ▶", "◀ Previous"),
        )
    ]
    return {"info": info, "autocomplete": autocomplete, "meetings": meetings, "click": click}
