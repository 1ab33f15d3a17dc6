"""Guilds, their channel list, roles and members."""

from __future__ import annotations

from typing import Any

from discord_sandbox.models import ChannelType, Overwrite, Role
from discord_sandbox.permissions import Permission, base_permissions
from discord_sandbox.rest import access
from discord_sandbox.rest.app import RouteSpec
from discord_sandbox.rest.context import Reply, RequestContext
from discord_sandbox.rest.errors import (
    DiscordError,
    field_error,
    invalid_form_body,
    missing_permissions,
    unknown,
)
from discord_sandbox.serialize import channel_json, guild_json, member_json, role_json


async def get_guild(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    with_counts = (ctx.query.get("with_counts") or "").lower() in ("1", "true")
    return Reply(200, guild_json(g, with_counts=with_counts))


# ---- channels ---------------------------------------------------------------------------------
async def list_channels(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    state = ctx.sb.state
    return Reply(
        200,
        [
            channel_json(state, state.channels[cid])
            for cid in g.channel_ids
            if not state.channels[cid].is_thread
        ],
    )


def parse_overwrites(ctx: RequestContext, raw: Any, path: str) -> list[Overwrite]:
    """Overwrites from a request; the bot may only grant or deny permissions it has itself
    (unless it is an administrator), as Discord enforces."""
    out: list[Overwrite] = []
    g = ctx.sb.state.guilds[ctx.params.get("guild_id") or ""] if "guild_id" in ctx.params else None
    for i, item in enumerate(raw or ()):
        if not isinstance(item, dict) or "id" not in item:
            raise invalid_form_body(
                field_error([path, i, "id"], "BASE_TYPE_REQUIRED", "This field is required")
            )
        ow = Overwrite(
            id=str(item["id"]),
            type=int(item.get("type") or 0),
            allow=int(item.get("allow") or 0),
            deny=int(item.get("deny") or 0),
        )
        out.append(ow)
    if g is not None:
        check_overwrite_grants(ctx, g, out)
    return out


def check_overwrite_grants(ctx: RequestContext, g: Any, overwrites: list[Overwrite]) -> None:
    have = base_permissions(g, access.bot_member(ctx, g))
    if have & Permission.ADMINISTRATOR:
        return
    for ow in overwrites:
        if (ow.allow | ow.deny) & ~have:
            raise missing_permissions()


async def create_channel(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    access.require_guild(ctx, g, Permission.MANAGE_CHANNELS)
    body = ctx.json_object()
    state = ctx.sb.state
    ctype = int(body.get("type") or 0)
    if ctype not in (0, 2, 4, 5, 13, 15, 16):
        raise invalid_form_body(
            field_error(
                ["type"], "BASE_TYPE_CHOICES", "Value must be one of (0, 2, 4, 5, 13, 15, 16)."
            )
        )
    parent_id = body.get("parent_id")
    if parent_id is not None:
        parent = state.channels.get(str(parent_id))
        if parent is None or parent.guild_id != g.id or parent.type != ChannelType.GUILD_CATEGORY:
            raise invalid_form_body(
                field_error(["parent_id"], "CHANNEL_PARENT_INVALID", "Not a category")
            )
    overwrites = parse_overwrites(ctx, body.get("permission_overwrites"), "permission_overwrites")
    ch = state.create_channel(
        g,
        ctype,
        str(body.get("name") or ""),
        parent_id=str(parent_id) if parent_id is not None else None,
        topic=body.get("topic"),
        position=body.get("position"),
        overwrites=overwrites,
        available_tags=body.get("available_tags"),
    )
    ch.nsfw = bool(body.get("nsfw", False))
    ch.rate_limit_per_user = int(body.get("rate_limit_per_user") or 0)
    if body.get("default_auto_archive_duration"):
        ch.default_auto_archive_duration = int(body["default_auto_archive_duration"])
    ctx.sb.events.channel_create(ch)
    return Reply(201, channel_json(state, ch))


async def reorder_channels(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    access.require_guild(ctx, g, Permission.MANAGE_CHANNELS)
    state = ctx.sb.state
    items = ctx.body if isinstance(ctx.body, list) else []
    changed = []
    for item in items:
        ch = state.channels.get(str(item.get("id")))
        if ch is None or ch.guild_id != g.id:
            raise unknown("channel")
        if item.get("position") is not None:
            ch.position = int(item["position"])
        if "parent_id" in item:
            ch.parent_id = str(item["parent_id"]) if item["parent_id"] is not None else None
            if item.get("lock_permissions") and ch.parent_id:
                ch.overwrites = dict(state.channels[ch.parent_id].overwrites)
        changed.append(ch)
    for ch in changed:
        ctx.sb.events.channel_update(ch)
    return Reply(204)


# ---- roles ------------------------------------------------------------------------------------
async def list_roles(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    return Reply(200, [role_json(r) for r in g.roles.values()])


async def get_role(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    return Reply(200, role_json(access.role(ctx, g)))


def _check_role_permissions(ctx: RequestContext, g: Any, permissions: int) -> None:
    have = base_permissions(g, access.bot_member(ctx, g))
    if not have & Permission.ADMINISTRATOR and permissions & ~have:
        raise missing_permissions()


async def create_role(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    access.require_guild(ctx, g, Permission.MANAGE_ROLES)
    body = ctx.json_object()
    everyone = g.roles[g.id].permissions
    permissions = int(body["permissions"]) if body.get("permissions") is not None else everyone
    _check_role_permissions(ctx, g, permissions)
    shifted: list[Role] = []
    role = ctx.sb.state.create_role(
        g,
        str(body.get("name") or "new role"),
        permissions,
        color=int(body.get("color") or 0),
        hoist=bool(body.get("hoist", False)),
        mentionable=bool(body.get("mentionable", False)),
        shifted=shifted,
    )
    ctx.sb.events.role_create(role)
    for other in shifted:
        ctx.sb.events.role_update(other)
    return Reply(200, role_json(role))


async def edit_role(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    access.require_guild(ctx, g, Permission.MANAGE_ROLES)
    role = access.role(ctx, g)
    access.require_above(ctx, g, role.position)
    body = ctx.json_object()
    if body.get("name") is not None:
        role.name = str(body["name"])
    if body.get("permissions") is not None:
        _check_role_permissions(ctx, g, int(body["permissions"]))
        role.permissions = int(body["permissions"])
    if body.get("color") is not None:
        role.color = int(body["color"])
    if body.get("hoist") is not None:
        role.hoist = bool(body["hoist"])
    if body.get("mentionable") is not None:
        role.mentionable = bool(body["mentionable"])
    ctx.sb.events.role_update(role)
    return Reply(200, role_json(role))


async def reorder_roles(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    access.require_guild(ctx, g, Permission.MANAGE_ROLES)
    items = ctx.body if isinstance(ctx.body, list) else []
    changed = []
    for item in items:
        role = g.roles.get(str(item.get("id")))
        if role is None:
            raise unknown("role")
        position = item.get("position")
        if position is None or role.id == g.id:
            continue
        access.require_above(ctx, g, role.position)
        access.require_above(ctx, g, int(position))
        role.position = int(position)
        changed.append(role)
    for role in changed:
        ctx.sb.events.role_update(role)
    return Reply(200, [role_json(r) for r in g.roles.values()])


async def delete_role(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    access.require_guild(ctx, g, Permission.MANAGE_ROLES)
    role = access.role(ctx, g)
    access.require_above(ctx, g, role.position)
    if role.managed or role.id == g.id:
        raise DiscordError(400, 50028, "Invalid Role")
    del g.roles[role.id]
    for m in g.members.values():
        if role.id in m.roles:
            m.roles.remove(role.id)
    ctx.sb.events.role_delete(role)
    return Reply(204)


# ---- members -------------------------------------------------------------------------------
async def list_members(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    limit = int(ctx.query.get("limit") or 1)
    if not 1 <= limit <= 1000:
        raise invalid_form_body(
            field_error(["limit"], "NUMBER_TYPE_MAX", "int value should be <= 1000 and >= 1.")
        )
    after = int(ctx.query.get("after") or 0)
    members = sorted(
        (m for m in g.members.values() if int(m.user_id) > after), key=lambda m: int(m.user_id)
    )
    return Reply(200, [member_json(ctx.sb.state, m) for m in members[:limit]])


async def get_member(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    return Reply(200, member_json(ctx.sb.state, access.member(ctx, g)))


async def edit_member(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    m = access.member(ctx, g)
    body = ctx.json_object()
    if "nick" in body:
        if m.user_id != ctx.sb.state.bot_user_id:
            access.require_guild(ctx, g, Permission.MANAGE_NICKNAMES)
            access.require_member_manageable(ctx, g, m)
        m.nick = body["nick"] or None
    if body.get("roles") is not None:
        access.require_guild(ctx, g, Permission.MANAGE_ROLES)
        new = [str(r) for r in body["roles"]]
        for rid in set(new) ^ set(m.roles):
            role = g.roles.get(rid)
            if role is None:
                raise unknown("role")
            access.require_above(ctx, g, role.position)
            if role.managed:
                raise missing_permissions()
        m.roles = list(dict.fromkeys(new))
    ctx.sb.events.member_update(m)
    return Reply(200, member_json(ctx.sb.state, m))


async def add_member_role(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    access.require_guild(ctx, g, Permission.MANAGE_ROLES)
    m = access.member(ctx, g)
    role = access.role(ctx, g)
    access.require_above(ctx, g, role.position)
    if role.managed or role.id == g.id:
        raise missing_permissions()
    if role.id not in m.roles:
        m.roles.append(role.id)
        ctx.sb.events.member_update(m)
    return Reply(204)


async def remove_member_role(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    access.require_guild(ctx, g, Permission.MANAGE_ROLES)
    m = access.member(ctx, g)
    role = access.role(ctx, g)
    access.require_above(ctx, g, role.position)
    if role.managed:
        raise missing_permissions()
    if role.id in m.roles:
        m.roles.remove(role.id)
        ctx.sb.events.member_update(m)
    return Reply(204)


_G = "/guilds/{guild_id}"

ROUTES = [
    RouteSpec("GET", _G, get_guild),
    RouteSpec("GET", _G + "/channels", list_channels),
    RouteSpec("POST", _G + "/channels", create_channel),
    RouteSpec("PATCH", _G + "/channels", reorder_channels),
    RouteSpec("GET", _G + "/roles", list_roles),
    RouteSpec("POST", _G + "/roles", create_role),
    RouteSpec("PATCH", _G + "/roles", reorder_roles),
    RouteSpec("GET", _G + "/roles/{role_id}", get_role),
    RouteSpec("PATCH", _G + "/roles/{role_id}", edit_role),
    RouteSpec("DELETE", _G + "/roles/{role_id}", delete_role),
    RouteSpec("GET", _G + "/members", list_members),
    RouteSpec("GET", _G + "/members/{user_id}", get_member),
    RouteSpec("PATCH", _G + "/members/{user_id}", edit_member),
    RouteSpec("PUT", _G + "/members/{user_id}/roles/{role_id}", add_member_role),
    RouteSpec("DELETE", _G + "/members/{user_id}/roles/{role_id}", remove_member_role),
]
