"""Gateway discovery, the bot's own user/application, users, and application commands."""

from __future__ import annotations

from typing import Any

from discord_sandbox.models import AppCommand
from discord_sandbox.rest.app import RouteSpec
from discord_sandbox.rest.context import Reply, RequestContext
from discord_sandbox.rest.errors import field_error, invalid_form_body, unknown
from discord_sandbox.serialize import command_json, current_user_json, user_json


async def get_gateway(ctx: RequestContext) -> Reply:
    return Reply(200, {"url": ctx.sb.gateway_url.rstrip("/")})


async def get_gateway_bot(ctx: RequestContext) -> Reply:
    gateway = ctx.sb.gateway
    return Reply(
        200,
        {
            "url": ctx.sb.gateway_url.rstrip("/"),
            "shards": gateway.recommended_shards(),
            "session_start_limit": gateway.session_start_limit(),
        },
    )


async def get_current_user(ctx: RequestContext) -> Reply:
    return Reply(200, current_user_json(ctx.sb.state.bot_user))


async def get_user(ctx: RequestContext) -> Reply:
    user = ctx.sb.state.users.get(ctx.params["user_id"])
    if user is None:
        raise unknown("user")
    return Reply(200, user_json(user))


async def get_application(ctx: RequestContext) -> Reply:
    state = ctx.sb.state
    owner = state.users.get(ctx.sb.owner_user_id or "") or state.bot_user
    return Reply(
        200,
        {
            "id": state.application_id,
            "name": state.bot_user.username,
            "icon": None,
            "description": "",
            "type": None,
            "bot": user_json(state.bot_user),
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "flags_new": "0",
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "owner": user_json(owner),
            "approximate_guild_count": len(state.guilds),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": None,
            "eligible_oauth2_scopes": ["bot", "applications.commands"],
            "summary": "",
            "rpc_origins": [],
            "tags": [],
        },
    )


# ---- application commands ------------------------------------------------------------------
def _command_store(ctx: RequestContext) -> tuple[dict[str, AppCommand], str | None]:
    state = ctx.sb.state
    if ctx.params["application_id"] != state.application_id:
        raise unknown("application")
    guild_id = ctx.params.get("guild_id")
    if guild_id is None:
        return state.global_commands, None
    if guild_id not in state.guilds:
        raise unknown("guild")
    return state.guild_commands[guild_id], guild_id


def _check_command(payload: Any, index: int | None) -> None:
    prefix: list[str | int] = [] if index is None else [index]
    if not isinstance(payload, dict) or not payload.get("name"):
        raise invalid_form_body(
            field_error([*prefix, "name"], "BASE_TYPE_REQUIRED", "This field is required")
        )

    def walk(options: Any, path: list[str | int]) -> None:
        seen: set[str] = set()
        optional_seen = False
        for i, opt in enumerate(options or ()):
            if not isinstance(opt, dict):
                continue
            name = str(opt.get("name"))
            if name in seen:
                raise invalid_form_body(
                    field_error(
                        [*path, i, "name"],
                        "APPLICATION_COMMAND_OPTION_NAME_ALREADY_EXISTS",
                        "Option names must be unique",
                    )
                )
            seen.add(name)
            if opt.get("type") in (1, 2):
                walk(opt.get("options"), [*path, i, "options"])
            elif opt.get("required"):
                if optional_seen:
                    raise invalid_form_body(
                        field_error(
                            [*path, i],
                            "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                            "Required options must be placed before non-required options",
                        )
                    )
            else:
                optional_seen = True

    walk(payload.get("options"), [*prefix, "options"])


def _upsert(
    ctx: RequestContext, store: dict[str, AppCommand], guild_id: str | None, payload: dict[str, Any]
) -> AppCommand:
    state = ctx.sb.state
    ctype = int(payload.get("type") or 1)
    for cmd in store.values():
        if cmd.name == payload["name"] and cmd.type == ctype:
            if cmd.payload != payload:
                cmd.payload = payload
                cmd.version = state.ids.next()
            return cmd
    cid = state.ids.next()
    cmd = AppCommand(
        id=cid,
        application_id=state.application_id,
        guild_id=guild_id,
        version=cid,
        payload=payload,
    )
    store[cid] = cmd
    return cmd


