"""Messages, pins, typing, DMs and reactions."""

from __future__ import annotations

import orjson

from discord_sandbox.message_build import message_fields
from discord_sandbox.models import Channel, ChannelType, Message
from discord_sandbox.permissions import Permission
from discord_sandbox.rest import access
from discord_sandbox.rest.app import RouteSpec
from discord_sandbox.rest.context import Reply, RequestContext
from discord_sandbox.rest.errors import (
    DiscordError,
    field_error,
    invalid_form_body,
    missing_access,
    missing_permissions,
    unknown,
)
from discord_sandbox.serialize import channel_json, message_json
from discord_sandbox.snowflake import iso_timestamp

SUPPRESS_EMBEDS = 1 << 2


def _check_can_send(ctx: RequestContext, ch: Channel, perms: int) -> None:
    if ch.type not in ChannelType.MESSAGEABLE:
        raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")
    if ch.guild_id is None:
        return
    needed = Permission.SEND_MESSAGES_IN_THREADS if ch.is_thread else Permission.SEND_MESSAGES
    if not perms & needed:
        raise missing_permissions()
    if ch.is_thread and ch.archived:
        if ch.locked and not perms & Permission.MANAGE_THREADS:
            raise DiscordError(400, 50083, "Thread is archived")
        # Sending into an archived (unlocked) thread unarchives it, as in Discord.
        ch.archived = False
        ch.archive_timestamp = iso_timestamp()
        ctx.sb.events.channel_update(ch)


async def create_message(ctx: RequestContext) -> Reply:
    ch, perms = access.channel_and_permissions(ctx)
    body = ctx.json_object()
    state = ctx.sb.state
    bot_id = state.bot_user_id
    nonce = body.get("nonce")
    if nonce is not None and body.get("enforce_nonce"):
        existing_id = ctx.sb.nonces.lookup(bot_id, ch.id, nonce)
        existing = state.find_message(ch.id, existing_id) if existing_id else None
        if existing is not None:
            return Reply(200, message_json(state, existing))
    _check_can_send(ctx, ch, perms)
    fields = message_fields(state, body, ctx.files)
    if fields.get("attachments") and ch.guild_id is not None:
        if not perms & Permission.ATTACH_FILES:
            raise missing_permissions()
    ref = fields.get("message_reference")
    if ref is not None:
        ref["channel_id"] = ref["channel_id"] or ch.id
        if state.find_message(ref["channel_id"], ref["message_id"]) is None:
            raise invalid_form_body(
                field_error(
                    ["message_reference"], "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message"
                )
            )
        fields["type"] = 19
    if ch.guild_id is not None and fields.get("embeds"):
        if not perms & Permission.EMBED_LINKS:
            fields["embeds"] = []  # Discord drops embeds silently without Embed Links
    msg = state.new_message(ch, bot_id, **fields)
    if nonce is not None and body.get("enforce_nonce"):
        ctx.sb.nonces.remember(bot_id, ch.id, nonce, msg.id)
    # Serialised once, for the reply and for the MESSAGE_CREATE event.
    data = message_json(state, msg)
    encoded = orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    ctx.sb.events.message_create(msg, data, encoded)
    return Reply(200, data, encoded)


def _can_read_history(ctx: RequestContext, ch: Channel) -> bool:
    if ch.guild_id is None:
        return True
    perms = ctx.sb.state.permissions_in(ch, ctx.sb.state.bot_user_id)
    return bool(perms & Permission.READ_MESSAGE_HISTORY)


