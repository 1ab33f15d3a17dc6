"""Interaction callbacks and the interaction-token webhook routes (followups, @original)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord_sandbox.rest.app import RouteSpec
from discord_sandbox.rest.context import Reply, RequestContext
from discord_sandbox.rest.errors import DiscordError, unknown
from discord_sandbox.serialize import message_json

if TYPE_CHECKING:
    from discord_sandbox.server import Sandbox


def _truthy(value: str | None) -> bool:
    return value is not None and value.lower() in ("1", "true", "yes")


async def interaction_callback(ctx: RequestContext) -> Reply:
    status, body = ctx.sb.interactions.callback(
        ctx.params, ctx.json_object(), ctx.files, _truthy(ctx.query.get("with_response"))
    )
    return Reply(status, body)


def note_callback_arrival(sb: Sandbox, params: dict[str, str], at: float) -> None:
    record = sb.interactions.by_id.get(params.get("interaction_id", ""))
    if record is not None and record.callback_at is None:
        record.callback_at = at


def note_callback_refusal(sb: Sandbox, params: dict[str, str], err: DiscordError) -> None:
    sb.interactions.note_refusal(params, err)


async def execute_webhook(ctx: RequestContext) -> Reply:
    manager = ctx.sb.interactions
    record = manager.record_for_token(ctx.params)
    msg = manager.followup(record, ctx.json_object(), ctx.files)
    if _truthy(ctx.query.get("wait")):
        return Reply(200, message_json(ctx.sb.state, msg))
    return Reply(204)


async def get_webhook_message(ctx: RequestContext) -> Reply:
    manager = ctx.sb.interactions
    record = manager.record_for_token(ctx.params)
    msg = manager.owned_message(record, ctx.params.get("message_id", "@original"))
    return Reply(200, message_json(ctx.sb.state, msg))


async def edit_webhook_message(ctx: RequestContext) -> Reply:
    manager = ctx.sb.interactions
    record = manager.record_for_token(ctx.params)
    msg = manager.owned_message(record, ctx.params.get("message_id", "@original"))
    manager.edit_message(msg, ctx.json_object(), ctx.files)
    if msg.id == record.original_message_id:
        record.completed.set()
    record.changed.set()
    return Reply(200, message_json(ctx.sb.state, msg))


async def delete_webhook_message(ctx: RequestContext) -> Reply:
    manager = ctx.sb.interactions
    record = manager.record_for_token(ctx.params)
    msg = manager.owned_message(record, ctx.params.get("message_id", "@original"))
    manager.delete_message(msg)
    return Reply(204)


async def get_webhook(ctx: RequestContext) -> Reply:
    raise unknown("webhook")


_HOOK = "/webhooks/{webhook_id}/{webhook_token}"

ROUTES = [
    RouteSpec(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        interaction_callback,
        auth=False,
        on_error=note_callback_refusal,
        on_arrival=note_callback_arrival,
        rate_limited=False,
    ),
    RouteSpec("POST", _HOOK, execute_webhook, auth=False),
    RouteSpec("GET", _HOOK + "/messages/@original", get_webhook_message, auth=False),
    RouteSpec("PATCH", _HOOK + "/messages/@original", edit_webhook_message, auth=False),
    RouteSpec("DELETE", _HOOK + "/messages/@original", delete_webhook_message, auth=False),
    RouteSpec("GET", _HOOK + "/messages/{message_id}", get_webhook_message, auth=False),
    RouteSpec("PATCH", _HOOK + "/messages/{message_id}", edit_webhook_message, auth=False),
    RouteSpec("DELETE", _HOOK + "/messages/{message_id}", delete_webhook_message, auth=False),
]
