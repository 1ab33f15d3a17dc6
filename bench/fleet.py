"""Agora as a fleet on this machine: one process running both shards against two processes
running one each, reminders sent by one process against two, and memory per 1,000 guilds.

    python bench/fleet.py              # full run (several minutes)
    python bench/fleet.py --quick      # smoke run (under a minute, no docs)
    python bench/fleet.py --only interactions|reminders|memory

Every part runs Agora in child processes (``bench/_fleet_proc.py``, as ``run_bot.py --shards
... --shard-count ...`` with ``[discord]`` naming the sandbox) against a sandbox in this
process, on a PostgreSQL server this benchmark starts (``tests/support/postgres.py``'s
initdb and launch, with PostgreSQL's default durability as in ``bench/_postgres.py``); each
layout gets a fresh database, its guilds' directories seeded before Agora starts.

1. **Interactions.** ``--guilds`` (8) seed guilds on 2 shards. Agora as one process running
   shards 0 and 1, then as two processes (shard 0, shard 1) on one database. The same
   open-loop load as ``bench/run.py`` (``/initiative info``, its autocomplete, ``/meeting
   list``, Next on an ``/initiative list``), spread evenly over the guilds, at rising rates
   until p99 passes 50 ms or an interaction fails. Per step: p50/p99/failed, the CPU of
   each Agora process, of the PostgreSQL server and of this process (sandbox + load).
2. **Reminders.** ``--reminders`` (2,000) reminders over the guilds' meetings, all due at the
   same moment a few seconds after the processes are ready (rows stored before they
   start). From due to the last one sent, reminders/s, one process against two; every
   reminder's messages counted in the sandbox by nonce (exactly one each), and who claimed
   it (``reminders.claimed_by``).
3. **Memory.** One unsharded process with 0, 1,000 and 2,000 small guilds (the seed
   directory: 6 clusters and 9 initiatives; 5 members each, 2 initiatives joined each):
   cold start (process spawn to ready) and RSS once idle after ready; the increase over
   the empty process per 1,000 guilds.

Prints one JSON object on stdout and, unless ``--no-docs`` or ``--quick``, rewrites the
"Fleet" section of docs/benchmarks.md. docs/scaling.md turns the figures into a plan.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import inspect
import json
import os
import platform
import random
import shutil
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402

from bench import _procstat  # noqa: E402
from bench._command_line import shown_command  # noqa: E402
from bench._load import LoadGenerator, StepResult, Template, summarise  # noqa: E402
from bench._postgres import SETTINGS as PG_SETTINGS  # noqa: E402
from bench._postgres import BenchPostgres  # noqa: E402
from bench.run import _read_ready, _wait_idle, write_section  # noqa: E402
from bot.config import Config  # noqa: E402
from bot.launch import openapi_spec_path, seed_path  # noqa: E402
from bot.storage.fleet import shard_of  # noqa: E402
from bot.storage.meetings.models import Location, NewReminder, reminder_nonce  # noqa: E402
from bot.storage.meetings.repository import MeetingFields  # noqa: E402
from bot.storage.postgres import PostgresDatabase  # noqa: E402
from bot.storage.store import Store  # noqa: E402
from bot.wiring import build_services  # noqa: E402
from discord_sandbox import Sandbox  # noqa: E402
from discord_sandbox.interactions import InteractionType  # noqa: E402
from discord_sandbox.models import Guild  # noqa: E402
from discord_sandbox.slash import build_command_data  # noqa: E402
from tests.support.postgres import PostgresServer, initdb, launch  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Fleet"
P99_BOUND_MS = 50.0
RATES = (100, 200, 400, 800, 1200, 1600, 2000)
MIX = {"info": 0.35, "autocomplete": 0.35, "meetings": 0.15, "click": 0.15}
SHARDS = 2
LAYOUTS: dict[str, list[str | None]] = {"1 process": [None], "2 processes": ["0", "1"]}
# ^ --shards of each process (None: all of them)
MEMBERS_PER_GUILD = 5
JOINS_PER_MEMBER = 2
# PostgreSQL connections per Agora process: its pool's most.
POOL_SIZE = int(inspect.signature(PostgresDatabase.open).parameters["max_connections"].default)


# ---- PostgreSQL ----------------------------------------------------------------------------


async def start_postgres() -> BenchPostgres:
    """A fresh cluster in a temp folder, PostgreSQL's default durability (bench/_postgres.py's
    settings), a unix socket; removed when stopped."""
    folder = Path(tempfile.mkdtemp(prefix="agora-bench-fleet-pg-"))
    data = folder / "data"
    try:
        server = await asyncio.to_thread(_initdb_and_launch, folder, data)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    conn = await asyncpg.connect(server.url("postgres"))
    try:
        version = str(await conn.fetchval("SHOW server_version")).split()[0]
    finally:
        await conn.close()
    return BenchPostgres(server, data, version, None)


def _initdb_and_launch(folder: Path, data: Path) -> PostgresServer:
    if os.geteuid() == 0:
        folder.chmod(0o755)
        shutil.chown(folder, "nobody")  # initdb and postgres run as nobody under root
    initdb(data, sync=False)
    return launch(folder, data, PG_SETTINGS)


def _server(postgres: BenchPostgres) -> PostgresServer:
    return postgres.server


def seeding_url(url: str) -> str:
    """The same database, for the benchmark's own seeding only: commits not waited for."""
    return url + "&synchronous_commit=off"


