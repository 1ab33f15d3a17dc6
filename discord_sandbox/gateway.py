"""Discord gateway (v10, JSON encoding) over an aiohttp websocket.

Each IDENTIFY creates a :class:`GatewaySession` with its own sequence numbers and a bounded
backlog of already-serialised dispatch frames, so that RESUME can replay exactly what the
client missed.

Each websocket is a :class:`GatewayConnection` that writes frames as Discord does for what the
client asked: ``compress=zlib-stream`` in the URL makes every frame (HELLO included) a binary
message from one zlib context per connection, ending with the ``Z_SYNC_FLUSH`` suffix;
``compress=zstd-stream`` the same with one zstd context (when a zstd module is installed);
``"compress": true`` in IDENTIFY without transport compression makes each later payload its own
zlib stream in a binary message; otherwise frames are text. The client's payloads may be text
or binary (UTF-8 JSON, or a zlib stream). What the sandbox cannot handle is closed with
Discord's close code (4001 unknown opcode, 4002 decode error, 4003 not authenticated, 4005
already authenticated, 4012 invalid API version) and logged.

Dispatch is synchronous for callers (it only appends to per-session outboxes); one writer task
per connection drains the outbox, which keeps frame order equal to sequence order.

Sharding is Discord's: IDENTIFY may carry ``shard: [shard_id, num_shards]`` (4010 Invalid shard
when it is not a valid pair); the session then receives only the guilds with
``(guild_id >> 22) % num_shards == shard_id`` (READY, GUILD_CREATE and every later event of
those guilds), and events without a guild (DMs) only on shard 0. Each session is routed by its
own pair, so several processes (or sessions with different ``num_shards``) share one sandbox; two
sessions on the same shard both receive its events, as on Discord. A session that would hold more
than :attr:`Gateway.guilds_per_shard` guilds is closed with 4011 Sharding required.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import secrets
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import WSMsgType, web

from discord_sandbox.intents import Intents
from discord_sandbox.serialize import current_user_json, guild_create_json, member_json

if TYPE_CHECKING:
    from discord_sandbox.state import SandboxState

JSON = dict[str, Any]
_log = logging.getLogger(__name__)


def _dumps(value: Any) -> str:
    """A gateway frame's text: compact JSON, keys that are not strings written as strings."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


BACKLOG_LIMIT = 20_000
MEMBER_CHUNK_SIZE = 1000
# Privileged intents the sandbox application has "enabled in the developer portal".
APPLICATION_FLAGS = (1 << 12) | (1 << 14) | (1 << 18)
# Gateway versions Discord serves (``v`` in the URL; absent means the default).
SUPPORTED_VERSIONS = frozenset({"9", "10"})
ZLIB_SUFFIX = b"\x00\x00\xff\xff"
# Discord's limits: a shard holds at most 2,500 guilds; 1,000 IDENTIFYs a day; IDENTIFYs of one
# max_concurrency bucket at most once per 5 seconds.
GUILDS_PER_SHARD = 2500
SESSION_START_TOTAL = 1000
SESSION_START_RESET_MS = 86_400_000
IDENTIFY_BUCKET_SECONDS = 5.0


def shard_of(guild_id: str | int, num_shards: int) -> int:
    """The shard a guild's events go to when a bot runs ``num_shards`` shards (Discord's
    formula: ``(guild_id >> 22) % num_shards``)."""
    return (int(guild_id) >> 22) % num_shards


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
    REQUEST_SOUNDBOARD_SOUNDS = 31


