"""Lookups that 404 like Discord, and the bot's permission/hierarchy checks (403s)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord_sandbox.models import Channel, Guild, Member, Message, Role
from discord_sandbox.permissions import Permission, base_permissions, highest_role_position
from discord_sandbox.rest.errors import missing_access, missing_permissions, unknown

if TYPE_CHECKING:
    from discord_sandbox.rest.context import RequestContext


def guild(ctx: RequestContext) -> Guild:
    g = ctx.sb.state.guilds.get(ctx.params["guild_id"])
    if g is None or ctx.sb.state.bot_user_id not in g.members:
        raise unknown("guild")
    return g


def bot_member(ctx: RequestContext, g: Guild) -> Member:
    return g.members[ctx.sb.state.bot_user_id]


def channel(ctx: RequestContext, key: str = "channel_id") -> Channel:
    """The channel; 404 if unknown, 403 50001 if the bot cannot see it."""
    return channel_and_permissions(ctx, key)[0]


def channel_and_permissions(ctx: RequestContext, key: str = "channel_id") -> tuple[Channel, int]:
    """The channel and the bot's permissions in it (computed once per request)."""
    state = ctx.sb.state
    ch = state.channels.get(ctx.params[key])
    if ch is None:
        raise unknown("channel")
    perms = state.permissions_in(ch, state.bot_user_id)
    if ch.guild_id is not None:
        if not perms & Permission.VIEW_CHANNEL:
            raise missing_access()
    elif state.dm_channel_ids.get(ch.recipients[0] if ch.recipients else "") != ch.id:
        raise unknown("channel")
    return ch, perms


def message(ctx: RequestContext, ch: Channel) -> Message:
    msg = ctx.sb.state.find_message(ch.id, ctx.params["message_id"])
    if msg is None:
        raise unknown("message")
    return msg


def role(ctx: RequestContext, g: Guild) -> Role:
    r = g.roles.get(ctx.params["role_id"])
    if r is None:
        raise unknown("role")
    return r


def member(ctx: RequestContext, g: Guild, key: str = "user_id") -> Member:
    uid = ctx.params[key]
    if uid == "@me":
        uid = ctx.sb.state.bot_user_id
    m = g.members.get(uid)
    if m is None:
        raise unknown("member" if uid in ctx.sb.state.users else "user")
    return m


def require_channel(ctx: RequestContext, ch: Channel, perms: int) -> None:
    """403 50013 unless the bot has all of ``perms`` in ``ch``."""
    have = ctx.sb.state.permissions_in(ch, ctx.sb.state.bot_user_id)
    if have & perms != perms:
        raise missing_permissions()


def require_guild(ctx: RequestContext, g: Guild, perms: int) -> None:
    have = base_permissions(g, bot_member(ctx, g))
    if have & perms != perms:
        raise missing_permissions()


def require_above(ctx: RequestContext, g: Guild, position: int) -> None:
    """A bot can only manage roles strictly below its own highest role (owner excepted)."""
    bot = bot_member(ctx, g)
    if bot.user_id == g.owner_id:
        return
    if position >= highest_role_position(g, bot):
        raise missing_permissions()


def require_member_manageable(ctx: RequestContext, g: Guild, target: Member) -> None:
    """Editing another member (nick, roles...) needs a higher top role; nobody edits the owner."""
    if target.user_id == ctx.sb.state.bot_user_id:
        return
    if target.user_id == g.owner_id:
        raise missing_permissions()
    require_above(ctx, g, highest_role_position(g, target))
