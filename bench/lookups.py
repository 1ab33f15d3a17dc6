"""Lookup latency at scale: /initiative info and its autocomplete at 200 requests/s.

    python bench/lookups.py [--initiatives 10000] [--memberships 100000] [--rate 200]
                            [--seconds 10] [--in-process] [--no-docs]

1. A SQLite file gets ``--initiatives`` initiatives (six clusters, realistic names and
   goals, every tenth with a lead) and ``--memberships`` current memberships (5 per user),
   written through the repositories (``directory.apply``, ``memberships.sync``). Every
   member and lead is a member of the sandbox's guild, as they would be on Discord.
2. The sandbox starts in this process; Agora runs against it unmodified, as a subprocess
   (``python run_bot.py --config ...`` pointed at the sandbox), or with ``--in-process`` in
   this event loop.
3. After a warm-up, each command is driven open-loop at ``--rate`` interactions per second
   for ``--seconds`` (default 10 s each, ~20 s in all): ``/initiative info`` with
   the slug the autocomplete sends (80 %) or a typed name (20 %), and the autocomplete with
   prefixes of names, whole words and typos. Latency is measured in the sandbox from the
   interaction being sent (INTERACTION_CREATE written) to its callback request arriving
   (``InteractionRecord.callback_at``, taken before the sandbox's validation).

Prints a table and one JSON line; appends the figures to docs/benchmarks.md under a
"Lookups" heading (replacing an earlier Lookups section). Target: p99 < 10 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import gc
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._sandbox import agora_sandbox
from bot.storage.directory.models import ClusterDraft, InitiativeDraft, db_time
from bot.storage.directory.repository import DirectoryChanges
from bot.storage.store import Store
from discord_sandbox import Sandbox
from discord_sandbox.interactions import InteractionRecord, InteractionType
from discord_sandbox.models import JSON, Channel, Guild, User
from discord_sandbox.slash import build_command_data

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "benchmarks.md"
TARGET_P99_MS = 10.0
MEMBERSHIPS_PER_USER = 5
CLUSTERS = [
    ("business-models-finance-procurement", "Business Models, Finance and Procurement"),
    ("citizen-focus", "Citizen Focus"),
    ("integrated-infrastructures-processes", "Integrated Infrastructures and Processes"),
    ("integrated-planning-policy-regulations", "Integrated Planning, Policy and Regulations"),
    ("sustainable-districts-built-environment", "Sustainable Districts and Built Environment"),
    ("sustainable-urban-mobility", "Sustainable Urban Mobility"),
]
WORDS = (
    "smart city urban data platform mobility energy lamppost citizen district green water "
    "waste open innovation policy lab network european digital twin sensor grid transport "
    "procurement finance budget participatory health living climate resilient building solar "
    "humble giants space cities lighting heating cooling harbour river bridge tram metro"
).split()


# --- the database ----------------------------------------------------------------------


def initiative_names(count: int, rng: random.Random) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        words = rng.sample(WORDS, rng.randint(2, 4))
        names.add(" ".join(word.title() for word in words) + f" {rng.randint(1, 99_999)}")
    return sorted(names)


def guild_people(
    sb: Sandbox, guild: Guild, memberships: int, initiatives: int
) -> tuple[list[int], list[int]]:
    """The members the seeded memberships belong to, as members of the sandbox's guild.

    Memberships of people who are not in the guild are, to Agora, people who left while it
    was away: its catch-up on connect ends them, one user at a time. Seeded under made-up ids
    (as this bench once did), Agora spent the whole measurement ending all 100,000 and its
    growing change lists made full collections of 60-130 ms: the stalls in the p99.
    Returns (members, leads): ``memberships / 5`` members, and one lead for every tenth
    initiative.
    """
    state = sb.state
    users = memberships // MEMBERSHIPS_PER_USER

    def person(name: str) -> int:
        user = state.new_user(name)
        state.add_member(guild, user.id)
        return int(user.id)

    return [person(f"member{n}") for n in range(users)], [
        person(f"lead{n}") for n in range((initiatives + 9) // 10)
    ]


async def seed_database(
    path: Path,
    guild_id: int,
    names: list[str],
    people: tuple[list[int], list[int]],
    rng: random.Random,
) -> float:
    """The directory and memberships, through the repositories; returns the seconds taken."""
    started = time.perf_counter()
    members, leads = people
    now = datetime.now(UTC)
    store = await Store.open(path)
    try:
        drafts = [
            InitiativeDraft(
                slug=f"initiative-{n}",
                name=name,
                cluster_slug=CLUSTERS[n % len(CLUSTERS)][0],
                goal=f"{name}: {' '.join(rng.sample(WORDS, 8))} across EU cities",
            )
            for n, name in enumerate(names)
        ]
        await store.directory.apply(
            guild_id,
            DirectoryChanges(
                new_clusters=[ClusterDraft(slug, name) for slug, name in CLUSTERS],
                new_initiatives=drafts,
            ),
            now,
        )
        ids = [initiative.id for initiative in await store.directory.list_initiatives(guild_id)]
        # 100,000 one-row transactions through memberships.sync take ~45 s; one batch with
        # the same columns (as tests/services/directory/test_scale.py does) takes under 2 s.
        rows = [
            (guild_id, initiative_id, user, db_time(now))
            for user in members
            for initiative_id in rng.sample(ids, MEMBERSHIPS_PER_USER)
        ]
        async with store.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO memberships (guild_id, initiative_id, user_id, role, joined_at,"
                " join_reason) VALUES (?, ?, ?, 'member', ?, 'joined')",
                rows,
            )
        for n, initiative_id in enumerate(ids[::10]):
            await store.memberships.start(
                guild_id, initiative_id, leads[n], "lead", "appointed", now
            )
    finally:
        await store.close()
    return time.perf_counter() - started


# --- Agora -------------------------------------------------------------------------------


def agora_config_text(sb: Sandbox, database: Path, guild_id: int) -> str:
    return f"""
