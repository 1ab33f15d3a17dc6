"""Channels (get/edit/delete, permission overwrites) and threads."""

from __future__ import annotations

from discord_sandbox.message_build import message_fields
from discord_sandbox.models import Channel, ChannelType, Message, Overwrite
from discord_sandbox.permissions import Permission
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
from discord_sandbox.rest.routes_guilds import check_overwrite_grants
from discord_sandbox.serialize import channel_json, message_json, thread_json, thread_member_json
from discord_sandbox.snowflake import iso_timestamp

_TEXT_PARENTS = (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT)
_FORUMS = (ChannelType.GUILD_FORUM, ChannelType.GUILD_MEDIA)


async def get_channel(ctx: RequestContext) -> Reply:
    return Reply(200, channel_json(ctx.sb.state, access.channel(ctx)))


def _edit_thread(ctx: RequestContext, th: Channel, body: dict[str, object]) -> None:
    bot_id = ctx.sb.state.bot_user_id
    perms = ctx.sb.state.permissions_in(th, bot_id)
    manage = bool(perms & Permission.MANAGE_THREADS)
    if not manage and th.owner_id != bot_id:
        raise missing_permissions()
    if "locked" in body and bool(body["locked"]) != th.locked and not manage:
        raise missing_permissions()
    if th.locked and not manage:
        raise missing_permissions()
    if body.get("name") is not None:
        th.name = str(body["name"])
    if body.get("auto_archive_duration") is not None:
        th.auto_archive_duration = int(str(body["auto_archive_duration"]))
    if body.get("applied_tags") is not None:
        th.applied_tags = [str(t) for t in body["applied_tags"]]  # type: ignore[attr-defined]
    if body.get("locked") is not None:
        th.locked = bool(body["locked"])
    if body.get("invitable") is not None:
        th.invitable = bool(body["invitable"])
    if body.get("archived") is not None and bool(body["archived"]) != th.archived:
        th.archived = bool(body["archived"])
        th.archive_timestamp = iso_timestamp()