class CloseCode:
    """Discord's gateway close codes, with the reason text Discord sends."""

    UNKNOWN_ERROR = 4000
    UNKNOWN_OPCODE = 4001
    DECODE_ERROR = 4002
    NOT_AUTHENTICATED = 4003
    AUTHENTICATION_FAILED = 4004
    ALREADY_AUTHENTICATED = 4005
    INVALID_SHARD = 4010
    SHARDING_REQUIRED = 4011
    INVALID_API_VERSION = 4012
    INVALID_INTENTS = 4013

    REASONS: dict[int, str] = {  # noqa: RUF012 - read-only table
        4000: "Unknown error.",
        4001: "Unknown opcode.",
        4002: "Decode error.",
        4003: "Not authenticated.",
        4004: "Authentication failed.",
        4005: "Already authenticated.",
        4010: "Invalid shard.",
        4011: "Sharding required.",
        4012: "Invalid API version.",
        4013: "Invalid intent(s).",
    }


# Ops a client may send once identified (HEARTBEAT, IDENTIFY and RESUME are handled apart).
_SESSION_OPS = frozenset(
    {
        GatewayOp.PRESENCE_UPDATE,
        GatewayOp.VOICE_STATE_UPDATE,
        GatewayOp.REQUEST_GUILD_MEMBERS,
        GatewayOp.REQUEST_SOUNDBOARD_SOUNDS,
    }
)


class GatewayClose(Exception):
    """Raised while handling a client's payload: close the connection with ``code``."""

    def __init__(self, code: int, detail: str) -> None:
        super().__init__(f"{code} {detail}")
        self.code = code
        self.detail = detail


class _SessionRefused(Exception):
    """IDENTIFY or RESUME was answered with a close or op 9: the connection ends."""


def _zstd_stream_encoder() -> Callable[[bytes], bytes] | None:
    """One zstd compression context, flushed after each message (None: no zstd module)."""
    for name in ("compression.zstd", "backports.zstd"):
        with contextlib.suppress(ImportError):
            module: Any = __import__(name, fromlist=["ZstdCompressor"])
            compressor = module.ZstdCompressor()
            block = module.ZstdCompressor.FLUSH_BLOCK
            return lambda data: bytes(compressor.compress(data, mode=block))
    try:
        import zstandard  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return None
    stream = zstandard.ZstdCompressor().compressobj()
    flush = zstandard.COMPRESSOBJ_FLUSH_BLOCK
    return lambda data: bytes(stream.compress(data) + stream.flush(flush))


def _zlib_stream_encoder() -> Callable[[bytes], bytes]:
    """One zlib context for the connection; each message ends with the Z_SYNC_FLUSH suffix."""
    compressor = zlib.compressobj()
    sync = zlib.Z_SYNC_FLUSH
    return lambda data: compressor.compress(data) + compressor.flush(sync)


class GatewayConnection:
    """One websocket and how frames are written to it (text, or compressed as asked)."""

    def __init__(self, ws: web.WebSocketResponse, transport_compression: str | None) -> None:
        self.ws = ws
        self.transport_compression = transport_compression
        self.payload_compression = False
        self.binary_frames_received = 0
        self._stream: Callable[[bytes], bytes] | None = None
        if transport_compression == "zlib-stream":
            self._stream = _zlib_stream_encoder()
        elif transport_compression == "zstd-stream":
            self._stream = _zstd_stream_encoder()

    async def send(self, frame: str) -> None:
        # Compressing and handing the bytes to aiohttp happen with no await in between (the
        # writer writes uncompressed websocket frames synchronously), so frames reach the
        # socket in the order their compression context produced them.
        if self._stream is not None:
            await self.ws.send_bytes(self._stream(frame.encode()))
        elif self.payload_compression:
            await self.ws.send_bytes(zlib.compress(frame.encode()))
        else:
            await self.ws.send_str(frame)

    async def close(self, code: int, detail: str) -> None:
        reason = CloseCode.REASONS.get(code, "")
        _log.warning("gateway: closing a connection with %d %s %s", code, reason, detail)
        with contextlib.suppress(Exception):
            await self.ws.close(code=code, message=reason.encode())