[discord]
token = "{sb.bot_token}"
api_base = "{sb.api_base}"
gateway_url = "{sb.gateway_url}"
dev_guild_ids = [{guild_id}]

[database]
path = "{database}"

[community]
seed_file = ""

[logging]
level = "WARNING"
file = "{database.parent / "agora.log"}"
"""


@contextlib.asynccontextmanager
async def running_agora(
    sb: Sandbox, database: Path, guild_id: int, in_process: bool, workdir: Path
) -> Any:
    if in_process:
        from bot.config import parse_config
        from bot.launch import sandbox_config
        from bot.runtime import start_agora

        config = sandbox_config(
            parse_config({"database": {"path": str(database)}}),
            api_base=sb.api_base,
            gateway_url=sb.gateway_url,
            token=sb.bot_token,
            guild_id=guild_id,
        )
        config = dataclasses.replace(
            config, community=dataclasses.replace(config.community, seed_file="")
        )
        running = await start_agora(config)
        try:
            yield None
        finally:
            await running.stop()
        return
    config_path = workdir / "agora.toml"
    config_path.write_text(agora_config_text(sb, database, guild_id), encoding="utf-8")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "run_bot.py"),
        "--config",
        str(config_path),
        cwd=str(ROOT),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,  # warnings and errors go to agora.log (the config says so)
    )
    try:
        yield process
    finally:
        process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()


# --- load ----------------------------------------------------------------------------------


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    return word[:i] + word[i + 1 :]  # one letter dropped


def info_queries(names: list[str], count: int, rng: random.Random) -> list[dict[str, str]]:
    out = []
    for _ in range(count):
        n = rng.randrange(len(names))
        value = f"initiative-{n}" if rng.random() < 0.8 else names[n].lower()
        out.append({"initiative": value})
    return out


def autocomplete_queries(names: list[str], count: int, rng: random.Random) -> list[str]:
    out = []
    for _ in range(count):
        name = names[rng.randrange(len(names))]
        kind = rng.random()
        if kind < 0.5:
            out.append(name[: rng.randint(1, 12)].lower())
        elif kind < 0.8:
            out.append(rng.choice(name.split()[:-1]).lower())
        else:
            words = name.lower().split()[:2]
            out.append(" ".join(typo(word, rng) for word in words))
    return out


def cpu_seconds(process: Any) -> float:
    """CPU time used so far by Agora's process (user + system), or by this one in-process."""
    if process is None:
        return time.process_time()
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def all_answered(records: list[InteractionRecord]) -> None:
    for record in records:
        await record.answered.wait()


