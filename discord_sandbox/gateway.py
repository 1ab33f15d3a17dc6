"""Discord gateway (v10, JSON encoding) over an aiohttp websocket.

Each IDENTIFY creates a :class:`GatewaySession` with its own sequence numbers and a bounded
backlog of already-serialised dispatch frames, so that RESUME can replay exactly what the
client missed. Frames are sent as plain text: discord.py asks for ``compress=zlib-stream`` but
only decompresses *binary* frames, and text frames are cheaper for us to produce.

Dispatch is synchronous for callers (it only appends to per-session outboxes); one writer task
per connection drains the outbox, which keeps frame order equal to sequence order.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from discord_sandbox.intents import Intents
from discord_sandbox.jsonfast import dumps, loads
from discord_sandbox.serialize import current_user_json, guild_create_json, member_json

if TYPE_CHECKING:
    from discord_sandbox.state import SandboxState

JSON = dict[str, Any]
_dumps = dumps

BACKLOG_LIMIT = 20_000
MEMBER_CHUNK_SIZE = 1000
# Privileged intents the sandbox application has "enabled in the developer portal".
APPLICATION_FLAGS = (1 << 12) | (1 << 14) | (1 << 18)


class GatewayOp:
    DISPATCH = 0
    HEARTBEAT = 1
    IDENTIFY = 2
    PRESENCE_UPDATE = 3
    VOICE_STATE_UPDATE = 4
    RESUME = 6
    RECONNECT = 7
    REQUEST_GUILD_MEMBERS = 8
    INVALID_SESSION = 9
    HELLO = 10
    HEARTBEAT_ACK = 11


@dataclass(eq=False)
class GatewaySession:
    session_id: str
    intents: int
    seq: int = 0
    backlog: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=BACKLOG_LIMIT))
    outbox: list[str] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    idle: asyncio.Event = field(default_factory=asyncio.Event)  # outbox fully written
    ws: web.WebSocketResponse | None = None
    transport: asyncio.BaseTransport | None = None

    def push(self, event: str, data_json: str) -> None:
        self.seq += 1
        frame = f'{{"op":0,"s":{self.seq},"t":"{event}","d":{data_json}}}'
        self.backlog.append((self.seq, frame))
        if self.ws is not None:
            self.outbox.append(frame)
            self.idle.clear()
            self.wake.set()


@dataclass(eq=False)
class EventWaiter:
    event: str
    predicate: Callable[[JSON], bool]
    future: asyncio.Future[JSON]


class Gateway:
    def __init__(
        self,
        state: SandboxState,
        token: str,
        url: Callable[[], str],
        heartbeat_interval_ms: int = 41250,
    ) -> None:
        self._state = state
        self._token = token
        self._url = url
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.sessions: dict[str, GatewaySession] = {}
        self.heartbeat_acks = True
        self.identify_count = 0
        self.resume_count = 0
        self.history: deque[tuple[str, JSON]] = deque(maxlen=10_000)
        self._waiters: list[EventWaiter] = []
        self._connections: set[web.WebSocketResponse] = set()
        # Called with (event, data) after every dispatch (the web client follows the world).
        self.listeners: list[Callable[[str, JSON], None]] = []

    # ---- dispatch -------------------------------------------------------------------------
    def dispatch(
        self,
        event: str,
        data: JSON,
        *,
        intent: int = 0,
        without_content: JSON | None = None,
        encode: Callable[[], str] | None = None,
    ) -> None:
        """Send a dispatch event to every session whose intents allow it.

        ``intent`` is the intent bit gating the event (0: always sent). ``without_content`` is
        the variant for sessions lacking MESSAGE_CONTENT (content/embeds/... blanked).
        ``encode``: returns ``data`` serialised, when the caller can do it more cheaply (called
        only if a session receives the full variant).
        """
        self.history.append((event, data))
        full_json: str | None = None
        stripped_json: str | None = None
        for session in self.sessions.values():
            if intent and not session.intents & intent:
                continue
            if without_content is not None and not session.intents & Intents.MESSAGE_CONTENT:
                if stripped_json is None:
                    stripped_json = _dumps(without_content)
                session.push(event, stripped_json)
            else:
                if full_json is None:
                    full_json = _dumps(data) if encode is None else encode()
                session.push(event, full_json)
        if self._waiters:
            self._notify_waiters(event, data)
        for listener in self.listeners:
            listener(event, data)

    def _notify_waiters(self, event: str, data: JSON) -> None:
        remaining: list[EventWaiter] = []
        for waiter in self._waiters:
            if waiter.future.done():
                continue
            if waiter.event == event and waiter.predicate(data):
                waiter.future.set_result(data)
            else:
                remaining.append(waiter)
        self._waiters = remaining

    def wait_for(self, event: str, predicate: Callable[[JSON], bool]) -> asyncio.Future[JSON]:
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        self._waiters.append(EventWaiter(event, predicate, future))
        return future

    async def drain(self) -> None:
        """Wait until every connected session's pending events are written to its socket."""
        for session in list(self.sessions.values()):
            if session.ws is not None and session.outbox:
                await session.idle.wait()

    @property
    def connected_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if s.ws is not None]

    # ---- fault injection -------------------------------------------------------------------
    async def send_reconnect(self) -> None:
        for session in self.connected_sessions:
            assert session.ws is not None
            await session.ws.send_str(_dumps({"op": GatewayOp.RECONNECT, "d": None}))

    async def send_invalid_session(self, resumable: bool) -> None:
        for session in self.connected_sessions:
            assert session.ws is not None
            await session.ws.send_str(_dumps({"op": GatewayOp.INVALID_SESSION, "d": resumable}))
            if not resumable:
                self.sessions.pop(session.session_id, None)

    def close_abruptly(self) -> None:
        """Drop the TCP connections without a close frame (like a network failure)."""
        for session in self.connected_sessions:
            if session.transport is not None:
                session.transport.abort()  # type: ignore[attr-defined]
            session.ws = None

    async def close_all(self) -> None:
        for ws in list(self._connections):
            with contextlib.suppress(Exception):
                await ws.close(code=1001)

    # ---- websocket handler -------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._connections.add(ws)
        session: GatewaySession | None = None
        writer: asyncio.Task[None] | None = None
        try:
            await ws.send_str(
                _dumps(
                    {"op": GatewayOp.HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
                )
            )
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.ERROR:
                        break
                    continue
                payload = loads(msg.data)
                op = payload.get("op")
                data = payload.get("d")
                if op == GatewayOp.HEARTBEAT:
                    if self.heartbeat_acks:
                        await ws.send_str('{"op":11,"d":null}')
                elif op == GatewayOp.IDENTIFY and session is None:
                    session = await self._identify(ws, request, data)
                    if session is None:
                        break
                    writer = asyncio.create_task(self._writer(session, ws))
                elif op == GatewayOp.RESUME and session is None:
                    session = await self._resume(ws, request, data)
                    if session is None:
                        break
                    writer = asyncio.create_task(self._writer(session, ws))
                elif op == GatewayOp.REQUEST_GUILD_MEMBERS and session is not None:
                    self._members_chunk(session, data)
                # PRESENCE_UPDATE / VOICE_STATE_UPDATE: accepted and ignored.
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(ws)
            if writer is not None:
                writer.cancel()
            if session is not None and session.ws is ws:
                session.ws = None
                session.outbox.clear()
        return ws

    async def _writer(self, session: GatewaySession, ws: web.WebSocketResponse) -> None:
        try:
            while not ws.closed:
                await session.wake.wait()
                session.wake.clear()
                if session.ws is not ws:
                    return
                frames, session.outbox = session.outbox, []
                for frame in frames:
                    await ws.send_str(frame)
                if not session.outbox:
                    session.idle.set()
        except (ConnectionResetError, RuntimeError):
            return

    async def _identify(
        self, ws: web.WebSocketResponse, request: web.Request, data: JSON
    ) -> GatewaySession | None:
        if not isinstance(data, dict) or data.get("token") != self._token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents >= (1 << 26):
            await ws.close(code=4013, message=b"Invalid intent(s).")
            return None
        # A client that identifies anew has given up its old sessions; forget the
        # disconnected ones instead of buffering events for them forever.
        for sid in [sid for sid, s in self.sessions.items() if s.ws is None]:
            del self.sessions[sid]
        self.identify_count += 1
        session = GatewaySession(session_id=secrets.token_hex(16), intents=intents)
        session.ws = ws
        session.transport = request.transport
        self.sessions[session.session_id] = session
        state = self._state
        ready: JSON = {
            "v": 10,
            "user": current_user_json(state.bot_user),
            "guilds": [{"id": gid, "unavailable": True} for gid in state.guilds],
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self._url(),
            "application": {"id": state.application_id, "flags": APPLICATION_FLAGS},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
            "auth": {},
            "user_settings": {},
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        session.push("READY", _dumps(ready))
        all_members = bool(intents & Intents.GUILD_PRESENCES)
        for guild in state.guilds.values():
            session.push(
                "GUILD_CREATE", _dumps(guild_create_json(state, guild, all_members=all_members))
            )
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, request: web.Request, data: JSON
    ) -> GatewaySession | None:
        if not isinstance(data, dict) or data.get("token") != self._token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq") or 0
        if session is None or (session.backlog and session.backlog[0][0] > seq + 1):
            # Unknown session, or the events it missed have left the backlog: not resumable.
            await ws.send_str(_dumps({"op": GatewayOp.INVALID_SESSION, "d": False}))
            return None
        if session.ws is not None and session.ws is not ws:
            with contextlib.suppress(Exception):
                await session.ws.close(code=4000)
        self.resume_count += 1
        session.ws = ws
        session.transport = request.transport
        session.outbox = [frame for s, frame in session.backlog if s > seq]
        session.push("RESUMED", "{}")
        return session

    def _members_chunk(self, session: GatewaySession, data: JSON) -> None:
        guild = self._state.guilds.get(str(data.get("guild_id")))
        if guild is None:
            return
        user_ids = data.get("user_ids")
        query = str(data.get("query") or "").lower()
        limit = int(data.get("limit") or 0)
        members = list(guild.members.values())
        if user_ids:
            wanted = {str(u) for u in (user_ids if isinstance(user_ids, list) else [user_ids])}
            members = [m for m in members if m.user_id in wanted]
        elif query:
            users = self._state.users
            members = [m for m in members if users[m.user_id].username.lower().startswith(query)]
        if limit:
            members = members[:limit]
        chunks = [
            members[i : i + MEMBER_CHUNK_SIZE] for i in range(0, len(members), MEMBER_CHUNK_SIZE)
        ] or [[]]
        for index, chunk in enumerate(chunks):
            payload: JSON = {
                "guild_id": guild.id,
                "members": [member_json(self._state, m) for m in chunk],
                "chunk_index": index,
                "chunk_count": len(chunks),
            }
            if data.get("nonce") is not None:
                payload["nonce"] = data["nonce"]
            session.push("GUILD_MEMBERS_CHUNK", _dumps(payload))