def decode_payload(raw: str | bytes) -> JSON:
    """A client's payload: JSON text, UTF-8 JSON in a binary message, or a zlib stream of it."""
    if isinstance(raw, bytes) and raw[:1] == b"\x78":  # a zlib header: a compressed payload
        try:
            raw = zlib.decompress(raw)
        except zlib.error as error:
            raise GatewayClose(CloseCode.DECODE_ERROR, f"bad zlib payload: {error}") from None
    try:
        payload = orjson.loads(raw)
    except ValueError as error:
        raise GatewayClose(CloseCode.DECODE_ERROR, f"not JSON: {error}") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("op"), int):
        raise GatewayClose(CloseCode.DECODE_ERROR, "not a gateway payload (an object with op)")
    return payload


@dataclass(eq=False)
class GatewaySession:
    session_id: str
    intents: int
    seq: int = 0
    backlog: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=BACKLOG_LIMIT))
    outbox: list[str] = field(default_factory=list)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    idle: asyncio.Event = field(default_factory=asyncio.Event)  # outbox fully written
    conn: GatewayConnection | None = None
    transport: asyncio.BaseTransport | None = None
    # (shard_id, num_shards) from IDENTIFY; None: an unsharded session (receives everything).
    shard: tuple[int, int] | None = None

    def receives(self, guild_id: str | None) -> bool:
        """Whether this session's shard gets the events of ``guild_id`` (None: no guild, which
        Discord sends to shard 0 only)."""
        if self.shard is None:
            return True
        shard_id, num_shards = self.shard
        if guild_id is None:
            return shard_id == 0
        return shard_of(guild_id, num_shards) == shard_id

    @property
    def ws(self) -> web.WebSocketResponse | None:
        return None if self.conn is None else self.conn.ws

    def push(self, event: str, data_json: str) -> None:
        self.seq += 1
        frame = f'{{"op":0,"s":{self.seq},"t":"{event}","d":{data_json}}}'
        self.backlog.append((self.seq, frame))
        if self.conn is not None:
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
        # Every websocket opened, in order (how each asked to be written to; for tests).
        self.connections_opened: deque[GatewayConnection] = deque(maxlen=100)
        # Called with (event, data) after every dispatch (the web client follows the world).
        self.listeners: list[Callable[[str, JSON], None]] = []
        # Sharding settings (Discord's values by default; tests lower guilds_per_shard).
        self.guilds_per_shard = GUILDS_PER_SHARD
        self.max_concurrency = 1
        # Off by default: refuse (op 9) an IDENTIFY in a max_concurrency bucket that identified
        # less than 5 s ago, as Discord does.
        self.enforce_identify_concurrency = False
        self.session_start_total = SESSION_START_TOTAL
        self.session_start_reset_ms = SESSION_START_RESET_MS
        self.clock: Callable[[], float] = time.monotonic  # seconds; tests may move time on
        self._session_starts = 0
        self._session_window_start: float | None = None  # clock() at its first IDENTIFY
        self._bucket_identified: dict[int, float] = {}  # rate limit key -> last IDENTIFY

    # ---- sharding ---------------------------------------------------------------------------
    def recommended_shards(self) -> int:
        """``shards`` of ``GET /gateway/bot``: enough shards for guilds_per_shard, at least 1."""
        return max(1, math.ceil(len(self._state.guilds) / self.guilds_per_shard))

    def session_start_limit(self) -> JSON:
        """``session_start_limit`` of ``GET /gateway/bot``: ``remaining`` goes down with every
        IDENTIFY and is back at ``total`` once ``reset_after`` ms have passed since the first
        IDENTIFY of the window."""
        remaining_ms = self._session_window_remaining_ms()
        starts = self._session_starts if remaining_ms is not None else 0
        return {
            "total": self.session_start_total,
            "remaining": max(0, self.session_start_total - starts),
            "reset_after": self.session_start_reset_ms if remaining_ms is None else remaining_ms,
            "max_concurrency": self.max_concurrency,
        }

    def _session_window_remaining_ms(self) -> int | None:
        """Milliseconds left in the current session start window (None: no window open)."""
        if self._session_window_start is None:
            return None
        elapsed_ms = (self.clock() - self._session_window_start) * 1000
        if elapsed_ms >= self.session_start_reset_ms:
            self._session_window_start = None
            self._session_starts = 0
            return None
        return max(0, math.ceil(self.session_start_reset_ms - elapsed_ms))

    def _count_session_start(self) -> None:
        if self._session_window_remaining_ms() is None:
            self._session_window_start = self.clock()
        self._session_starts += 1

    def _guilds_of(self, shard: tuple[int, int] | None) -> list[str]:
        """Ids of the guilds a session with ``shard`` holds."""
        if shard is None:
            return list(self._state.guilds)
        shard_id, num_shards = shard
        return [gid for gid in self._state.guilds if shard_of(gid, num_shards) == shard_id]

    # ---- dispatch -------------------------------------------------------------------------
    def dispatch(
        self,
        event: str,
        data: JSON,
        *,
        guild_id: str | None,
        intent: int = 0,
        without_content: JSON | None = None,
        encode: Callable[[], str] | None = None,
    ) -> None:
        """Send a dispatch event to every session whose intents allow it and whose shard owns
        ``guild_id`` (the guild the event belongs to; None: no guild, sent to shard 0).

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
            if session.shard is not None and not session.receives(guild_id):
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
            if session.conn is not None and session.outbox:
                await session.idle.wait()

    @property
    def connected_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if s.conn is not None]

    # ---- fault injection -------------------------------------------------------------------
    async def send_reconnect(self) -> None:
        for session in self.connected_sessions:
            assert session.conn is not None
            await session.conn.send(_dumps({"op": GatewayOp.RECONNECT, "d": None}))

    async def send_invalid_session(self, resumable: bool) -> None:
        for session in self.connected_sessions:
            assert session.conn is not None
            await session.conn.send(_dumps({"op": GatewayOp.INVALID_SESSION, "d": resumable}))
            if not resumable:
                self.sessions.pop(session.session_id, None)

    def close_abruptly(self) -> None:
        """Drop the TCP connections without a close frame (like a network failure)."""
        for session in self.connected_sessions:
            if session.transport is not None:
                session.transport.abort()  # type: ignore[attr-defined]
            session.conn = None

    async def close_all(self) -> None:
        for ws in list(self._connections):
            with contextlib.suppress(Exception):
                await ws.close(code=1001)

    # ---- websocket handler -------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._connections.add(ws)
        conn = GatewayConnection(ws, request.query.get("compress"))
        self.connections_opened.append(conn)
        session: GatewaySession | None = None
        writer: asyncio.Task[None] | None = None
        try:
            refusal = _refuse_url(request)
            if refusal is not None:
                await conn.close(*refusal)
                return ws
            await conn.send(
                _dumps(
                    {"op": GatewayOp.HELLO, "d": {"heartbeat_interval": self.heartbeat_interval_ms}}
                )
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT or msg.type == WSMsgType.BINARY:
                    if msg.type == WSMsgType.BINARY:
                        conn.binary_frames_received += 1
                    try:
                        session = await self._receive(conn, request, session, msg.data)
                    except GatewayClose as close:
                        await conn.close(close.code, close.detail)
                        break
                    except _SessionRefused:
                        break
                    if session is not None and writer is None:
                        writer = asyncio.create_task(self._writer(session, conn))
                elif msg.type == WSMsgType.ERROR:
                    break
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(ws)
            if writer is not None:
                writer.cancel()
            if session is not None and session.conn is conn:
                session.conn = None
                session.outbox.clear()
        return ws

    async def _receive(
        self,
        conn: GatewayConnection,
        request: web.Request,
        session: GatewaySession | None,
        raw: str | bytes,
    ) -> GatewaySession | None:
        """Handle one client payload; returns the connection's session (None: not yet)."""
        payload = decode_payload(raw)
        op = payload["op"]
        data = payload.get("d")
        if op == GatewayOp.HEARTBEAT:
            if self.heartbeat_acks:
                await conn.send('{"op":11,"d":null}')
            return session
        if op in (GatewayOp.IDENTIFY, GatewayOp.RESUME):
            if session is not None:
                raise GatewayClose(CloseCode.ALREADY_AUTHENTICATED, f"op {op} on a session")
            if not isinstance(data, dict):
                raise GatewayClose(CloseCode.UNKNOWN_OPCODE, f"op {op} without an object in d")
            if op == GatewayOp.IDENTIFY:
                session = await self._identify(conn, request, data)
            else:
                session = await self._resume(conn, request, data)
            if session is None:
                raise _SessionRefused
            return session
        if op not in _SESSION_OPS:
            raise GatewayClose(CloseCode.UNKNOWN_OPCODE, f"op {op!r} is not one a client sends")
        if session is None:
            raise GatewayClose(CloseCode.NOT_AUTHENTICATED, f"op {op} before IDENTIFY")
        if op == GatewayOp.REQUEST_GUILD_MEMBERS:
            if not isinstance(data, dict):
                raise GatewayClose(CloseCode.UNKNOWN_OPCODE, "op 8 without an object in d")
            self._members_chunk(session, data)
        elif op == GatewayOp.REQUEST_SOUNDBOARD_SOUNDS:
            guild_ids = data.get("guild_ids") if isinstance(data, dict) else None
            for guild_id in guild_ids if isinstance(guild_ids, list) else ():
                if str(guild_id) in self._state.guilds and session.receives(str(guild_id)):
                    payload_json = _dumps({"soundboard_sounds": [], "guild_id": str(guild_id)})
                    session.push("SOUNDBOARD_SOUNDS", payload_json)
        # PRESENCE_UPDATE / VOICE_STATE_UPDATE: accepted; the sandbox has no presences or voice.
        return session

    async def _writer(self, session: GatewaySession, conn: GatewayConnection) -> None:
        try:
            while not conn.ws.closed:
                await session.wake.wait()
                session.wake.clear()
                if session.conn is not conn:
                    return
                frames, session.outbox = session.outbox, []
                for frame in frames:
                    await conn.send(frame)
                if not session.outbox:
                    session.idle.set()
        except (ConnectionResetError, RuntimeError):
            return

    async def _identify(
        self, conn: GatewayConnection, request: web.Request, data: JSON
    ) -> GatewaySession | None:
        if data.get("token") != self._token:
            await conn.close(CloseCode.AUTHENTICATION_FAILED, "IDENTIFY with a wrong token")
            return None
        intents = data.get("intents")
        if not isinstance(intents, int) or intents < 0 or intents >= (1 << 26):
            await conn.close(CloseCode.INVALID_INTENTS, f"IDENTIFY with intents {intents!r}")
            return None
        shard: tuple[int, int] | None = None
        if "shard" in data:
            shard = _valid_shard(data["shard"])
            if shard is None:
                await conn.close(CloseCode.INVALID_SHARD, f"IDENTIFY with shard {data['shard']!r}")
                return None
        guild_ids = self._guilds_of(shard)
        if len(guild_ids) > self.guilds_per_shard:
            await conn.close(
                CloseCode.SHARDING_REQUIRED,
                f"shard {list(shard) if shard else None} would hold {len(guild_ids)} guilds, "
                f"more than {self.guilds_per_shard} per shard",
            )
            return None
        if self.enforce_identify_concurrency:
            key = (shard[0] if shard else 0) % max(1, self.max_concurrency)
            now = self.clock()
            if now - self._bucket_identified.get(key, -IDENTIFY_BUCKET_SECONDS) < (
                IDENTIFY_BUCKET_SECONDS
            ):
                _log.warning("gateway: IDENTIFY of bucket %d within 5 s: op 9", key)
                await conn.send(_dumps({"op": GatewayOp.INVALID_SESSION, "d": False}))
                return None
            self._bucket_identified[key] = now
        # Payload compression is off when the transport is compressed (as on Discord).
        conn.payload_compression = (
            data.get("compress") is True and conn.transport_compression is None
        )
        # A client that identifies a shard anew has given up that shard's old sessions; forget
        # the disconnected ones instead of buffering events for them forever (other shards'
        # sessions stay resumable: another process may be about to resume them).
        for sid in [sid for sid, s in self.sessions.items() if s.conn is None and s.shard == shard]:
            del self.sessions[sid]
        self.identify_count += 1
        self._count_session_start()
        session = GatewaySession(session_id=secrets.token_hex(16), intents=intents, shard=shard)
        session.conn = conn
        session.transport = request.transport
        self.sessions[session.session_id] = session
        state = self._state
        ready: JSON = {
            "v": 10,
            "user": current_user_json(state.bot_user),
            "guilds": [{"id": gid, "unavailable": True} for gid in guild_ids],
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
        if shard is not None:
            ready["shard"] = list(shard)
        session.push("READY", _dumps(ready))
        all_members = bool(intents & Intents.GUILD_PRESENCES)
        for guild in (state.guilds[gid] for gid in guild_ids):
            session.push(
                "GUILD_CREATE", _dumps(guild_create_json(state, guild, all_members=all_members))
            )
        return session

    async def _resume(
        self, conn: GatewayConnection, request: web.Request, data: JSON
    ) -> GatewaySession | None:
        if data.get("token") != self._token:
            await conn.close(CloseCode.AUTHENTICATION_FAILED, "RESUME with a wrong token")
            return None
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq") or 0
        if session is None or (session.backlog and session.backlog[0][0] > seq + 1):
            # Unknown session, or the events it missed have left the backlog: not resumable.
            await conn.send(_dumps({"op": GatewayOp.INVALID_SESSION, "d": False}))
            return None
        if session.conn is not None and session.conn is not conn:
            with contextlib.suppress(Exception):
                await session.conn.ws.close(code=CloseCode.UNKNOWN_ERROR)
        self.resume_count += 1
        session.conn = conn
        session.transport = request.transport
        session.outbox = [frame for s, frame in session.backlog if s > seq]
        session.push("RESUMED", "{}")
        return session

    def _members_chunk(self, session: GatewaySession, data: JSON) -> None:
        guild = self._state.guilds.get(str(data.get("guild_id")))
        if guild is None or not session.receives(guild.id):
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


def _valid_shard(value: Any) -> tuple[int, int] | None:
    """IDENTIFY's ``shard`` as (shard_id, num_shards), or None when Discord would refuse it
    (4010): not two integers, ``num_shards`` below 1, or ``shard_id`` not below it."""
    if not isinstance(value, list) or len(value) != 2:
        return None
    shard_id, num_shards = value
    if any(isinstance(v, bool) or not isinstance(v, int) for v in value):
        return None
    if num_shards < 1 or not 0 <= shard_id < num_shards:
        return None
    return shard_id, num_shards


def _refuse_url(request: web.Request) -> tuple[int, str] | None:
    """Why the connection URL cannot be served (close code and detail), or None."""
    query = request.query
    version = query.get("v")
    if version is not None and version not in SUPPORTED_VERSIONS:
        return CloseCode.INVALID_API_VERSION, f"gateway version {version!r}"
    encoding = query.get("encoding", "json")
    if encoding != "json":
        return CloseCode.UNKNOWN_ERROR, f"encoding={encoding}: the sandbox speaks JSON only"
    compress = query.get("compress")
    if compress not in (None, "zlib-stream", "zstd-stream"):
        return CloseCode.UNKNOWN_ERROR, f"compress={compress}: not a transport compression"
    if compress == "zstd-stream" and _zstd_stream_encoder() is None:
        return CloseCode.UNKNOWN_ERROR, "compress=zstd-stream needs a zstd module installed"
    return None
