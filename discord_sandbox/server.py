"""The sandbox: a Discord-compatible REST + gateway server on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from discord_sandbox.admin import AdminActions
from discord_sandbox.events import EventEmitter
from discord_sandbox.gateway import GUILDS_PER_SHARD, Gateway
from discord_sandbox.interactions import InteractionFailure, InteractionManager
from discord_sandbox.models import ChannelType, Guild
from discord_sandbox.nonces import NonceCache
from discord_sandbox.permissions import Permission
from discord_sandbox.rest import routes
from discord_sandbox.rest.app import build_app
from discord_sandbox.rest.faults import FaultInjector
from discord_sandbox.rest.log import CallPredicate, RestCall, RestLog
from discord_sandbox.rest.ratelimit import RateLimiter
from discord_sandbox.serialize import guild_create_json
from discord_sandbox.state import BOT_ROLE_PERMISSIONS, SandboxState
from discord_sandbox.tokens import bot_token
from discord_sandbox.validation import Validator, default_spec_path, load_validator

if TYPE_CHECKING:
    from discord_sandbox.driver import UserDriver

JSON = dict[str, Any]


class Sandbox(AdminActions):
    """A Discord stand-in for one bot application.

    ``validate``: check every request body against the OpenAPI spec (400 50035 on errors).
    ``rate_limits``: enforce per-route buckets (429s) — off by default.
    ``validate_responses``: check the sandbox's own replies too, collecting problems in
    :attr:`response_problems` (costly; meant for the sandbox's own tests).
    ``guilds_per_shard``: the most guilds one gateway session may hold (Discord: 2,500; more
    closes IDENTIFY with 4011, and ``GET /gateway/bot`` recommends enough shards);
    ``max_concurrency``: ``session_start_limit.max_concurrency`` (also settable later on
    :attr:`gateway`).
    """

    def __init__(
        self,
        spec_path: str | None = None,
        validate: bool = True,
        rate_limits: bool = False,
        *,
        validate_responses: bool = False,
        heartbeat_interval_ms: int = 41250,
        bot_name: str = "Agora",
        guilds_per_shard: int = GUILDS_PER_SHARD,
        max_concurrency: int = 1,
    ) -> None:
        self.spec_path = spec_path or default_spec_path()
        self.state = SandboxState(bot_username=bot_name)
        self.bot_token = bot_token(self.state.bot_user_id)
        self.auth_header = f"Bot {self.bot_token}"
        self.validator: Validator | None = load_validator(self.spec_path) if validate else None
        self.validate_responses = validate_responses
        self.response_problems: list[str] = []
        self.rate_limiter = RateLimiter(enabled=rate_limits)
        self.faults = FaultInjector()
        self.log = RestLog()
        self.failures: list[InteractionFailure] = []
        self.nonces = NonceCache()
        self.gateway = Gateway(
            self.state, self.bot_token, lambda: self.gateway_url, heartbeat_interval_ms
        )
        self.gateway.guilds_per_shard = guilds_per_shard
        self.gateway.max_concurrency = max_concurrency
        self.events = EventEmitter(self.state, self.gateway)
        self.interactions = InteractionManager(self)
        self.owner_user_id: str | None = None
        self.deferred_timeout = 10.0  # how long the driver waits for a deferred reply's completion
        self._drivers: dict[str, UserDriver] = {}  # lower-cased name -> driver
        self._runner: web.AppRunner | None = None
        self._port = 0
        self._host = "127.0.0.1"

    # ---- lifecycle ----------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = build_app(self, routes.all_routes(), routes.extra_routes(self))
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        self._host = host
        self._port = server.sockets[0].getsockname()[1]
        self.state.attachment_base_url = f"http://{host}:{self._port}/attachments"

    async def stop(self) -> None:
        for record in self.interactions.by_id.values():
            if record.timer is not None:
                record.timer.cancel()
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def api_base(self) -> str:
        return f"http://{self._host}:{self._port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://{self._host}:{self._port}/"

    @property
    def bot_user_id(self) -> str:
        return self.state.bot_user_id

    @property
    def application_id(self) -> str:
        return self.state.application_id

    # ---- world building --------------------------------------------------------------------
    def create_seed_guild(
        self, name: str = "EIP-SCC", *, shard: tuple[int, int] | None = None
    ) -> Guild:
        """A guild owned by "admin" with #general and #announcements, an "Admin" role
        (Administrator) and the bot's managed "Agora" role just below it.

        ``shard`` = (shard_id, num_shards): the guild's id is chosen so that a bot running
        ``num_shards`` shards receives it on ``shard_id`` (ids made in the same millisecond
        would otherwise all land on the same shard)."""
        state = self.state
        owner = state.users.get(state.users_by_name.get("admin", "")) or state.new_user("admin")
        if self.owner_user_id is None:
            self.owner_user_id = owner.id
        guild = state.create_guild(name, owner.id, shard=shard)
        bot_role = state.create_role(
            guild, state.bot_user.username, BOT_ROLE_PERMISSIONS, bot_id=state.bot_user_id
        )
        admin_role = state.create_role(
            guild, "Admin", Permission.ADMINISTRATOR, position=bot_role.position + 1, hoist=True
        )
        state.add_member(guild, owner.id, [admin_role.id])
        state.add_member(guild, state.bot_user_id, [bot_role.id])
        general = state.create_channel(guild, ChannelType.GUILD_TEXT, "general")
        state.create_channel(guild, ChannelType.GUILD_TEXT, "announcements")
        guild.system_channel_id = general.id
        if self.gateway.sessions:
            # The bot "joins" a new guild while connected. Discord sends a joined guild without
            # "unavailable" (false would mean "an outage ended"), so clients fire guild_join.
            payload = guild_create_json(state, guild, all_members=False)
            del payload["unavailable"]
            self.gateway.dispatch("GUILD_CREATE", payload, guild_id=guild.id)
        return guild

    def create_seed_guilds(self, count: int, name: str = "EIP-SCC") -> list[Guild]:
        """``count`` seed guilds named "NAME 1" ... "NAME count" (just NAME when count is 1),
        whose ids spread them evenly over the shards of any shard count that divides
        ``count``: guild i (from 0) has ``(id >> 22) % count == i``, so 4 guilds are 2 and 2
        on 2 shards and one each on 4."""
        if count == 1:
            return [self.create_seed_guild(name)]
        return [self.create_seed_guild(f"{name} {i + 1}", shard=(i, count)) for i in range(count)]

    # ---- observation -------------------------------------------------------------------------
    def record_call(self, call: RestCall) -> None:
        self.log.append(call)
        if self.validate_responses and self.validator is not None and call.status < 400:
            for problem in self.validator.validate_response(
                call.method, call.path, call.status, call.response
            ):
                self.response_problems.append(f"{call.method} {call.route}: {problem}")

    async def wait_for_event(
        self,
        event: str,
        predicate: Callable[[JSON], bool] | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - test-facing API, like asyncio.wait_for
    ) -> JSON:
        """Wait for the next gateway dispatch ``event`` (e.g. "MESSAGE_CREATE") matching."""
        future = self.gateway.wait_for(event, predicate or (lambda _d: True))
        return await asyncio.wait_for(future, timeout)

    async def drain_gateway(self) -> None:
        """Wait until all dispatched events have been written to the bot's socket(s)."""
        await self.gateway.drain()

    async def wait_for_call(
        self,
        predicate: CallPredicate | None = None,
        *,
        method: str | None = None,
        route: str | None = None,
        since: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - test-facing API, like asyncio.wait_for
    ) -> RestCall:
        """Wait for the bot's next REST call matching ``method``/``route`` (template or
        fnmatch glob on the concrete path) and ``predicate``. With ``since`` (an index into
        :attr:`log`, e.g. ``len(sb.log)`` taken before acting), calls already logged from
        there on count too, so a fast bot cannot slip past the wait."""
        from fnmatch import fnmatchcase

        def match(call: RestCall) -> bool:
            if method is not None and call.method != method:
                return False
            if route is not None and call.route != route and not fnmatchcase(call.path, route):
                return False
            return predicate is None or predicate(call)

        if since is not None:
            for call in self.log.calls[since:]:
                if match(call):
                    return call
        return await self.log.wait_for(match, timeout)

    # ---- fault injection ---------------------------------------------------------------------
    async def gateway_reconnect(self) -> None:
        """Send op 7 RECONNECT: the client should reconnect and RESUME."""
        await self.gateway.send_reconnect()

    async def gateway_invalid_session(self, resumable: bool) -> None:
        """Send op 9 INVALID_SESSION (resumable or not)."""
        await self.gateway.send_invalid_session(resumable)

    async def gateway_close_abruptly(self) -> None:
        """Drop the gateway TCP connections without a close frame."""
        self.gateway.close_abruptly()

    def stop_heartbeat_acks(self, stopped: bool = True) -> None:
        """Stop (or resume) answering heartbeats with op 11, to trigger zombie detection."""
        self.gateway.heartbeat_acks = not stopped

    def fail_next(self, route_pattern: str, status: int = 500, times: int = 1) -> None:
        self.faults.fail_next(route_pattern, status, times)

    def delay_next(self, route_pattern: str, seconds: float, times: int = 1) -> None:
        self.faults.delay_next(route_pattern, seconds, times)

    def set_rate_limit(self, route: str, limit: int, per_seconds: float) -> None:
        self.rate_limiter.set_limit(route, limit, per_seconds)