# ---- the world -----------------------------------------------------------------------------


def seed_names() -> tuple[list[str], list[str]]:
    """The seed directory's initiative and cluster names."""
    document = tomllib.loads(seed_path().read_text(encoding="utf-8"))
    return (
        [str(row["name"]) for row in document.get("initiatives", [])],
        [str(row["name"]) for row in document.get("clusters", [])],
    )


def new_sandbox(guilds: int, guilds_per_shard: int | None = None) -> tuple[Sandbox, list[Guild]]:
    """A validating sandbox holding ``guilds`` seed guilds (spread evenly over the shards of
    any count dividing ``guilds``)."""
    options: dict[str, Any] = {}
    if guilds_per_shard is not None:
        options["guilds_per_shard"] = guilds_per_shard
    sb = Sandbox(spec_path=str(openapi_spec_path()), **options)
    made = sb.create_seed_guilds(guilds) if guilds else []
    return sb, made


def add_members(sb: Sandbox, guilds: list[Guild], count: int, *, shared: bool) -> list[str]:
    """``count`` users in every guild (``shared``) or ``count`` new users per guild, made
    before Agora connects (no events); their ids."""
    state = sb.state
    if shared:
        ids = [state.new_user(f"user{n:04d}").id for n in range(count)]
        for guild in guilds:
            for user_id in ids:
                state.add_member(guild, user_id)
        return ids
    made: list[str] = []
    for g, guild in enumerate(guilds):
        for n in range(count):
            user_id = state.new_user(f"g{g}member{n}").id
            state.add_member(guild, user_id)
            made.append(user_id)
    return made


async def seed_directories(
    url: str, guilds: list[Guild], members: dict[int, list[int]] | None = None
) -> float:
    """Every guild's directory from the seed file, as Agora does at first sight, and for
    ``members`` (guild id -> user ids) memberships of two initiatives each; seconds taken."""
    started = time.perf_counter()
    initiatives, _ = seed_names()
    store = await Store.open(seeding_url(url))
    try:
        services = build_services(store=store, config=Config())
        await services.start()
        seed = seed_path()
        for guild in guilds:
            guild_id = int(guild.id)
            await services.importer.import_seed_if_empty(guild_id, seed)
            for n, user_id in enumerate((members or {}).get(guild_id, [])):
                for j in range(JOINS_PER_MEMBER):
                    name = initiatives[(n + j) % len(initiatives)]
                    await services.memberships.join(guild_id, user_id, name)
        await services.close()
    finally:
        await store.close()
    return time.perf_counter() - started


# ---- Agora processes -----------------------------------------------------------------------


@dataclass
class AgoraProcess:
    label: str
    proc: asyncio.subprocess.Process
    ready: dict[str, Any] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.proc.pid


async def spawn(
    sb: Sandbox,
    url: str,
    label: str,
    workdir: Path,
    *,
    shard_count: int | None,
    shards: str | None,
) -> AgoraProcess:
    command = [
        sys.executable,
        str(ROOT / "bench" / "_fleet_proc.py"),
        "--api-base", sb.api_base,
        "--gateway", sb.gateway_url,
        "--token", sb.bot_token,
        "--db-url", url,
        "--spawned-at", repr(time.time()),
    ]  # fmt: skip
    if shard_count:
        command += ["--shard-count", str(shard_count)]
        if shards is not None:
            command += ["--shards", shards]
    log = (workdir / f"{label.replace(' ', '-')}.log").open("ab")
    try:
        proc = await asyncio.create_subprocess_exec(
            *command,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            cwd=str(workdir),
        )
    finally:
        log.close()
    return AgoraProcess(label, proc)