async def list_messages(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    if not _can_read_history(ctx, ch):
        return Reply(200, [])
    limit = int(ctx.query.get("limit") or 50)
    if not 1 <= limit <= 100:
        raise invalid_form_body(
            field_error(["limit"], "NUMBER_TYPE_MAX", "int value should be <= 100 and >= 1.")
        )
    msgs = list(ctx.sb.state.messages.get(ch.id, {}).values())  # oldest first
    before, after, around = (ctx.query.get(k) for k in ("before", "after", "around"))
    if before:
        msgs = [m for m in msgs if int(m.id) < int(before)]
        page = msgs[-limit:]
    elif after:
        msgs = [m for m in msgs if int(m.id) > int(after)]
        page = msgs[:limit]
    elif around:
        idx = next((i for i, m in enumerate(msgs) if int(m.id) >= int(around)), len(msgs))
        start = max(0, idx - limit // 2)
        page = msgs[start : start + limit]
    else:
        page = msgs[-limit:]
    state = ctx.sb.state
    return Reply(200, [message_json(state, m) for m in reversed(page)])


async def get_message(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    if not _can_read_history(ctx, ch):
        raise missing_access()
    return Reply(200, message_json(ctx.sb.state, access.message(ctx, ch)))


async def edit_message(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    msg = access.message(ctx, ch)
    body = ctx.json_object()
    state = ctx.sb.state
    if msg.author_id != state.bot_user_id:
        # Others' messages: only SUPPRESS_EMBEDS may be toggled, with Manage Messages.
        if set(body) - {"flags"}:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        access.require_channel(ctx, ch, Permission.MANAGE_MESSAGES)
        msg.flags = (msg.flags & ~SUPPRESS_EMBEDS) | (int(body.get("flags") or 0) & SUPPRESS_EMBEDS)
    else:
        fields = message_fields(state, body, ctx.files, existing=msg, require_content=False)
        for key, value in fields.items():
            setattr(msg, key, value)
        msg.edited_timestamp = iso_timestamp()
    ctx.sb.events.message_update(msg)
    return Reply(200, message_json(state, msg))


async def delete_message(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    msg = access.message(ctx, ch)
    if msg.author_id != ctx.sb.state.bot_user_id:
        access.require_channel(ctx, ch, Permission.MANAGE_MESSAGES)
    ctx.sb.state.remove_message(msg)
    ctx.sb.events.message_delete(msg)
    return Reply(204)


# ---- pins -------------------------------------------------------------------------------------
def _require_pin(ctx: RequestContext, ch: Channel) -> None:
    """Pinning takes Pin Messages (or, historically, Manage Messages)."""
    if ch.guild_id is None:
        return
    perms = ctx.sb.state.permissions_in(ch, ctx.sb.state.bot_user_id)
    if not perms & (Permission.PIN_MESSAGES | Permission.MANAGE_MESSAGES):
        raise missing_permissions()


def _pinned(ctx: RequestContext, ch: Channel) -> list[Message]:
    msgs = [m for m in ctx.sb.state.messages.get(ch.id, {}).values() if m.pinned]
    msgs.sort(key=lambda m: m.pinned_at or "", reverse=True)
    return msgs


async def list_pins(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    state = ctx.sb.state
    pinned = _pinned(ctx, ch)
    before = ctx.query.get("before")
    if before:
        pinned = [m for m in pinned if (m.pinned_at or "") < before]
    limit = int(ctx.query.get("limit") or 50)
    return Reply(
        200,
        {
            "items": [
                {"pinned_at": m.pinned_at, "message": message_json(state, m)}
                for m in pinned[:limit]
            ],
            "has_more": len(pinned) > limit,
        },
    )


async def list_pins_legacy(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    return Reply(200, [message_json(ctx.sb.state, m) for m in _pinned(ctx, ch)])


async def pin(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    msg = access.message(ctx, ch)
    _require_pin(ctx, ch)
    state = ctx.sb.state
    if not msg.pinned:
        if len(_pinned(ctx, ch)) >= 250:
            raise DiscordError(400, 30003, "Maximum number of pins reached (250)")
        msg.pinned = True
        msg.pinned_at = ch.last_pin_timestamp = iso_timestamp()
        ctx.sb.events.message_update(msg)
        ctx.sb.events.pins_update(ch)
        # Discord posts the "pinned a message" system message.
        notice = state.new_message(
            ch,
            state.bot_user_id,
            type=6,
            message_reference={"type": 0, "message_id": msg.id, "channel_id": ch.id},
        )
        ctx.sb.events.message_create(notice)
    return Reply(204)


async def unpin(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    msg = access.message(ctx, ch)
    _require_pin(ctx, ch)
    if msg.pinned:
        msg.pinned = False
        msg.pinned_at = None
        ctx.sb.events.message_update(msg)
        ctx.sb.events.pins_update(ch)
    return Reply(204)


# ---- misc ---------------------------------------------------------------------------------------
async def typing(ctx: RequestContext) -> Reply:
    access.channel(ctx)
    return Reply(204)


async def create_dm(ctx: RequestContext) -> Reply:
    body = ctx.json_object()
    recipient = str(body.get("recipient_id") or "")
    state = ctx.sb.state
    user = state.users.get(recipient)
    if user is None:
        raise unknown("user")
    if user.bot:
        raise DiscordError(400, 50007, "Cannot send messages to this user")
    return Reply(200, channel_json(state, state.dm_channel(recipient)))


async def add_reaction(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    access.message(ctx, ch)
    if ch.guild_id is not None:
        access.require_channel(ctx, ch, Permission.ADD_REACTIONS | Permission.READ_MESSAGE_HISTORY)
    return Reply(204)


async def remove_reaction(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    access.message(ctx, ch)
    return Reply(204)


async def bulk_delete(ctx: RequestContext) -> Reply:
    ch = access.channel(ctx)
    access.require_channel(ctx, ch, Permission.MANAGE_MESSAGES)
    ids = ctx.json_object().get("messages") or []
    if not 2 <= len(ids) <= 100:
        raise invalid_form_body(
            field_error(
                ["messages"], "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length."
            )
        )
    for mid in ids:
        msg = ctx.sb.state.find_message(ch.id, str(mid))
        if msg is not None:
            ctx.sb.state.remove_message(msg)
            ctx.sb.events.message_delete(msg)
    return Reply(204)


_C = "/channels/{channel_id}"
_M = _C + "/messages/{message_id}"

ROUTES = [
    RouteSpec("POST", _C + "/messages", create_message),
    RouteSpec("GET", _C + "/messages", list_messages),
    RouteSpec("POST", _C + "/messages/bulk-delete", bulk_delete),
    RouteSpec("GET", _C + "/messages/pins", list_pins),
    RouteSpec("PUT", _C + "/messages/pins/{message_id}", pin),
    RouteSpec("DELETE", _C + "/messages/pins/{message_id}", unpin),
    RouteSpec("GET", _C + "/pins", list_pins_legacy),
    RouteSpec("PUT", _C + "/pins/{message_id}", pin),
    RouteSpec("DELETE", _C + "/pins/{message_id}", unpin),
    RouteSpec("GET", _M, get_message),
    RouteSpec("PATCH", _M, edit_message),
    RouteSpec("DELETE", _M, delete_message),
    RouteSpec("PUT", _M + "/reactions/{emoji}/@me", add_reaction),
    RouteSpec("DELETE", _M + "/reactions/{emoji}/@me", remove_reaction),
    RouteSpec("POST", _C + "/typing", typing),
    RouteSpec("POST", "/users/@me/channels", create_dm),
]