async def drive(
    sb: Sandbox,
    datas: list[JSON],
    kind: int,
    name: str,
    users: list[User],
    channel: Channel,
    rate: float,
    samples: list[tuple[float, str, float]] | None = None,
) -> tuple[list[float], int, float]:
    """Send ``datas`` open-loop at ``rate``/s; latencies (ms), failures, achieved rate."""
    loop = asyncio.get_running_loop()
    records: list[InteractionRecord] = []
    interval = 1.0 / rate
    start = loop.time()
    for index, data in enumerate(datas):
        delay = start + index * interval - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        user = users[index % len(users)]
        records.append(sb.interactions.create(kind, name, user.id, channel, data))
    sent_seconds = loop.time() - start
    deadline = sb.interactions.response_deadline + 1
    # One waiter going down the list, not a gather of 2,000 waits: creating those tasks
    # stalled this loop (the sandbox's) for 11-26 ms just as the last interactions went out.
    await asyncio.wait_for(all_answered(records), deadline)
    answered = [
        (record, (record.callback_at - record.created_at) * 1000)
        for record in records
        if record.callback_at is not None and record.failure is None
    ]
    latencies = [latency for _, latency in answered]
    if samples is not None:
        label = name if kind == InteractionType.APPLICATION_COMMAND else f"{name} autocomplete"
        samples.extend((record.created_at, label, latency) for record, latency in answered)
    failures = sum(1 for r in records if r.failure is not None or r.callback_at is None)
    return latencies, failures, len(datas) / sent_seconds if sent_seconds else 0.0


async def wait_until_answering(sb: Sandbox, user: User, channel: Channel, data: JSON) -> None:
    """Agora is up once it answers an interaction; retry until then (60 s at most)."""
    deadline = time.monotonic() + 60
    while True:
        record = sb.interactions.create(
            InteractionType.APPLICATION_COMMAND, "initiative info", user.id, channel, data
        )
        await record.answered.wait()
        if record.failure is None:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"Agora did not answer: {record.failure}")