async def start_fleet(
    sb: Sandbox, url: str, layout: str, workdir: Path, within: float = 300
) -> list[AgoraProcess]:
    """The layout's processes, started together, each until ready."""
    processes = [
        await spawn(
            sb,
            url,
            f"{layout} shard {shards}" if shards is not None else layout,
            workdir,
            shard_count=SHARDS,
            shards=shards,
        )
        for shards in LAYOUTS[layout]
    ]
    try:
        readies = await asyncio.gather(*(_read_ready(p.proc, within) for p in processes))
    except BaseException:
        await stop_all(processes)
        raise
    for process, ready in zip(processes, readies, strict=True):
        process.ready = ready
    return processes


async def stop_all(processes: list[AgoraProcess]) -> None:
    for process in processes:
        proc = process.proc
        if proc.returncode is None and proc.stdin is not None:
            proc.stdin.close()
    for process in processes:
        proc = process.proc
        try:
            await asyncio.wait_for(proc.wait(), 30)
        except TimeoutError:
            proc.kill()
            await proc.wait()


# ---- 1. interactions -----------------------------------------------------------------------


def _next_button(message: dict[str, Any]) -> str | None:
    for row in message.get("components") or []:
        for component in row.get("components") or []:
            if str(component.get("label", "")).startswith("Next") and not component.get("disabled"):
                return str(component["custom_id"])
    return None


