"""All REST routes, plus the non-API endpoints (gateway websocket, attachment downloads)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from discord_sandbox.rest import (
    routes_channels,
    routes_events,
    routes_guilds,
    routes_interactions,
    routes_messages,
    routes_meta,
)
from discord_sandbox.rest.app import RouteSpec

if TYPE_CHECKING:
    from discord_sandbox.server import Sandbox


def all_routes() -> list[RouteSpec]:
    # Order matters where templates overlap: literal segments (@me, pins) come first.
    modules = [
        routes_meta,
        routes_interactions,
        routes_messages,
        routes_channels,
        routes_guilds,
        routes_events,
    ]
    return [spec for module in modules for spec in module.ROUTES]


def extra_routes(sb: Sandbox) -> list[web.RouteDef]:
    async def attachment(request: web.Request) -> web.StreamResponse:
        att = sb.state.attachments.get(request.match_info["attachment_id"])
        if att is None:
            raise web.HTTPNotFound()
        ctype = att.content_type or "application/octet-stream"
        return web.Response(body=att.data, headers={"Content-Type": ctype})

    return [
        web.get("/", sb.gateway.handle),
        web.get("/attachments/{attachment_id}/{filename}", attachment),
    ]