async def edit_channel(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    body = ctx.json_object()
    state = ctx.sb.state
    if ch.is_thread:
        _edit_thread(ctx, ch, body)
    elif ch.guild_id is not None:
        access.require_channel(ctx, ch, Permission.MANAGE_CHANNELS)
        if body.get("permission_overwrites") is not None:
            access.require_channel(ctx, ch, Permission.MANAGE_ROLES)
            overwrites = [
                Overwrite(
                    str(o["id"]),
                    int(o.get("type") or 0),
                    int(o.get("allow") or 0),
                    int(o.get("deny") or 0),
                )
                for o in body["permission_overwrites"]
            ]
            check_overwrite_grants(ctx, state.guilds[ch.guild_id], overwrites)
            ch.overwrites = {o.id: o for o in overwrites}
        for key in ("name", "topic", "position", "nsfw", "rate_limit_per_user"):
            if key in body and (body[key] is not None or key == "topic"):
                setattr(ch, key, body[key])
        if "parent_id" in body:
            ch.parent_id = str(body["parent_id"]) if body["parent_id"] is not None else None
        if body.get("default_auto_archive_duration") is not None:
            ch.default_auto_archive_duration = int(body["default_auto_archive_duration"])
        if body.get("available_tags") is not None and ch.type in _FORUMS:
            ch.available_tags = []
            for tag in body["available_tags"]:
                ch.available_tags.append(
                    {
                        "id": str(tag.get("id") or state.ids.next()),
                        "name": tag.get("name", ""),
                        "moderated": bool(tag.get("moderated", False)),
                        "emoji_id": tag.get("emoji_id"),
                        "emoji_name": tag.get("emoji_name"),
                    }
                )
    else:
        raise missing_permissions()
    ctx.sb.events.channel_update(ch)
    return Reply(200, channel_json(state, ch))


async def delete_channel(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    state = ctx.sb.state
    if ch.guild_id is None:
        return Reply(200, channel_json(state, ch))  # "closing" a DM
    needed = Permission.MANAGE_THREADS if ch.is_thread else Permission.MANAGE_CHANNELS
    access.require_channel(ctx, ch, needed)
    data = channel_json(state, ch)
    if not ch.is_thread:
        for child in [c for c in state.channels.values() if c.is_thread and c.parent_id == ch.id]:
            state.remove_channel(child)
    state.remove_channel(ch)
    ctx.sb.events.channel_delete(ch)
    return Reply(200, data)


async def put_overwrite(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    if ch.guild_id is None or ch.is_thread:
        raise unknown("channel")
    access.require_channel(ctx, ch, Permission.MANAGE_ROLES)
    body = ctx.json_object()
    ow = Overwrite(
        id=ctx.params["overwrite_id"],
        type=int(body.get("type") or 0),
        allow=int(body.get("allow") or 0),
        deny=int(body.get("deny") or 0),
    )
    check_overwrite_grants(ctx, ctx.sb.state.guilds[ch.guild_id], [ow])
    ch.overwrites[ow.id] = ow
    ctx.sb.events.channel_update(ch)
    return Reply(204)


async def delete_overwrite(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    access.require_channel(ctx, ch, Permission.MANAGE_ROLES)
    if ch.overwrites.pop(ctx.params["overwrite_id"], None) is not None:
        ctx.sb.events.channel_update(ch)
    return Reply(204)


# ---- threads --------------------------------------------------------------------------------
def _thread_reply(ctx: RequestContext, th: Channel) -> dict[str, object]:
    data = thread_json(th)
    bot_id = ctx.sb.state.bot_user_id
    if bot_id in th.thread_members:
        data["member"] = thread_member_json(th, bot_id)
    return data


async def create_thread(ctx: RequestContext) -> Reply:
    parent = access.channel(ctx)
    body = ctx.json_object()
    state = ctx.sb.state
    name = str(body.get("name") or "")
    if not name:
        raise invalid_form_body(
            field_error(["name"], "BASE_TYPE_REQUIRED", "This field is required")
        )
    duration = body.get("auto_archive_duration")
    if parent.type in _FORUMS:
        access.require_channel(ctx, parent, Permission.SEND_MESSAGES)
        starter = body.get("message")
        if not isinstance(starter, dict):
            raise invalid_form_body(
                field_error(["message"], "BASE_TYPE_REQUIRED", "This field is required")
            )
        fields = message_fields(state, starter, ctx.files, where=["message"])
        tags = [str(t) for t in body.get("applied_tags") or ()]
        known = {t["id"] for t in parent.available_tags}
        for i, tag in enumerate(tags):
            if tag not in known:
                raise invalid_form_body(
                    field_error(["applied_tags", i], "TAG_INVALID", "Unknown tag")
                )
        th = state.create_thread(
            parent, name, state.bot_user_id, auto_archive_duration=duration, applied_tags=tags
        )
        msg = Message(
            id=th.id,
            channel_id=th.id,
            guild_id=th.guild_id,
            author_id=state.bot_user_id,
            content="",
            timestamp=iso_timestamp(),
        )
        for key, value in fields.items():
            setattr(msg, key, value)
        state.add_message(msg)
        ctx.sb.events.channel_create(th)
        ctx.sb.events.message_create(msg)
        data = _thread_reply(ctx, th)
        data["message"] = message_json(state, msg)
        return Reply(201, data)
    if parent.type not in _TEXT_PARENTS:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    ttype = body.get("type")
    if ttype is None:
        raise invalid_form_body(
            field_error(["type"], "BASE_TYPE_REQUIRED", "This field is required")
        )
    ttype = int(ttype)
    if ttype not in (10, 11, 12):
        raise invalid_form_body(
            field_error(["type"], "BASE_TYPE_CHOICES", "Value must be one of (10, 11, 12).")
        )
    needed = Permission.CREATE_PRIVATE_THREADS if ttype == 12 else Permission.CREATE_PUBLIC_THREADS
    access.require_channel(ctx, parent, needed)
    th = state.create_thread(
        parent, name, state.bot_user_id, type=ttype, auto_archive_duration=duration
    )
    if body.get("invitable") is not None:
        th.invitable = bool(body["invitable"])
    ctx.sb.events.channel_create(th)
    return Reply(201, _thread_reply(ctx, th))


async def create_thread_from_message(ctx: RequestContext) -> Reply:
    parent = access.channel(ctx)
    msg = access.message(ctx, parent)
    state = ctx.sb.state
    if parent.type not in _TEXT_PARENTS:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    access.require_channel(ctx, parent, Permission.CREATE_PUBLIC_THREADS)
    if msg.thread_id is not None:
        raise DiscordError(400, 160004, "A thread has already been created for this message")
    body = ctx.json_object()
    name = str(body.get("name") or "")
    if not name:
        raise invalid_form_body(
            field_error(["name"], "BASE_TYPE_REQUIRED", "This field is required")
        )
    ttype = ChannelType.ANNOUNCEMENT_THREAD if parent.type == 5 else ChannelType.PUBLIC_THREAD
    th = state.create_thread(
        parent,
        name,
        state.bot_user_id,
        type=ttype,
        auto_archive_duration=body.get("auto_archive_duration"),
        thread_id=msg.id,
    )
    msg.thread_id = th.id
    ctx.sb.events.channel_create(th)
    ctx.sb.events.message_update(msg)
    return Reply(201, _thread_reply(ctx, th))


async def active_threads(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    state = ctx.sb.state
    bot_id = state.bot_user_id
    threads = [
        state.channels[cid]
        for cid in g.channel_ids
        if state.channels[cid].is_thread and not state.channels[cid].archived
    ]
    return Reply(
        200,
        {
            "threads": [thread_json(t) for t in threads],
            "members": [
                thread_member_json(t, bot_id) for t in threads if bot_id in t.thread_members
            ],
            "has_more": False,
        },
    )


async def archived_public_threads(ctx: RequestContext) -> Reply:
    parent = access.channel(ctx)
    access.require_channel(ctx, parent, Permission.READ_MESSAGE_HISTORY)
    state = ctx.sb.state
    before = ctx.query.get("before")
    limit = int(ctx.query.get("limit") or 50)
    threads = [
        c
        for c in state.channels.values()
        if c.parent_id == parent.id
        and c.type in (ChannelType.PUBLIC_THREAD, ChannelType.ANNOUNCEMENT_THREAD)
        and c.archived
        and (before is None or (c.archive_timestamp or "") < before)
    ]
    threads.sort(key=lambda c: c.archive_timestamp or "", reverse=True)
    bot_id = state.bot_user_id
    page = threads[:limit]
    return Reply(
        200,
        {
            "threads": [thread_json(t) for t in page],
            "members": [thread_member_json(t, bot_id) for t in page if bot_id in t.thread_members],
            "has_more": len(threads) > limit,
        },
    )


def _thread(ctx: RequestContext) -> Channel:
    th = access.channel(ctx)
    if not th.is_thread:
        raise DiscordError(400, 50024, "Cannot execute action on this channel type")
    return th


async def join_thread(ctx: RequestContext) -> Reply:
    th = _thread(ctx)
    uid = ctx.params.get("user_id", "@me")
    uid = ctx.sb.state.bot_user_id if uid == "@me" else uid
    if uid != ctx.sb.state.bot_user_id:
        access.require_channel(ctx, th, Permission.SEND_MESSAGES_IN_THREADS)
        g = ctx.sb.state.guilds[str(th.guild_id)]
        if uid not in g.members:
            raise unknown("member")
    if th.archived:
        raise DiscordError(400, 50083, "Thread is archived")
    if uid not in th.thread_members:
        th.thread_members[uid] = iso_timestamp()
        ctx.sb.events.thread_members_update(th, [uid], [])
    return Reply(204)


async def leave_thread(ctx: RequestContext) -> Reply:
    th = _thread(ctx)
    uid = ctx.params.get("user_id", "@me")
    uid = ctx.sb.state.bot_user_id if uid == "@me" else uid
    if uid != ctx.sb.state.bot_user_id:
        access.require_channel(ctx, th, Permission.MANAGE_THREADS)
    if th.thread_members.pop(uid, None) is not None:
        ctx.sb.events.thread_members_update(th, [], [uid])
    return Reply(204)


async def get_thread_member(ctx: RequestContext) -> Reply:
    th = _thread(ctx)
    uid = ctx.params["user_id"]
    if uid not in th.thread_members:
        raise unknown("member")
    return Reply(200, thread_member_json(th, uid))


async def list_thread_members(ctx: RequestContext) -> Reply:
    th = _thread(ctx)
    return Reply(200, [thread_member_json(th, uid) for uid in th.thread_members])


_C = "/channels/{channel_id}"

ROUTES = [
    RouteSpec("GET", _C, get_channel),
    RouteSpec("PATCH", _C, edit_channel),
    RouteSpec("DELETE", _C, delete_channel),
    RouteSpec("PUT", _C + "/permissions/{overwrite_id}", put_overwrite),
    RouteSpec("DELETE", _C + "/permissions/{overwrite_id}", delete_overwrite),
    RouteSpec("POST", _C + "/threads", create_thread),
    RouteSpec("POST", _C + "/messages/{message_id}/threads", create_thread_from_message),
    RouteSpec("GET", "/guilds/{guild_id}/threads/active", active_threads),
    RouteSpec("GET", _C + "/threads/archived/public", archived_public_threads),
    RouteSpec("PUT", _C + "/thread-members/@me", join_thread),
    RouteSpec("DELETE", _C + "/thread-members/@me", leave_thread),
    RouteSpec("GET", _C + "/thread-members", list_thread_members),
    RouteSpec("PUT", _C + "/thread-members/{user_id}", join_thread),
    RouteSpec("DELETE", _C + "/thread-members/{user_id}", leave_thread),
    RouteSpec("GET", _C + "/thread-members/{user_id}", get_thread_member),
]
