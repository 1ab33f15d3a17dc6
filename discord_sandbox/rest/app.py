"""The HTTP side: one wrapper per route doing auth, faults, rate limits, body decoding,
schema validation, logging and Discord-exact response headers."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from discord_sandbox.rest.body import read_body
from discord_sandbox.rest.context import Reply, RequestContext
from discord_sandbox.rest.errors import DiscordError, invalid_form_body, unauthorized
from discord_sandbox.rest.log import RestCall

if TYPE_CHECKING:
    from discord_sandbox.server import Sandbox

API_PREFIX = "/api/v10"
# Discord serves v9 with the same routes, and an unversioned /api as the default version.
API_PREFIXES = (API_PREFIX, "/api/v9", "/api")
Handler = Callable[[RequestContext], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class RouteSpec:
    method: str
    template: str
    handler: Handler
    auth: bool = True  # interaction/webhook-token routes are authorised by their token
    # Told about every error reply of this route (used to record refused interaction callbacks).
    on_error: Callable[[Sandbox, dict[str, str], DiscordError], None] | None = None
    # Told when a request arrives, before auth, faults and validation, with time.monotonic()
    # (used to time interaction callbacks as Discord would see them arrive).
    on_arrival: Callable[[Sandbox, dict[str, str], float], None] | None = None
    # Discord does not rate-limit the route (interaction callbacks): no 429s, no X-RateLimit-*.
    rate_limited: bool = True


def json_response(status: int, body: Any, headers: dict[str, str]) -> web.Response:
    if status == 204 or body is None:
        return web.Response(status=204 if body is None else status, headers=headers)
    return encoded_response(status, orjson.dumps(body, option=orjson.OPT_NON_STR_KEYS), headers)


def encoded_response(status: int, encoded: bytes, headers: dict[str, str]) -> web.Response:
    """A reply whose JSON body is already serialised."""
    # discord.py compares the header with == 'application/json', so no charset parameter.
    headers["Content-Type"] = "application/json"
    return web.Response(status=status, body=encoded, headers=headers)


def make_handler(
    sb: Sandbox, spec: RouteSpec, prefix: str = API_PREFIX
) -> Callable[[web.Request], Awaitable[web.Response]]:
    method = spec.method
    route = spec.template
    prefix_len = len(prefix)

    async def handle(request: web.Request) -> web.Response:
        path = request.path[prefix_len:]
        params = dict(request.match_info)
        if spec.on_arrival is not None:
            spec.on_arrival(sb, params, time.monotonic())
        body: Any = None
        body_bytes: bytes | None = None
        files: list[Any] = []
        headers: dict[str, str] = {}
        try:
            if spec.auth and request.headers.get("Authorization") != sb.auth_header:
                raise unauthorized()
            faults = sb.faults
            if faults:
                delay = faults.take_delay(method, route, path)
                if delay:
                    await asyncio.sleep(delay)
                status = faults.take_failure(method, route, path)
                if status is not None:
                    raise DiscordError(status, 0, f"{status}: injected failure")
            if spec.rate_limited:
                verdict = sb.rate_limiter.check(method, route, params)
                headers = verdict.headers
                if verdict.retry_after is not None:
                    headers["Via"] = "1.1 google"  # discord.py only retries 429s with Via
                    raise _RateLimited(verdict.retry_after)
            body, files, body_bytes = await read_body(request)
            validator = sb.validator
            if validator is not None:  # the path's ids too, with or without a body
                errors = validator.validate_request(method, path, body)
                if errors:
                    raise invalid_form_body(errors)
            ctx = RequestContext(
                sb=sb,
                method=method,
                route=route,
                path=path,
                params=params,
                query=request.query,
                body=body,
                files=files,
                reason=request.headers.get("X-Audit-Log-Reason"),
            )
            reply = await spec.handler(ctx)
            # Write the gateway events this request caused before its reply, as Discord
            # usually delivers them: clients see consistent caches right after a request.
            await sb.gateway.drain()
        except _RateLimited as limited:
            reply = Reply(
                429,
                {
                    "message": "You are being rate limited.",
                    "retry_after": limited.retry_after,
                    "global": False,
                    "code": 0,
                },
            )
        except DiscordError as err:
            reply = Reply(err.status, err.body())
            if spec.on_error is not None and err.status != 401:
                spec.on_error(sb, params, err)
        encoded: bytes | None = None
        if reply.body is not None and reply.status != 204:
            encoded = (
                reply.encoded
                if reply.encoded is not None
                else orjson.dumps(reply.body, option=orjson.OPT_NON_STR_KEYS)
            )
        sb.record_call(
            RestCall(
                method,
                route,
                path,
                body if body_bytes is None else None,
                reply.status,
                reply.body if encoded is None else None,
                files,
                dict(request.query),
                body_bytes=body_bytes,
                response_bytes=encoded,
            )
        )
        if encoded is None:
            return json_response(reply.status, reply.body, headers)
        return encoded_response(reply.status, encoded, headers)

    return handle


class _RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts))


def _unrouted(
    routes: list[RouteSpec],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    """Discord's JSON replies for what no route serves: 405 for a known path with another
    method, 404 otherwise."""
    patterns = [_template_pattern(t) for t in dict.fromkeys(spec.template for spec in routes)]

    async def unrouted(request: web.Request) -> web.Response:
        tail = "/" + request.match_info.get("tail", "")
        if any(pattern.fullmatch(tail) for pattern in patterns):
            return json_response(405, {"message": "405: Method Not Allowed", "code": 0}, {})
        return json_response(404, {"message": "404: Not Found", "code": 0}, {})

    return unrouted


def build_app(sb: Sandbox, routes: list[RouteSpec], extra: list[web.RouteDef]) -> web.Application:
    app = web.Application(client_max_size=64 * 1024 * 1024)
    for prefix in API_PREFIXES:
        for spec in routes:
            app.router.add_route(
                spec.method, prefix + spec.template, make_handler(sb, spec, prefix)
            )
    app.add_routes(extra)
    unrouted = _unrouted(routes)
    for prefix in API_PREFIXES:
        app.router.add_route("*", prefix + "/{tail:.*}", unrouted)
    return app