async def build_fleet_pools(
    sb: Sandbox, guilds: list[Guild], size: int = 400, seed: int = 11
) -> dict[str, list[Template]]:
    """bench/_sandbox.build_pools's kinds, each template in one of the guilds in turn."""
    rng = random.Random(seed)
    state = sb.state
    admin = state.users[state.users_by_name["admin"]]
    initiatives, clusters = seed_names()
    generals = [state.channels[str(guild.system_channel_id)] for guild in guilds]
    pools: dict[str, list[Template]] = {"info": [], "autocomplete": [], "meetings": [], "click": []}
    meeting_options: list[dict[str, object]] = [{}, {"when": "past"}]
    meeting_options += [{"cluster": name} for name in clusters]
    meeting_options += [{"initiative": name} for name in initiatives]
    for n in range(size):
        channel = generals[n % len(generals)]
        name = rng.choice(initiatives)
        pools["info"].append(
            Template(
                "info",
                InteractionType.APPLICATION_COMMAND,
                "initiative info",
                channel,
                build_command_data(sb, admin, "initiative info", {"initiative": name}, channel),
            )
        )
        typed = rng.choice(initiatives)[: rng.randint(1, 10)].lower()
        pools["autocomplete"].append(
            Template(
                "autocomplete",
                InteractionType.AUTOCOMPLETE,
                "initiative info",
                channel,
                build_command_data(
                    sb, admin, "initiative info", {}, channel, focused=("initiative", typed)
                ),
            )
        )
        if n % 4 == 0:
            options = meeting_options[(n // 4) % len(meeting_options)]
            pools["meetings"].append(
                Template(
                    "meetings",
                    InteractionType.APPLICATION_COMMAND,
                    "meeting list",
                    channel,
                    build_command_data(sb, admin, "meeting list", options, channel),
                )
            )
    for channel in generals:  # one /initiative list per guild, its Next clicked
        listing = await sb.user("admin").slash("initiative list", in_channel=channel)
        message = listing.message
        if message is None or (custom_id := _next_button(message)) is None:
            continue
        pools["click"].append(
            Template(
                "click",
                InteractionType.MESSAGE_COMPONENT,
                custom_id,
                channel,
                {"custom_id": custom_id, "component_type": 2},
                state.message_by_id(str(message["id"])),
                button=("Next ▶", "◀ Previous"),
            )
        )
    return pools


@dataclass
class FleetStep:
    rate: int
    result: StepResult
    cpu_s: dict[str, float]  # per Agora process
    server_cpu_s: float
    bench_cpu_s: float
    steal_share: float
    seconds: float

    def row(self) -> dict[str, Any]:
        r = self.result
        n = max(1, r.sent)
        agora = sum(self.cpu_s.values())
        return {
            "rate": self.rate,
            "sent": r.sent,
            "achieved_rate": round(r.sent / r.send_seconds, 1) if r.send_seconds else None,
            **summarise(r.latencies_ms),
            "failed": r.failed,
            "agora_cpu_s_per_1000": round(agora / n * 1000, 3),
            "agora_cores": {k: round(v / self.seconds, 2) for k, v in self.cpu_s.items()},
            "agora_cores_total": round(agora / self.seconds, 2),
            "postgres_cores": round(self.server_cpu_s / self.seconds, 2),
            "bench_cores": round(self.bench_cpu_s / self.seconds, 2),
            "steal_pct": round(self.steal_share * 100, 1),
        }


async def measured_step(
    load: LoadGenerator,
    processes: list[AgoraProcess],
    postgres: BenchPostgres,
    rate: int,
    seconds: float,
) -> FleetStep:
    cpu0 = {p.label: _procstat.cpu_seconds(p.pid) for p in processes}
    server0 = postgres.cpu_seconds()
    bench0 = time.process_time()
    steal0, wall0 = _procstat.steal_seconds(), time.monotonic()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        result = await load.step(rate, seconds)
    finally:
        gc.enable()
        gc.unfreeze()  # a later layout's sandbox must not keep this one's alive
    wall = time.monotonic() - wall0
    return FleetStep(
        rate,
        result,
        {p.label: _procstat.cpu_seconds(p.pid) - cpu0[p.label] for p in processes},
        postgres.cpu_seconds() - server0,
        time.process_time() - bench0,
        (_procstat.steal_seconds() - steal0) / (wall * (os.cpu_count() or 1)),
        wall,
    )


async def run_interactions(
    args: argparse.Namespace, postgres: BenchPostgres, workdir: Path
) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for layout in LAYOUTS:
        sb, guilds = new_sandbox(args.guilds, guilds_per_shard=args.guilds // SHARDS)
        await sb.start()
        processes: list[AgoraProcess] = []
        try:
            users = add_members(sb, guilds, args.users, shared=True)
            url = await _server(postgres).new_database()
            await seed_directories(url, guilds)
            processes = await start_fleet(sb, url, layout, workdir)
            for process in processes:
                await _wait_idle(process.pid)
            pools = await build_fleet_pools(sb, guilds)
            load = LoadGenerator(sb, pools, args.mix, users)
            await load.step(100, args.warmup)  # warm-up, not recorded
            for process in processes:
                await _wait_idle(process.pid)
            steps: list[dict[str, Any]] = []
            for rate in args.rates:
                step = await measured_step(load, processes, postgres, rate, args.seconds)
                row = step.row()
                if row["failed"] or not row["p99_ms"] < P99_BOUND_MS:
                    # Other sessions share this machine: a break is confirmed by running
                    # the step once more before the ladder stops; both are reported.
                    print(
                        f"[{layout}] {rate}/s: p99 {row['p99_ms']} ms, {row['failed']} failed;"
                        " running the step again",
                        file=sys.stderr,
                        flush=True,
                    )
                    for process in processes:
                        await _wait_idle(process.pid)
                    again = await measured_step(load, processes, postgres, rate, args.seconds)
                    first = {k: row[k] for k in ("p50_ms", "p99_ms", "max_ms", "failed")}
                    row = again.row()
                    row["first_attempt"] = first
                steps.append(row)
                print(
                    f"[{layout}] {rate:>5}/s p50 {row['p50_ms']:>7} p99 {row['p99_ms']:>8}"
                    f" failed {row['failed']:>4} Agora cores {row['agora_cores']}"
                    f" PostgreSQL {row['postgres_cores']} sandbox+load {row['bench_cores']}"
                    f" steal {row['steal_pct']}%",
                    file=sys.stderr,
                    flush=True,
                )
                if row["failed"] or not row["p99_ms"] < P99_BOUND_MS:
                    break
                for process in processes:
                    await _wait_idle(process.pid)
            report[layout] = {
                "ready": {p.label: p.ready for p in processes},
                "guilds_per_process": {p.label: p.ready.get("guilds") for p in processes},
                "steps": steps,
                "highest_rate_p99_under_50ms": highest_rate(steps),
                "rss_mb": {p.label: round(_procstat.memory_mb(p.pid)[0], 1) for p in processes},
            }
        finally:
            await stop_all(processes)
            await sb.stop()
    return report


def highest_rate(steps: list[dict[str, Any]]) -> int:
    best = 0
    for row in steps:
        if row["failed"] or not row["p99_ms"] < P99_BOUND_MS:
            break
        best = row["rate"]
    return best


# ---- 2. reminders --------------------------------------------------------------------------


async def seed_reminders(url: str, guilds: list[Guild], count: int, due: datetime) -> list[int]:
    """``count`` meetings spread over the guilds, starting an hour after ``due``, each with
    one reminder due at ``due``; the reminders' ids."""
    store = await Store.open(seeding_url(url))
    try:
        now = datetime.now(UTC)
        start = due + timedelta(hours=1)
        rows: list[NewReminder] = []
        for n in range(count):
            guild_id = int(guilds[n % len(guilds)].id)
            meeting_id = await store.meetings.insert(
                guild_id,
                MeetingFields(
                    title=f"Fleet meeting {n}",
                    description="",
                    starts_at=start,
                    ends_at=start + timedelta(hours=1),
                    timezone="Europe/Brussels",
                    location=Location(),
                    organiser_id=1,
                ),
                now,
            )
            rows.append(
                NewReminder(
                    guild_id=guild_id,
                    meeting_id=meeting_id,
                    session_id=None,
                    kind="meeting",
                    slot="m:0:3600",
                    offset_seconds=3600,
                    occurrence_start=start,
                    due_at=due,
                    target_kind="meeting",
                    target_id=None,
                )
            )
        await store.reminders.insert_many(rows, now)
        found = await store.db.fetch_all("SELECT id FROM reminders ORDER BY id")
        return [int(row["id"]) for row in found]
    finally:
        await store.close()


def reminder_messages(sb: Sandbox, guilds: list[Guild]) -> dict[str, int]:
    """Messages in the guilds' #announcements per nonce (reminders' nonces start with r)."""
    counts: dict[str, int] = {}
    for guild in guilds:
        for channel in sb.state.channels.values():
            if channel.guild_id != guild.id or channel.name != "announcements":
                continue
            for message in sb.state.messages.get(channel.id, {}).values():
                nonce = str(message.nonce or "")
                if nonce.startswith("r"):
                    counts[nonce] = counts.get(nonce, 0) + 1
    return counts


def announcements_of(sb: Sandbox, guilds: list[Guild]) -> dict[int, int]:
    return {
        int(guild.id): int(channel.id)
        for guild in guilds
        for channel in sb.state.channels.values()
        if channel.guild_id == guild.id and channel.name == "announcements"
    }


async def run_reminders(
    args: argparse.Namespace, postgres: BenchPostgres, workdir: Path
) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for layout in LAYOUTS:
        sb, guilds = new_sandbox(args.guilds, guilds_per_shard=args.guilds // SHARDS)
        await sb.start()
        processes: list[AgoraProcess] = []
        try:
            url = await _server(postgres).new_database()
            await seed_directories(url, guilds)
            # Due once the processes have had time to start: one process running two shards
            # takes over 5 s (discord.py identifies one shard every 5 s).
            due = (datetime.now(UTC) + timedelta(seconds=args.reminder_lead)).replace(microsecond=0)
            reminder_ids = await seed_reminders(url, guilds, args.reminders, due)
            channel_of = announcements_of(sb, guilds)
            guild_of = {rid: int(guilds[n % len(guilds)].id) for n, rid in enumerate(reminder_ids)}
            wanted = {rid: reminder_nonce(rid, channel_of[guild_of[rid]]) for rid in reminder_ids}
            spawned = time.time()
            processes = await start_fleet(sb, url, layout, workdir)
            ready_at = time.time()
            if ready_at >= due.timestamp():
                print(
                    f"[{layout}] ready {ready_at - due.timestamp():.1f} s after the reminders"
                    " were due: raise --reminder-lead",
                    file=sys.stderr,
                )
            # CPU from just before due to the last message (what start-up still did after
            # ready is not the reminders').
            await asyncio.sleep(max(0.0, due.timestamp() - 0.2 - time.time()))
            cpu0 = {p.label: _procstat.cpu_seconds(p.pid) for p in processes}
            server0 = postgres.cpu_seconds()
            # Agora's start-up sweep gives each upcoming meeting its Discord event: done
            # before the reminders are due, or the two overlap (reported).
            events_at_due = sum(len(guild.scheduled_events) for guild in guilds)
            # Sample the sandbox until every reminder's message is there (or time is up).
            first_at = last_at = None
            deadline = due.timestamp() + args.reminder_timeout
            channels = [sb.state.messages.setdefault(str(c), {}) for c in channel_of.values()]
            before = sum(len(messages) for messages in channels)
            while time.time() < deadline:
                count = sum(len(messages) for messages in channels) - before  # cheap
                if count and first_at is None:
                    first_at = time.time()
                if count >= len(wanted):
                    last_at = time.time()
                    break
                await asyncio.sleep(0.01)
            cpu = {p.label: _procstat.cpu_seconds(p.pid) - cpu0[p.label] for p in processes}
            server_cpu = postgres.cpu_seconds() - server0
            await asyncio.sleep(1.0)  # anything sent twice would arrive by now
            for process in processes:
                await _wait_idle(process.pid)
            seen = reminder_messages(sb, guilds)
            posts: dict[str, int] = {}
            for call in sb.log.calls:
                if call.method == "POST" and call.route == "/channels/{channel_id}/messages":
                    nonce = str((call.body or {}).get("nonce") or "")
                    if nonce.startswith("r"):
                        posts[nonce] = posts.get(nonce, 0) + 1
            per_reminder = [seen.get(nonce, 0) for nonce in wanted.values()]
            routes: dict[str, int] = {}
            for call in sb.log.calls:
                key = f"{call.method} {call.route}"
                routes[key] = routes.get(key, 0) + 1
            conn = await asyncpg.connect(url)
            try:
                claims = {
                    f"{row['claimed_by']} {row['state']}": row["n"]
                    for row in await conn.fetch(
                        "SELECT coalesce(claimed_by, '-') AS claimed_by, state, count(*) AS n"
                        " FROM reminders GROUP BY 1, 2 ORDER BY 1, 2"
                    )
                }
            finally:
                await conn.close()
            by_shard: dict[int, int] = {}
            for rid in reminder_ids:
                shard = shard_of(guild_of[rid], SHARDS)
                by_shard[shard] = by_shard.get(shard, 0) + 1
            took = None if last_at is None else last_at - due.timestamp()
            report[layout] = {
                "reminders": len(reminder_ids),
                "reminders_by_shard": by_shard,
                "ready_s_before_due": round(due.timestamp() - ready_at, 2),
                "start_to_ready_s": round(ready_at - spawned, 2),
                "first_sent_after_due_s": None
                if first_at is None
                else round(first_at - due.timestamp(), 3),
                "due_to_last_sent_s": None if took is None else round(took, 3),
                "reminders_per_s": None if not took else round(len(reminder_ids) / took, 1),
                "sent_once": sum(1 for n in per_reminder if n == 1),
                "not_sent": sum(1 for n in per_reminder if n == 0),
                "sent_twice_or_more": sum(1 for n in per_reminder if n > 1),
                "posts_repeated": sum(1 for n in posts.values() if n > 1),
                "claims": claims,
                "scheduled_events_created_before_due": events_at_due,
                "rest_calls": dict(sorted(routes.items(), key=lambda kv: -kv[1])[:6]),
                "agora_cpu_s": {k: round(v, 2) for k, v in cpu.items()},
                "agora_cpu_ms_per_reminder": round(sum(cpu.values()) / len(reminder_ids) * 1000, 2),
                "postgres_cpu_s": round(server_cpu, 2),
            }
            print(f"[{layout}] reminders: {json.dumps(report[layout])}", file=sys.stderr)
        finally:
            await stop_all(processes)
            await sb.stop()
    return report


# ---- 3. memory -----------------------------------------------------------------------------


async def run_memory(
    args: argparse.Namespace, postgres: BenchPostgres, workdir: Path
) -> dict[str, Any]:
    report: dict[str, Any] = {"sizes": {}}
    for count in [0, *args.memory_guilds]:
        sb, guilds = new_sandbox(count)
        await sb.start()
        processes: list[AgoraProcess] = []
        try:
            made = add_members(sb, guilds, MEMBERS_PER_GUILD, shared=False)
            members: dict[int, list[int]] = {}
            for n, user_id in enumerate(made):
                members.setdefault(int(guilds[n // MEMBERS_PER_GUILD].id), []).append(int(user_id))
            url = await _server(postgres).new_database()
            seed_seconds = await seed_directories(url, guilds, members)
            process = await spawn(
                sb, url, f"memory {count}", workdir, shard_count=None, shards=None
            )
            processes.append(process)
            # discord.py asks each guild's members at start (chunking), at most 110 asks a
            # minute per gateway connection (Discord allows 120): ~9 minutes per 1,000.
            process.ready = await _read_ready(process.proc, within=60 + count * 0.7)
            await _wait_idle(process.pid, within=60)
            rss, hwm = _procstat.memory_mb(process.pid)
            row = {
                "guilds": count,
                "guilds_seen": process.ready.get("guilds"),
                "seed_s": round(seed_seconds, 1),
                "cold_start_s": process.ready.get("process_to_ready_s"),
                "start_to_ready_s": process.ready.get("start_to_ready_s"),
                "rss_mb": round(rss, 1),
                "peak_rss_mb": round(hwm, 1),
                "gateway_rate_limit_waits": _rate_limit_waits(workdir / f"memory-{count}.log"),
            }
            report["sizes"][str(count)] = row
            print(f"[memory] {json.dumps(row)}", file=sys.stderr, flush=True)
        finally:
            await stop_all(processes)
            await sb.stop()
    empty = report["sizes"]["0"]["rss_mb"]
    report["rss_mb_per_1000_guilds"] = {
        key: round((row["rss_mb"] - empty) / int(key) * 1000, 1)
        for key, row in report["sizes"].items()
        if key != "0"
    }
    return report


def _rate_limit_waits(log: Path) -> int:
    """How often discord.py waited for the gateway's command limit (its log's warnings)."""
    if not log.exists():
        return 0
    return sum("is ratelimited" in line for line in log.read_text(errors="replace").splitlines())


# ---- report --------------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _p99_cell(row: dict[str, Any]) -> str:
    first = row.get("first_attempt")
    if not first:
        return _fmt(row["p99_ms"])
    return f"{_fmt(row['p99_ms'])} (first run {_fmt(first['p99_ms'])}, {first['failed']} failed)"


def markdown(report: dict[str, Any]) -> str:
    meta = report["meta"]
    lines = [
        SECTION,
        "",
        f"Command: `{meta['command']}` (run {meta['date']}; {meta['cpus']} CPUs, Python"
        f" {meta['python']}, PostgreSQL {meta['postgres_version']} with its default durability"
        f" started by the benchmark; load average {meta['loadavg_before']} before,"
        f" {meta['loadavg_after']} after; other sessions share the machine).",
        "",
        "Agora in child processes against a sandbox in the benchmark's process, all on the"
        " same 2 cores with the PostgreSQL server: what a second process can buy here is"
        " bounded by the cores left after the sandbox, the load generator and PostgreSQL."
        " See docs/scaling.md for what the figures mean for 10,000 and 100,000 guilds.",
        "",
    ]
    inter = report.get("interactions")
    if inter:
        lines += [
            f"### Interactions: {meta['guilds']} guilds on 2 shards, {meta['seconds']} s per"
            f" rate, mix {meta['mix']}",
            "",
            "| layout | rate/s | p50 ms | p95 ms | p99 ms | max ms | failed | Agora CPU s/1k"
            " | Agora cores (per process) | PostgreSQL cores | sandbox + load cores | steal % |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|",
        ]
        for layout, data in inter.items():
            for row in data["steps"]:
                per = " + ".join(f"{v:.2f}" for v in row["agora_cores"].values())
                cells = [
                    layout, row["rate"], row["p50_ms"], row["p95_ms"], _p99_cell(row),
                    row["max_ms"], row["failed"], row["agora_cpu_s_per_1000"], per,
                    row["postgres_cores"], row["bench_cores"], row["steal_pct"],
                ]  # fmt: skip
                lines.append("| " + " | ".join(_fmt(c) for c in cells) + " |")
        lines += [
            "",
            "| layout | highest rate with p99 < 50 ms and none failed | guilds per process"
            " | RSS per process after the run (MB) |",
            "|---|---:|---|---|",
        ]
        for layout, data in inter.items():
            guilds = ", ".join(str(v) for v in data["guilds_per_process"].values())
            rss = ", ".join(_fmt(v) for v in data["rss_mb"].values())
            lines.append(
                f"| {layout} | {data['highest_rate_p99_under_50ms']:,}/s | {guilds} | {rss} |"
            )
        lines.append("")
    rem = report.get("reminders")
    if rem:
        lines += [
            f"### Reminders: {meta['reminders']:,} due at the same second over"
            f" {meta['guilds']} guilds",
            "",
            "| layout | due → first sent (s) | due → last sent (s) | reminders/s | sent once"
            " | not sent | sent twice | claimed by (state: rows) | Agora CPU s | PostgreSQL"
            " CPU s |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|---:|",
        ]
        for layout, data in rem.items():
            claims = "; ".join(f"{k}: {v}" for k, v in data["claims"].items())
            cpu = " + ".join(f"{v:.2f}" for v in data["agora_cpu_s"].values())
            cells = [
                layout, data["first_sent_after_due_s"], data["due_to_last_sent_s"],
                data["reminders_per_s"], data["sent_once"], data["not_sent"],
                data["sent_twice_or_more"], claims, cpu, data["postgres_cpu_s"],
            ]  # fmt: skip
            lines.append("| " + " | ".join(_fmt(c) for c in cells) + " |")
        lines.append("")
    mem = report.get("memory")
    if mem:
        lines += [
            f"### Memory: one process, small guilds ({MEMBERS_PER_GUILD} members,"
            f" {MEMBERS_PER_GUILD * JOINS_PER_MEMBER} memberships, the seed's 6 clusters and"
            " 9 initiatives each)",
            "",
            "| guilds | cold start, spawn to ready (s) | gateway rate-limit waits | RSS idle after"
            " ready (MB) | peak RSS (MB) | over the empty process per 1,000 guilds (MB) |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for key, row in mem["sizes"].items():
            per = mem["rss_mb_per_1000_guilds"].get(key)
            cells = [
                row["guilds"], row["cold_start_s"], row["gateway_rate_limit_waits"],
                row["rss_mb"], row["peak_rss_mb"], per,
            ]  # fmt: skip
            lines.append("| " + " | ".join(_fmt(c) for c in cells) + " |")
        lines.append("")
    lines += ["```json", json.dumps(report, sort_keys=True), "```", ""]
    return "\n".join(lines)


# ---- main ----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: small, no docs")
    parser.add_argument(
        "--only",
        type=lambda s: s.split(","),
        default=None,
        help="some of interactions,reminders,memory",
    )
    parser.add_argument("--guilds", type=int, default=8, help="guilds on the 2 shards (8)")
    parser.add_argument("--rates", type=lambda s: [int(x) for x in s.split(",")], default=None)
    parser.add_argument("--seconds", type=float, default=None, help="per rate (default 6)")
    parser.add_argument("--warmup", type=float, default=None)
    parser.add_argument("--users", type=int, default=100, help="virtual users in every guild")
    parser.add_argument("--reminders", type=int, default=None, help="due at once (2,000)")
    parser.add_argument("--reminder-lead", type=float, default=None, help="s until due (12)")
    parser.add_argument("--reminder-timeout", type=float, default=120.0)
    parser.add_argument(
        "--memory-guilds",
        type=lambda s: [int(x) for x in s.split(",")],
        default=None,
        help="guild counts for the memory part (1000; each 1,000 takes ~9 min to start)",
    )
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="keep the processes' logs here")
    args = parser.parse_args(argv)
    quick = args.quick
    args.rates = args.rates or ([50, 100] if quick else list(RATES))
    args.seconds = args.seconds or (1.0 if quick else 6.0)
    args.warmup = args.warmup if args.warmup is not None else (0.5 if quick else 2.0)
    args.reminders = args.reminders or (100 if quick else 2000)
    args.reminder_lead = args.reminder_lead or (9.0 if quick else 12.0)
    args.memory_guilds = args.memory_guilds or ([50] if quick else [1000])
    args.mix = dict(MIX)
    if quick:
        args.guilds = min(args.guilds, 4)
        args.users = min(args.users, 20)
    if args.guilds % SHARDS:
        parser.error(f"--guilds must be a multiple of {SHARDS}")
    args.docs = None if (quick or args.no_docs) else DOCS
    args.command = _command(sys.argv[1:] if argv is None else argv)
    return args


def _command(argv: list[str]) -> str:
    """The command line as the docs show it: without where its output went."""
    return shown_command("bench/fleet.py", argv, ("--keep",))


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    loadavg_before = [round(x, 2) for x in _procstat.load_average()]
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="agora-bench-fleet-") as scratch:
        workdir = Path(scratch) if args.keep is None else args.keep
        workdir.mkdir(parents=True, exist_ok=True)
        postgres = await start_postgres()
        try:
            parts = {
                "interactions": run_interactions,
                "reminders": run_reminders,
                "memory": run_memory,
            }
            for name, part in parts.items():
                if args.only is None or name in args.only:
                    started = time.perf_counter()
                    report[name] = await part(args, postgres, workdir)
                    print(
                        f"[{name}] done in {time.perf_counter() - started:.0f} s",
                        file=sys.stderr,
                        flush=True,
                    )
        finally:
            await postgres.stop()
    report["meta"] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": args.command,
        "guilds": args.guilds,
        "seconds": args.seconds,
        "users": args.users,
        "reminders": args.reminders,
        "mix": ", ".join(f"{k} {v / sum(args.mix.values()):.0%}" for k, v in args.mix.items()),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "postgres_version": postgres.version,
        "postgres_settings": PG_SETTINGS,
        "agora_pool_size": POOL_SIZE,
        "loadavg_before": loadavg_before,
        "loadavg_after": [round(x, 2) for x in _procstat.load_average()],
    }
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = asyncio.run(main_async(args))
    if args.docs is not None:
        write_section(args.docs, markdown(report), SECTION)
    print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        raise SystemExit(main())