async def start_profiler(output: str, process: Any) -> asyncio.subprocess.Process | None:
    """py-spy sampling Agora's process (collapsed stacks to ``output``), if asked."""
    if not output:
        return None
    if process is None:
        raise SystemExit("--profile needs Agora as a subprocess (drop --in-process)")
    profiler = await asyncio.create_subprocess_exec(
        "py-spy",
        "record",
        "--pid",
        str(process.pid),
        "--rate",
        "500",
        "--format",
        "raw",
        "--output",
        output,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await asyncio.sleep(1)  # py-spy attaches
    return profiler


async def stop_profiler(profiler: asyncio.subprocess.Process | None) -> None:
    if profiler is not None:
        profiler.send_signal(2)  # SIGINT: py-spy writes its output and exits
        await asyncio.wait_for(profiler.wait(), 30)


async def run(arguments: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(2017)
    names = initiative_names(arguments.initiatives, rng)
    with tempfile.TemporaryDirectory(prefix="agora-bench-") as tmp:
        workdir = Path(tmp)
        database = workdir / "agora.db"
        sb = agora_sandbox()
        await sb.start()
        try:
            guild = sb.create_seed_guild()
            guild_id = int(guild.id)
            people = guild_people(sb, guild, arguments.memberships, arguments.initiatives)
            seed_seconds = await seed_database(database, guild_id, names, people, rng)
            async with running_agora(
                sb, database, guild_id, arguments.in_process, workdir
            ) as process:
                await sb.wait_for_call(method="PUT", since=0, timeout=60)  # commands synced
                drivers = [sb.user(f"bench{n}") for n in range(20)]
                users = [driver.user for driver in drivers]
                channel = sb.channel("general")
                first = build_command_data(
                    sb, users[0], "initiative info", {"initiative": "initiative-0"}, channel
                )
                await wait_until_answering(sb, users[0], channel, first)

                count = int(arguments.rate * arguments.seconds)
                warm = max(50, int(arguments.rate * 2))
                info_datas = [
                    build_command_data(sb, users[0], "initiative info", options, channel)
                    for options in info_queries(names, count + warm, rng)
                ]
                auto_datas = [
                    build_command_data(
                        sb,
                        users[0],
                        "initiative info",
                        {},
                        channel,
                        focused=("initiative", text),
                    )
                    for text in autocomplete_queries(names, count + warm, rng)
                ]
                commands = {
                    "/initiative info": (InteractionType.APPLICATION_COMMAND, info_datas),
                    "/initiative info autocomplete": (InteractionType.AUTOCOMPLETE, auto_datas),
                }
                # This process is the measuring instrument: the sandbox keeps every
                # interaction, message and REST call, so its full collections grow to
                # ~100 ms and would be measured as Agora's latency. With Agora in a
                # subprocess, this process collects before each phase, not during it.
                # (In-process, Agora's own collector must run: GC stays on.)
                instrument_gc = process is not None
                results: dict[str, Any] = {}
                samples: list[tuple[float, str, float]] = []
                profiler = await start_profiler(arguments.profile, process)
                for label, (kind, datas) in commands.items():
                    await drive(
                        sb, datas[:warm], kind, "initiative info", users, channel, arguments.rate
                    )
                    if instrument_gc:
                        gc.collect()
                        gc.disable()
                    agora_cpu, bench_cpu = cpu_seconds(process), time.process_time()
                    latencies, failures, achieved = await drive(
                        sb,
                        datas[warm:],
                        kind,
                        "initiative info",
                        users,
                        channel,
                        arguments.rate,
                        samples,
                    )
                    gc.enable()
                    agora_cpu = cpu_seconds(process) - agora_cpu
                    bench_cpu = time.process_time() - bench_cpu
                    requests = len(datas) - warm
                    results[label] = {
                        "agora_cpu_ms_per_request": round(agora_cpu * 1000 / requests, 2),
                        "sandbox_cpu_ms_per_request": (
                            None if process is None else round(bench_cpu * 1000 / requests, 2)
                        ),
                        "requests": requests,
                        "failures": failures,
                        "rate_per_s": round(achieved, 1),
                        "p50_ms": round(percentile(latencies, 0.50), 2),
                        "p95_ms": round(percentile(latencies, 0.95), 2),
                        "p99_ms": round(percentile(latencies, 0.99), 2),
                        "max_ms": round(max(latencies), 2),
                    }
                await stop_profiler(profiler)
                if arguments.samples:
                    with open(arguments.samples, "w", encoding="utf-8") as out:  # noqa: ASYNC230
                        origin = samples[0][0] if samples else 0.0
                        for at, label, latency in samples:
                            out.write(f"{at - origin:.4f}\t{label}\t{latency:.3f}\n")
        finally:
            await sb.stop()
    return {
        "initiatives": arguments.initiatives,
        "memberships": arguments.memberships,
        "agora": "in-process" if arguments.in_process else "subprocess",
        "seed_seconds": round(seed_seconds, 1),
        "seconds_per_command": arguments.seconds,
        "target_p99_ms": TARGET_P99_MS,
        "commands": results,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


# --- report ---------------------------------------------------------------------------------


def table(result: dict[str, Any]) -> str:
    lines = [
        "| command | requests | rate (/s) | failures | p50 (ms) | p95 (ms) | p99 (ms) | max (ms)"
        " | Agora CPU/request (ms) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, figures in result["commands"].items():
        lines.append(
            f"| {label} | {figures['requests']} | {figures['rate_per_s']} | "
            f"{figures['failures']} | {figures['p50_ms']} | {figures['p95_ms']} | "
            f"{figures['p99_ms']} | {figures['max_ms']} | {figures['agora_cpu_ms_per_request']} |"
        )
    return "\n".join(lines)


HISTORY = """\
Profiling and fixes (2026-11-22, same machine, 2 CPUs shared with other benchmarks running
at the same time, load average 2-4 during every run, so the tails vary a lot from run to run):

- py-spy and `gc.callbacks` showed full garbage collections walking the in-memory directory
  (10,000 initiatives, 100,000 memberships): one full collection took ~200 ms in Agora, and
  the bench's own sandbox, which keeps every interaction, paused ~100 ms too.
  Fix: `DirectoryCache` calls `gc.freeze()` after loading a guild (a full collection: 202 ms
  before, ~0 ms after); the bench collects before each phase and not during it (Agora in a
  subprocess keeps its GC as usual). (Both freezes are now asked for through a `Heap`;
  the collector itself is tuned only by start-up code, `bot/runtime.py`'s `CollectedHeap`.)
- Before/after, back to back (10 s per command at 200/s): p99 info 74 -> 18 ms, autocomplete
  229 -> 155 ms; earlier runs before the fix went to 93 / 223 ms. The CPU Agora spends per
  interaction is 1.8-2.0 ms, almost all in discord.py and aiohttp (gateway parse, callback
  POST); the directory service itself answers info in 0.01 ms and autocomplete in 0.09 ms
  p50 / 1.4 ms p99 for this query mix (no Discord in between).
- p50 is 2-4 ms; p99 is NOT under 10 ms here (18-80 ms from run to run). The slow requests
  come in bursts of 0.5-1 s; asyncio debug mode (one 100/s run) logged no Agora callback over
  100 ms, so the likeliest cause is other processes taking the two CPUs, but that is not
  proven. To be measured again on a quiet machine (and profiled again if it still misses).

Second round (2026-11-22 03:00-03:30): on a quiet machine the tail was still there (info p99
15 ms / max 70, autocomplete p99 38 / max 118). Every loop callback over 3 ms and every
collection over 0.5 ms was logged with its monotonic time in both processes (a
`sitecustomize` wrapping `asyncio.Handle._run` and `gc.callbacks`) and matched to the slow
requests:

- Every burst of slow requests sat on a full collection in Agora (55 ms and 130 ms in one
  run; 64 and 111 ms in the next). What those collections walked: 24,000 -> 40,000
  `Membership` and `MembershipChange` objects, growing. **The harness was the cause**: it
  seeded the memberships under made-up user ids that were not members of the sandbox's guild,
  so Agora's catch-up on connect (`DirectorySync.on_ready` -> `memberships.reconcile`)
  rightly took all 21,000 of them for people who left while it was away and spent the whole
  measurement ending their 100,000 memberships, one user at a time. Fix: the bench makes
  every seeded person a member of the guild (`guild_people`).
- With the data consistent, the one slow request left (77 ms) sat on a 31 ms full
  collection walking discord.py's member cache: 21,000 chunked members are ~125,000 objects.
  Fix in Agora: `DirectorySync.on_ready` calls `gc.freeze()` after the members are loaded
  and reconciled, as `DirectoryCache` does for the directory (full collection 24-31 ms ->
  5.5 ms).
- The bench's own loop stalled 11-26 ms at the end of each phase, just as the last
  interactions went out, creating 2,000 waiter tasks (`gather`); it now waits on them in
  turn. Its own collections stay outside the measured phases (checked: none in them).
- Before -> after (10 s per command; the "before" on a quiet machine, load 0.6): info p99
  15 -> 2.0-2.3 ms (max 70 -> 3.5-6.5), autocomplete p99 38 -> 3.7-4.6 ms (max 118 ->
  15-77) in 5 of 7 runs at load 0.1-1.4. Two runs (with the logging wrappers on) still
  missed (info p99 30 and 13 ms, autocomplete 13 and 16 ms) and one plain run missed for
  autocomplete (26 ms): those slow requests line up with callbacks in BOTH processes taking
  10-16 ms of wall time for 1-2 ms of thread CPU (`time.thread_time`), with no collection,
  no other thread of Agora busy (its aiosqlite and heartbeat threads did not run during the
  phase): the processes were off the CPU. /proc/stat sampled every 100 ms in one of those
  runs shows why: the hypervisor's steal time. Of 1,902 requests sent in windows with no
  steal, none took over 8 ms; with 10 / 20 / 30+ ms of the 2 vCPUs' 200 ms stolen, 1.3 % /
  2.8 % / 15 % did (117 slow requests in all, every burst in a steal burst). That is the
  machine (a Firecracker VM sharing its host), not Agora, the sandbox or the harness; runs
  that meet the target are those without steal bursts, so check /proc/stat's steal column
  next to the load average when a run misses."""


def write_docs(text_table: str, result: dict[str, Any], command: str) -> None:
    """Replace (or add) the "## Lookups" section, leaving other headings alone."""
    mode = (
        "Agora in this process"
        if result["agora"] == "in-process"
        else "Agora as a subprocess (`run_bot.py --config`)"
    )
    section = (
        "## Lookups\n\n"
        f"Command: `{command}` ({result['initiatives']:,} initiatives, "
        f"{result['memberships']:,} memberships in SQLite; sandbox in the bench process, "
        f"{mode}; {result['cpus']} CPUs; "
        f"run {datetime.now(UTC):%Y-%m-%d}). Latency is measured in the sandbox from the "
        "interaction being sent to its callback request arriving, before validation.\n\n"
        f"{text_table}\n\n"
        f"Target: p99 under {TARGET_P99_MS:g} ms at 200 requests/s, no failures.\n\n"
        f"{HISTORY}\n\n"
        f"```json\n{json.dumps(result, sort_keys=True)}\n```\n"
    )
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    start = text.find("## Lookups\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + ("" if end == -1 else text[end + 1 :])
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--initiatives", type=int, default=10_000)
    parser.add_argument("--memberships", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=200.0, help="interactions per second")
    parser.add_argument("--seconds", type=float, default=10.0, help="per command")
    parser.add_argument("--in-process", action="store_true", help="Agora in this event loop")
    parser.add_argument("--profile", default="", help="py-spy collapsed stacks of Agora here")
    parser.add_argument("--samples", default="", help="write every latency here (TSV)")
    parser.add_argument("--no-docs", action="store_true", help="do not touch docs/benchmarks.md")
    arguments = parser.parse_args()
    result = asyncio.run(run(arguments))
    text_table = table(result)
    print(text_table)
    print(json.dumps(result, sort_keys=True))
    if not arguments.no_docs:
        write_docs(text_table, result, "python " + " ".join(["bench/lookups.py", *sys.argv[1:]]))
    missed = [
        label
        for label, figures in result["commands"].items()
        if figures["p99_ms"] >= TARGET_P99_MS or figures["failures"]
    ]
    if missed:
        print(f"target missed for: {', '.join(missed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