async def list_commands(ctx: RequestContext) -> Reply:
    store, _ = _command_store(ctx)
    return Reply(200, [command_json(c) for c in store.values()])


async def bulk_overwrite_commands(ctx: RequestContext) -> Reply:
    store, guild_id = _command_store(ctx)
    body = ctx.body if isinstance(ctx.body, list) else []
    names: set[tuple[str, int]] = set()
    for i, payload in enumerate(body):
        _check_command(payload, i)
        key = (str(payload["name"]), int(payload.get("type") or 1))
        if key in names:
            raise invalid_form_body(
                field_error(
                    [i, "name"],
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique: {key[0]}",
                )
            )
        names.add(key)
    kept = [_upsert(ctx, store, guild_id, p) for p in body]
    kept_ids = {c.id for c in kept}
    for cid in [cid for cid in store if cid not in kept_ids]:
        del store[cid]
    return Reply(200, [command_json(c) for c in kept])


async def create_command(ctx: RequestContext) -> Reply:
    store, guild_id = _command_store(ctx)
    payload = ctx.json_object()
    _check_command(payload, None)
    existed = any(c.name == payload["name"] for c in store.values())
    cmd = _upsert(ctx, store, guild_id, payload)
    return Reply(200 if existed else 201, command_json(cmd))


def _command(ctx: RequestContext) -> tuple[dict[str, AppCommand], AppCommand]:
    store, _ = _command_store(ctx)
    cmd = store.get(ctx.params["command_id"])
    if cmd is None:
        raise unknown("application command")
    return store, cmd


async def get_command(ctx: RequestContext) -> Reply:
    _, cmd = _command(ctx)
    return Reply(200, command_json(cmd))


async def edit_command(ctx: RequestContext) -> Reply:
    _, cmd = _command(ctx)
    cmd.payload = {**cmd.payload, **ctx.json_object()}
    cmd.version = ctx.sb.state.ids.next()
    return Reply(200, command_json(cmd))


async def delete_command(ctx: RequestContext) -> Reply:
    store, cmd = _command(ctx)
    del store[cmd.id]
    return Reply(204)


_APP = "/applications/{application_id}"
_GUILD_CMDS = _APP + "/guilds/{guild_id}/commands"

ROUTES = [
    RouteSpec("GET", "/gateway", get_gateway, auth=False),
    RouteSpec("GET", "/gateway/bot", get_gateway_bot),
    RouteSpec("GET", "/users/@me", get_current_user),
    RouteSpec("GET", "/users/{user_id}", get_user),
    RouteSpec("GET", "/oauth2/applications/@me", get_application),
    RouteSpec("GET", "/applications/@me", get_application),
    RouteSpec("GET", _APP + "/commands", list_commands),
    RouteSpec("PUT", _APP + "/commands", bulk_overwrite_commands),
    RouteSpec("POST", _APP + "/commands", create_command),
    RouteSpec("GET", _APP + "/commands/{command_id}", get_command),
    RouteSpec("PATCH", _APP + "/commands/{command_id}", edit_command),
    RouteSpec("DELETE", _APP + "/commands/{command_id}", delete_command),
    RouteSpec("GET", _GUILD_CMDS, list_commands),
    RouteSpec("PUT", _GUILD_CMDS, bulk_overwrite_commands),
    RouteSpec("POST", _GUILD_CMDS, create_command),
    RouteSpec("GET", _GUILD_CMDS + "/{command_id}", get_command),
    RouteSpec("PATCH", _GUILD_CMDS + "/{command_id}", edit_command),
    RouteSpec("DELETE", _GUILD_CMDS + "/{command_id}", delete_command),
]
