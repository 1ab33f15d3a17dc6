"""Guild scheduled events and their interested users."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from discord_sandbox.models import ChannelType, Guild, ScheduledEvent
from discord_sandbox.permissions import Permission, base_permissions
from discord_sandbox.rest import access
from discord_sandbox.rest.app import RouteSpec
from discord_sandbox.rest.context import Reply, RequestContext
from discord_sandbox.rest.errors import field_error, invalid_form_body, missing_permissions, unknown
from discord_sandbox.serialize import member_json, scheduled_event_json, user_json

# Allowed status changes: scheduled -> active/canceled, active -> completed.
_TRANSITIONS = {1: {1, 2, 4}, 2: {2, 3}, 3: {3}, 4: {4}}


def _parse_time(value: Any, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise invalid_form_body(
            field_error([field], "DATE_TIME_TYPE_PARSE", "Could not parse date-time.")
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _event(ctx: RequestContext, g: Guild) -> ScheduledEvent:
    ev = g.scheduled_events.get(ctx.params["guild_scheduled_event_id"])
    if ev is None:
        raise unknown("guild scheduled event")
    return ev


def _require_events(ctx: RequestContext, g: Guild, *, creating: bool) -> None:
    perms = base_permissions(g, access.bot_member(ctx, g))
    allowed = Permission.MANAGE_EVENTS | (Permission.CREATE_EVENTS if creating else 0)
    if not perms & allowed:
        raise missing_permissions()


def _apply_location(
    ctx: RequestContext, g: Guild, ev: ScheduledEvent, body: dict[str, Any]
) -> None:
    if ev.entity_type == 3:
        location = (body.get("entity_metadata") or {}).get("location") or ev.location
        if not location:
            raise invalid_form_body(
                field_error(
                    ["entity_metadata", "location"], "BASE_TYPE_REQUIRED", "This field is required"
                )
            )
        if not ev.scheduled_end_time:
            raise invalid_form_body(
                field_error(["scheduled_end_time"], "BASE_TYPE_REQUIRED", "This field is required")
            )
        ev.location = str(location)
        ev.channel_id = None
    else:
        ch = ctx.sb.state.channels.get(str(ev.channel_id or ""))
        wanted = ChannelType.GUILD_STAGE_VOICE if ev.entity_type == 1 else ChannelType.GUILD_VOICE
        if ch is None or ch.guild_id != g.id or ch.type != wanted:
            raise invalid_form_body(
                field_error(["channel_id"], "CHANNEL_TYPE_INVALID", "Invalid channel type")
            )
        ev.location = None
    if ev.scheduled_end_time:
        start = _parse_time(ev.scheduled_start_time, "scheduled_start_time")
        end = _parse_time(ev.scheduled_end_time, "scheduled_end_time")
        if end <= start:
            raise invalid_form_body(
                field_error(
                    ["scheduled_end_time"],
                    "GUILD_SCHEDULED_EVENT_END_BEFORE_START",
                    "End time must be after start time",
                )
            )


async def list_events(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    state = ctx.sb.state
    return Reply(200, [scheduled_event_json(state, e) for e in g.scheduled_events.values()])


async def create_event(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    _require_events(ctx, g, creating=True)
    body = ctx.json_object()
    state = ctx.sb.state
    start = _parse_time(body.get("scheduled_start_time"), "scheduled_start_time")
    if start < datetime.now(UTC):
        raise invalid_form_body(
            field_error(
                ["scheduled_start_time"],
                "GUILD_SCHEDULED_EVENT_SCHEDULED_START_TIME_IN_PAST",
                "Cannot schedule event in the past.",
            )
        )
    ev = ScheduledEvent(
        id=state.ids.next(),
        guild_id=g.id,
        name=str(body.get("name") or ""),
        scheduled_start_time=start.isoformat(),
        scheduled_end_time=(
            _parse_time(body["scheduled_end_time"], "scheduled_end_time").isoformat()
            if body.get("scheduled_end_time")
            else None
        ),
        entity_type=int(body.get("entity_type") or 3),
        creator_id=state.bot_user_id,
        description=body.get("description"),
        channel_id=str(body["channel_id"]) if body.get("channel_id") else None,
        privacy_level=int(body.get("privacy_level") or 2),
    )
    _apply_location(ctx, g, ev, body)
    g.scheduled_events[ev.id] = ev
    ctx.sb.events.scheduled_event("CREATE", ev)
    return Reply(200, scheduled_event_json(state, ev))


async def get_event(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    return Reply(200, scheduled_event_json(ctx.sb.state, _event(ctx, g)))


async def edit_event(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    ev = _event(ctx, g)
    if ev.creator_id != ctx.sb.state.bot_user_id:
        _require_events(ctx, g, creating=False)
    body = ctx.json_object()
    if body.get("status") is not None:
        status = int(body["status"])
        if status not in _TRANSITIONS[ev.status]:
            raise invalid_form_body(
                field_error(
                    ["status"],
                    "GUILD_SCHEDULED_EVENT_INVALID_STATUS_TRANSITION",
                    f"Cannot change status from {ev.status} to {status}.",
                )
            )
        ev.status = status
    for key in ("name", "description", "privacy_level"):
        if key in body and body[key] is not None:
            setattr(ev, key, body[key])
    if body.get("scheduled_start_time"):
        ev.scheduled_start_time = _parse_time(
            body["scheduled_start_time"], "scheduled_start_time"
        ).isoformat()
    if "scheduled_end_time" in body:
        end = body["scheduled_end_time"]
        ev.scheduled_end_time = _parse_time(end, "scheduled_end_time").isoformat() if end else None
    if body.get("entity_type") is not None:
        ev.entity_type = int(body["entity_type"])
    if "channel_id" in body:
        ev.channel_id = str(body["channel_id"]) if body["channel_id"] else None
    _apply_location(ctx, g, ev, body)
    ctx.sb.events.scheduled_event("UPDATE", ev)
    return Reply(200, scheduled_event_json(ctx.sb.state, ev))


async def delete_event(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    ev = _event(ctx, g)
    if ev.creator_id != ctx.sb.state.bot_user_id:
        _require_events(ctx, g, creating=False)
    del g.scheduled_events[ev.id]
    ctx.sb.events.scheduled_event("DELETE", ev)
    return Reply(204)


async def event_users(ctx: RequestContext) -> Reply:
    g = access.guild(ctx)
    ev = _event(ctx, g)
    state = ctx.sb.state
    limit = int(ctx.query.get("limit") or 100)
    with_member = (ctx.query.get("with_member") or "").lower() in ("1", "true")
    ids = sorted(ev.interested, key=int)
    if ctx.query.get("before"):
        ids = [u for u in ids if int(u) < int(ctx.query["before"])][-limit:]
    else:
        after = int(ctx.query.get("after") or 0)
        ids = [u for u in ids if int(u) > after][:limit]
    out = []
    for uid in ids:
        item: dict[str, Any] = {
            "guild_scheduled_event_id": ev.id,
            "user_id": uid,
            "user": user_json(state.users[uid]),
            "response": 1,
        }
        if with_member and uid in g.members:
            item["member"] = member_json(state, g.members[uid])
        out.append(item)
    return Reply(200, out)


_E = "/guilds/{guild_id}/scheduled-events"

ROUTES = [
    RouteSpec("GET", _E, list_events),
    RouteSpec("POST", _E, create_event),
    RouteSpec("GET", _E + "/{guild_scheduled_event_id}", get_event),
    RouteSpec("PATCH", _E + "/{guild_scheduled_event_id}", edit_event),
    RouteSpec("DELETE", _E + "/{guild_scheduled_event_id}", delete_event),
    RouteSpec("GET", _E + "/{guild_scheduled_event_id}/users", event_users),
]
