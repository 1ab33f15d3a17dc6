"""The web client's HTTP side: static files under ``/app/`` and a JSON API under
``/app/api/`` on top of the user driver (:mod:`discord_sandbox.driver`), with live updates as
server-sent events. It talks to the sandbox's state and driver only, so it works with any bot
connected to the sandbox.

Reads: ``GET /app/api/state?user=alice`` (channels, people and roles, commands, events, who
you are), ``GET /app/api/messages?user=alice&channel=ID`` (a channel's messages and alice's
ephemeral replies there), ``GET /app/api/events?user=alice`` (server-sent events:
``message``, ``message_delete``, ``channels``, ``people``, ``commands``, ``events``).

Actions, ``POST /app/api/NAME`` with a JSON object naming the acting ``user``:
``users {name}`` (a new member joins), ``slash {channel, command, options}``,
``autocomplete {channel, command, option, value, options}``, ``click {message, button}``
(custom_id), ``select {message, select, values}``, ``modal {values}`` (fields by custom_id),
``say {channel, text, files}`` (files: ``[{name, base64}]``), ``thread {channel, name,
text}`` (a thread, or a post in a forum), ``give_role`` / ``take_role {role, member}``,
``interested {event, interested}``, ``create_channel {name, type, parent}``.

Refusals (the client would not let you, a name that matches nothing) answer 400
``{"error": ...}``; an interaction the bot did not answer properly answers 200
``{"ok": false, "failed": ...}``, shown as Discord's "This interaction failed".
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import orjson
from aiohttp import web

from discord_sandbox.driver import CommandError, InteractionFailed, InteractionResult, UserDriver
from discord_sandbox.models import JSON, ChannelType, User
from discord_sandbox.state import NotFound
from discord_sandbox.web.hub import Hub
from discord_sandbox.web.view import is_visible, message_view, messages_of, state_view

if TYPE_CHECKING:
    from discord_sandbox.server import Sandbox

STATIC = Path(__file__).with_name("static")
KEEPALIVE_SECONDS = 15.0
_CHANNEL_TYPES = {
    "text": ChannelType.GUILD_TEXT,
    "category": ChannelType.GUILD_CATEGORY,
    "forum": ChannelType.GUILD_FORUM,
    "announcement": ChannelType.GUILD_ANNOUNCEMENT,
}


class BadRequest(Exception):
    """The request names nothing usable: answered 400 with the message."""


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        text=orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS).decode(),
        content_type="application/json",
        headers={"Cache-Control": "no-store"},
    )


def _text(body: JSON, key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{key!r} is missing")
    return value.strip()


class WebApi:
    def __init__(self, sb: Sandbox, hub: Hub) -> None:
        self.sb = sb
        self.hub = hub

    # ---- lookups -----------------------------------------------------------------------------
    def _user(self, ref: Any) -> User:
        if not isinstance(ref, str) or not ref.strip():
            raise BadRequest("'user' is missing")
        try:
            user = self.sb.state.find_user(ref.strip())
        except NotFound:
            raise BadRequest(f"there is no user {ref!r}: create them first") from None
        if user.bot:
            raise BadRequest(f"{user.username} is a bot: act as a person")
        return user

    def _driver(self, ref: Any) -> UserDriver:
        return self.sb.user(self._user(ref).username)

    def _channel_for(self, user: User, ref: Any) -> Any:
        if not isinstance(ref, str) or not ref:
            raise BadRequest("'channel' is missing")
        try:
            channel = self.sb.state.find_channel(ref)
        except NotFound:
            raise BadRequest(f"there is no channel {ref!r}") from None
        if not is_visible(self.sb.state, channel, user.id):
            raise BadRequest(f"{user.username} cannot see #{channel.name}")
        return channel

    def _result(self, result: InteractionResult) -> JSON:
        state = self.sb.state
        msg = state.message_by_id(result.record.original_message_id or "")
        return {
            "ok": True,
            "response_type": result.response_type,
            "ephemeral": result.ephemeral,
            "message": None if msg is None else message_view(self.sb, msg),
            "modal": result.modal,
        }

    # ---- reads -------------------------------------------------------------------------------
    async def state(self, request: web.Request) -> web.Response:
        user = self._user(request.query.get("user"))
        return _json(state_view(self.sb, user.id))

    async def messages(self, request: web.Request) -> web.Response:
        user = self._user(request.query.get("user"))
        channel = self._channel_for(user, request.query.get("channel"))
        shown = messages_of(self.sb, channel, user.id)
        return _json([message_view(self.sb, m) for m in shown])

    async def events(self, request: web.Request) -> web.StreamResponse:
        user = self._user(request.query.get("user"))
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        sub = self.hub.subscribe(user.id)
        try:
            await response.write(b"event: hello\ndata: {}\n\n")
            while True:
                try:
                    frame = await asyncio.wait_for(sub.queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if frame is None:
                    break
                name, text = frame
                await response.write(f"event: {name}\ndata: {text}\n\n".encode())
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self.hub.unsubscribe(sub)
        return response

    # ---- people ------------------------------------------------------------------------------
    async def create_user(self, body: JSON) -> JSON:
        name = _text(body, "name")
        if len(name) > 32 or any(c in name for c in "@#:`"):
            raise BadRequest("a name has at most 32 characters and no @ # : or `")
        if name.lower() in self.sb.state.users_by_name:
            raise BadRequest(f"{name} exists already: pick them in the list")
        driver = self.sb.user(name)
        return {"ok": True, "user": driver.user.id}

    async def give_role(self, body: JSON) -> JSON:
        driver = self._driver(body.get("user"))
        await driver.give_role(_text(body, "role"), self._user(body.get("member")).id)
        return {"ok": True}

    async def take_role(self, body: JSON) -> JSON:
        driver = self._driver(body.get("user"))
        await driver.take_role(_text(body, "role"), self._user(body.get("member")).id)
        return {"ok": True}

    async def interested(self, body: JSON) -> JSON:
        driver = self._driver(body.get("user"))
        event = _text(body, "event")
        if body.get("interested", True):
            await driver.interested(event)
        else:
            await driver.uninterested(event)
        return {"ok": True}

    async def create_channel(self, body: JSON) -> JSON:
        driver = self._driver(body.get("user"))
        kind = str(body.get("type") or "text")
        if kind not in _CHANNEL_TYPES:
            raise BadRequest(f"a channel is one of {', '.join(_CHANNEL_TYPES)}, not {kind!r}")
        parent = body.get("parent") or None
        channel = await driver.create_channel(
            _text(body, "name"), _CHANNEL_TYPES[kind], parent=parent
        )
        return {"ok": True, "channel": channel.id}

    # ---- messages ----------------------------------------------------------------------------
    async def say(self, body: JSON) -> JSON:
        driver = self._driver(body.get("user"))
        channel = self._channel_for(driver.user, body.get("channel"))
        text = body.get("text")
        if not isinstance(text, str):
            raise BadRequest("'text' is missing")
        files = [self._file(f) for f in body.get("files") or ()]
        if not text.strip() and not files:
            raise BadRequest("type a message or attach a file")
        message = await driver.say(channel, text, files=files or None)
        return {"ok": True, "message": message["id"]}

    async def thread(self, body: JSON) -> JSON:
        driver = self._driver(body.get("user"))
        channel = self._channel_for(driver.user, body.get("channel"))
        thread = await driver.start_thread(channel, _text(body, "name"), _text(body, "text"))
        return {"ok": True, "channel": thread.id}

    @staticmethod
    def _file(item: Any) -> tuple[str, bytes]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise BadRequest("a file is {name, base64}")
        try:
            return item["name"], base64.b64decode(str(item.get("base64") or ""), validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(f"file {item['name']!r} is not base64") from None

    # ---- interactions ------------------------------------------------------------------------
    def _options(self, body: JSON) -> dict[str, Any]:
        options = body.get("options") or {}
        if not isinstance(options, dict):
            raise BadRequest("'options' is an object of name: value")
        out: dict[str, Any] = {}
        for key, value in options.items():
            if isinstance(value, dict) and "base64" in value:
                value = self._file(value)
            out[str(key)] = value
        return out

    async def slash(self, body: JSON) -> JSON:
        driver = self._driver(body.get("user"))
        channel = self._channel_for(driver.user, body.get("channel"))
        command = _text(body, "command").lstrip("/")
        result = await driver.slash(command, in_channel=channel, **self._options(body))
        return self._result(result)

    async def autocomplete(self, body: JSON) -> JSON:
        driver = self._driver(body.get("user"))
        channel = self._channel_for(driver.user, body.get("channel"))
        value = body.get("value")
        choices = await driver.autocomplete(
            _text(body, "command").lstrip("/"),
            _text(body, "option"),
            "" if value is None else str(value),
            in_channel=channel,
            **self._options(body),
        )
        return {"ok": True, "choices": choices}

    async def click(self, body: JSON) -> JSON:
        driver = self._driver(body.get("user"))
        result = await driver.click(_text(body, "message"), _text(body, "button"))
        return self._result(result)

    async def select(self, body: JSON) -> JSON:
        driver = self._driver(body.get("user"))
        values = body.get("values")
        if not isinstance(values, list):
            raise BadRequest("'values' is a list")
        result = await driver.select(_text(body, "message"), _text(body, "select"), values)
        return self._result(result)

    async def modal(self, body: JSON) -> JSON:
        driver = self._driver(body.get("user"))
        values = body.get("values")
        if not isinstance(values, dict):
            raise BadRequest("'values' is an object of field: value")
        result = await driver.submit_modal(values)
        return self._result(result)


def _action(
    handler: Callable[[JSON], Awaitable[JSON]],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handle(request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return _json({"error": "the request body is not JSON"}, 400)
        if not isinstance(body, dict):
            return _json({"error": "the request body is a JSON object"}, 400)
        try:
            return _json(await handler(body))
        except InteractionFailed as failed:
            failure = {"ok": False, "failed": "This interaction failed", "reason": failed.reason}
            return _json(failure)
        except (BadRequest, CommandError, LookupError, ValueError) as error:
            return _json({"error": str(error).strip("'\"")}, 400)

    return handle


def _read(
    handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handle(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except BadRequest as error:
            return _json({"error": str(error)}, 400)

    return handle


def build_web_app(sb: Sandbox, hub: Hub) -> web.Application:
    api = WebApi(sb, hub)

    async def index(_request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})

    async def to_app(_request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound("/app/")

    app = web.Application(client_max_size=32 * 1024 * 1024)
    app.router.add_get("/", to_app)
    app.router.add_get("/app", to_app)
    app.router.add_get("/app/", index)
    app.router.add_static("/app/static/", STATIC)
    app.router.add_get("/app/api/state", _read(api.state))
    app.router.add_get("/app/api/messages", _read(api.messages))
    app.router.add_get("/app/api/events", _read(api.events))
    actions: dict[str, Callable[[JSON], Awaitable[JSON]]] = {
        "users": api.create_user,
        "give_role": api.give_role,
        "take_role": api.take_role,
        "interested": api.interested,
        "create_channel": api.create_channel,
        "say": api.say,
        "thread": api.thread,
        "slash": api.slash,
        "autocomplete": api.autocomplete,
        "click": api.click,
        "select": api.select,
        "modal": api.modal,
    }
    for name, handler in actions.items():
        app.router.add_post(f"/app/api/{name}", _action(handler))
    return app


class WebClient:
    """A Discord-like web client for the sandbox's first guild, on its own loopback port::

    web = WebClient(sb)
    await web.start()          # 127.0.0.1, a free port
    print(web.url)             # http://127.0.0.1:PORT/app/
    ...
    await web.stop()
    """

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.hub = Hub(sb)
        self._runner: web.AppRunner | None = None
        self._host = "127.0.0.1"
        self._port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.hub.attach()
        app = build_web_app(self.sb, self.hub)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self._host = host
        self._port = server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self.hub.detach()  # ends the event streams
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> WebClient:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._port}/app/"


async def start_web_client(sb: Sandbox, out: TextIO) -> WebClient:
    """Start the web client for ``sb`` and write its address to ``out`` (one line)."""
    client = WebClient(sb)
    await client.start()
    out.write(f"Web client: {client.url} (open it in a browser; ?user=NAME acts as NAME)\n")
    out.flush()
    return client
