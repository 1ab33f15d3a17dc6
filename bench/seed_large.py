"""A large Agora database for benchmarks, written in bulk with direct SQL.

    python bench/seed_large.py OUT.db [--initiatives 10000] [--memberships 100000]
        [--meetings 10000] [--messages 1000000]

The schema is Agora's own (``bot.storage.database.migration_files``, applied as the
migration runner does), so the file opens in Agora without migrating. Rows:

* the six EIP-SCC Action Clusters and their initiatives from the seed file, then generated
  initiatives ("Urban Sensor Lab 412") up to ``--initiatives``, spread over the clusters;
* ``--memberships`` current memberships (about 5 % leads, every initiative has a lead)
  over a pool of members;
* ``--meetings`` meetings, nine in ten past and one in ten upcoming (from 3 days to a year
  ahead), half scoped to a cluster and a fifth to an initiative; upcoming ones have their
  Discord event linked and their three reminders pending (the 1 day / 1 hour / start
  offsets Agora plans), as a running Agora would have left them;
* discussions (one per 50 counted messages) with ``--messages`` counted messages as one
  ``discussion_activity`` row per message-hour and the matching per-thread counts and
  participants.

Everything belongs to guild ``guild_id`` (default :data:`PLACEHOLDER_GUILD`);
:func:`move_to_guild` rewrites it for a sandbox whose guild id is only known at run time.
:func:`cached_database` keeps one generated file per schema and size in a temp dir.
One transaction, journal off during the build: 1M activity rows take a few seconds.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.storage.database import migration_files

# A snowflake-shaped id (2023); bench/run.py gives the sandbox's guild this id.
PLACEHOLDER_GUILD = 1_050_000_000_000_000_000
GENERATOR_VERSION = 2  # bump when the generated rows change shape
USER_BASE = 500_000_000_000_000_000  # looks like a snowflake, never a sandbox user
EVENT_BASE = 600_000_000_000_000_000
THREAD_BASE = 700_000_000_000_000_000
MESSAGES_PER_THREAD = 50
ISO_EPOCH = "2017-06-20T09:00:00+00:00"

WORDS = (
    "smart city urban data platform mobility energy lamppost citizen district green water "
    "waste open innovation policy lab network european digital twin sensor grid transport "
    "procurement finance budget participatory health living climate resilient building solar "
    "heat bike harbour school market square bridge river tram charging"
).split()


@dataclass(frozen=True)
class Sizes:
    initiatives: int = 10_000
    memberships: int = 100_000
    meetings: int = 10_000
    messages: int = 1_000_000


@dataclass(frozen=True)
class Generated:
    path: Path
    initiative_names: list[str]
    cluster_names: list[str]
    seconds: float


def schema_hash(sizes: Sizes) -> str:
    """Changes whenever a migration, this generator or the sizes change."""
    digest = hashlib.sha256()
    for version, name, sql in migration_files():
        digest.update(f"{version}:{name}:{sql}".encode())
    digest.update(f"gen{GENERATOR_VERSION}:{json.dumps(asdict(sizes), sort_keys=True)}".encode())
    return digest.hexdigest()[:16]


def _seed() -> dict[str, list[dict[str, object]]]:
    path = Path(__file__).resolve().parents[1] / "bot" / "data" / "eip-scc.toml"
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _initiative_names(count: int, taken: set[str], rng: random.Random) -> list[str]:
    names: list[str] = []
    seen = {name.casefold() for name in taken}
    while len(names) < count:
        words = rng.sample(WORDS, rng.randint(2, 3))
        name = " ".join(word.title() for word in words) + f" {rng.randint(1, 9_999)}"
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def build(path: Path, sizes: Sizes, guild_id: int = PLACEHOLDER_GUILD) -> Generated:
    """Write a fresh database at ``path`` (replacing any file there)."""
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rng = random.Random(2017)
    seed = _seed()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=OFF")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("PRAGMA cache_size=-200000")
        migrations = migration_files()
        for _version, _name, sql in migrations:
            conn.executescript(sql)
        conn.execute(f"PRAGMA user_version = {migrations[-1][0]}")
        conn.execute("BEGIN")
        now = int(time.time())
        cluster_names = _clusters(conn, seed, guild_id)
        initiative_names = _initiatives(conn, seed, sizes, guild_id, rng)
        _memberships(conn, sizes, guild_id, rng)
        _meetings(conn, sizes, guild_id, now, rng)
        _discussions(conn, sizes, guild_id, now)
        conn.execute("COMMIT")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA optimize")
    finally:
        conn.close()
    return Generated(path, initiative_names, cluster_names, time.perf_counter() - started)


def _clusters(
    conn: sqlite3.Connection, seed: dict[str, list[dict[str, object]]], guild: int
) -> list[str]:
    rows = [
        (guild, c["slug"], c["name"], c.get("description", ""), ISO_EPOCH, ISO_EPOCH)
        for c in seed["clusters"]
    ]
    conn.executemany(
        "INSERT INTO clusters (guild_id, slug, name, description, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        rows,
    )
    return [str(c["name"]) for c in seed["clusters"]]


def _initiatives(
    conn: sqlite3.Connection,
    seed: dict[str, list[dict[str, object]]],
    sizes: Sizes,
    guild: int,
    rng: random.Random,
) -> list[str]:
    cluster_ids = {
        slug: cid
        for cid, slug in conn.execute("SELECT id, slug FROM clusters WHERE guild_id = ?", (guild,))
    }
    clusters = list(cluster_ids.values())
    rows: list[tuple[object, ...]] = []
    for item in seed["initiatives"][: sizes.initiatives]:
        rows.append(
            (
                guild,
                item["slug"],
                item["name"],
                item.get("goal", ""),
                cluster_ids[str(item["cluster"])],
            )
        )
    taken = {str(row[2]) for row in rows}
    for n, name in enumerate(_initiative_names(sizes.initiatives - len(rows), taken, rng)):
        goal = f"{name}: " + " ".join(rng.sample(WORDS, 12)) + "."
        rows.append((guild, f"gen-{n}", name, goal, clusters[n % len(clusters)]))
    conn.executemany(
        "INSERT INTO initiatives (guild_id, slug, name, goal, cluster_id, created_at, updated_at)"
        f" VALUES (?, ?, ?, ?, ?, '{ISO_EPOCH}', '{ISO_EPOCH}')",
        rows,
    )
    return [str(row[2]) for row in rows]


def _memberships(conn: sqlite3.Connection, sizes: Sizes, guild: int, rng: random.Random) -> None:
    ids = [
        row[0] for row in conn.execute("SELECT id FROM initiatives WHERE guild_id = ?", (guild,))
    ]
    if not ids:
        return
    people = max(10, sizes.memberships // 6)  # about six initiatives per member
    pairs: set[tuple[int, int]] = set()
    rows: list[tuple[int, int, int, str]] = []
    # One lead per initiative first, then members at random.
    for initiative_id in ids[: sizes.memberships]:
        user = USER_BASE + rng.randrange(people)
        pairs.add((initiative_id, user))
        rows.append((guild, initiative_id, user, "lead"))
    while len(rows) < sizes.memberships:
        pair = (rng.choice(ids), USER_BASE + rng.randrange(people))
        if pair in pairs:
            continue
        pairs.add(pair)
        rows.append((guild, pair[0], pair[1], "lead" if rng.random() < 0.04 else "member"))
    conn.executemany(
        "INSERT INTO memberships (guild_id, initiative_id, user_id, role, joined_at, join_reason)"
        f" VALUES (?, ?, ?, ?, '{ISO_EPOCH}', 'joined')",
        rows,
    )


def _meetings(
    conn: sqlite3.Connection, sizes: Sizes, guild: int, now: int, rng: random.Random
) -> None:
    clusters = [
        row[0] for row in conn.execute("SELECT id FROM clusters WHERE guild_id = ?", (guild,))
    ]
    initiatives = [
        row[0] for row in conn.execute("SELECT id FROM initiatives WHERE guild_id = ?", (guild,))
    ]
    day = 86_400
    upcoming = sizes.meetings // 10
    meetings: list[tuple[object, ...]] = []
    for n in range(sizes.meetings):
        if n < upcoming:
            start = now + 3 * day + rng.randrange(362 * day)
        else:
            start = now - rng.randrange(3 * 365 * day) - day
        start -= start % 900
        title = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} meeting {n}"
        meetings.append(
            (
                guild,
                title,
                f"About {title}.",
                start,
                start + 2 * 3600,
                "venue",
                "Hotel Metropole",
                "Place de Brouckère 31, Brussels",
                USER_BASE + n % 1000,
                start - 30 * day,
                start - 30 * day,
            )
        )
    conn.executemany(
        "INSERT INTO meetings (guild_id, title, description, starts_at, ends_at, timezone,"
        " location_kind, location_name, location_address, organiser_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'Europe/Brussels', ?, ?, ?, ?, ?, ?)",
        meetings,
    )
    rows = list(conn.execute("SELECT id, starts_at FROM meetings WHERE guild_id = ?", (guild,)))
    scopes: list[tuple[int, int, str, int]] = []
    for meeting_id, _start in rows:
        draw = rng.random()
        if draw < 0.5 and clusters:
            scopes.append((meeting_id, guild, "cluster", rng.choice(clusters)))
        elif draw < 0.7 and initiatives:
            scopes.append((meeting_id, guild, "initiative", rng.choice(initiatives)))
    conn.executemany(
        "INSERT INTO meeting_scopes (meeting_id, guild_id, kind, ref_id) VALUES (?, ?, ?, ?)",
        scopes,
    )
    live = [(mid, start) for mid, start in rows if start > now]
    conn.executemany(
        "INSERT INTO meeting_events (meeting_id, guild_id, occurrence_start, event_id)"
        " VALUES (?, ?, 0, ?)",
        [(mid, guild, EVENT_BASE + mid) for mid, _ in live],
    )
    conn.executemany(
        "INSERT INTO reminders (guild_id, meeting_id, kind, slot, offset_seconds,"
        " occurrence_start, due_at, fire_at, target_kind, created_at)"
        " VALUES (?, ?, 'meeting', ?, ?, ?, ?, ?, 'meeting', ?)",
        [
            (guild, mid, f"m:0:{offset}", offset, start, start - offset, start - offset, now)
            for mid, start in live
            for offset in (86_400, 3_600, 0)
        ],
    )


def _discussions(conn: sqlite3.Connection, sizes: Sizes, guild: int, now: int) -> None:
    """``messages`` counted messages: one activity row per (thread, hour) with 1 message."""
    threads = max(1, -(-sizes.messages // MESSAGES_PER_THREAD))
    hour = 3600
    first_hour = (now - 90 * 86_400) // hour * hour
    conn.execute("CREATE TEMP TABLE seq (n INTEGER PRIMARY KEY)")
    conn.execute(
        "INSERT INTO seq (n) WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c"
        " WHERE n + 1 < ?) SELECT n FROM c",
        (max(threads, MESSAGES_PER_THREAD),),
    )
    count = conn.execute(
        "SELECT COUNT(*) FROM initiatives WHERE guild_id = ?", (guild,)
    ).fetchone()[0]
    conn.execute(
        "CREATE TEMP TABLE initiative_no AS SELECT id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS n"
        " FROM initiatives WHERE guild_id = ?",
        (guild,),
    )
    # Thread t: initiative t mod count; its messages are hours t*7 + k*37 (mod 90 days).
    conn.execute(
        "INSERT INTO discussions (guild_id, thread_id, parent_channel_id, initiative_id, name,"
        " author_id, created_at, message_count, last_activity_at)"
        " SELECT ?, ? + s.n, ? + i.n, i.id, 'Discussion ' || s.n, ? + s.n % 5000, ?,"
        " MIN(?, ? - s.n * ?), ?"
        " FROM seq s JOIN initiative_no i ON i.n = s.n % ? WHERE s.n < ?",
        (
            guild,
            THREAD_BASE,
            THREAD_BASE // 2,
            USER_BASE,
            first_hour,
            MESSAGES_PER_THREAD,
            sizes.messages,
            MESSAGES_PER_THREAD,
            now,
            max(count, 1),
            threads,
        ),
    )
    conn.execute(
        "INSERT INTO discussion_activity (guild_id, thread_id, hour_start, messages)"
        " SELECT d.guild_id, d.thread_id,"
        " ? + ((d.thread_id - ?) * 7 + k.n * 37) % 2160 * 3600, 1"
        " FROM discussions d JOIN seq k ON k.n < d.message_count WHERE d.guild_id = ?",
        (first_hour, THREAD_BASE, guild),
    )
    conn.execute(
        "INSERT INTO discussion_participants (guild_id, thread_id, user_id, message_count,"
        " first_at, last_at)"
        " SELECT d.guild_id, d.thread_id, ? + (d.thread_id - ? + p.n * 1237) % 16000,"
        " d.message_count / 3 + (p.n < d.message_count % 3), d.created_at, ?"
        " FROM discussions d JOIN seq p ON p.n < 3 WHERE d.guild_id = ? AND d.message_count > p.n",
        (USER_BASE, THREAD_BASE, now, guild),
    )
    conn.execute("DROP TABLE seq")
    conn.execute("DROP TABLE initiative_no")


GUILD_TABLES = (
    "guild_settings", "guild_setting_values", "dm_opt_outs", "clusters", "initiatives",
    "memberships", "resources", "meetings", "meeting_recurrences", "meeting_exceptions",
    "meeting_scopes", "meeting_sessions", "meeting_rsvps", "meeting_events",
    "meeting_announcements", "reminders", "reminder_dm_optins", "discussions",
    "discussion_participants", "discussion_activity", "initiative_nudges",
)  # fmt: skip


def move_to_guild(path: Path, guild_id: int, old: int = PLACEHOLDER_GUILD) -> float:
    """Rewrite every row of guild ``old`` to ``guild_id``; returns the seconds it took."""
    started = time.perf_counter()
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA foreign_keys=OFF")  # composite keys change together below
        conn.execute("BEGIN")
        for table in GUILD_TABLES:
            conn.execute(f"UPDATE {table} SET guild_id = ? WHERE guild_id = ?", (guild_id, old))
        conn.execute("COMMIT")
    finally:
        conn.close()
    return time.perf_counter() - started


def cached_database(sizes: Sizes, into: Path) -> tuple[Generated, bool]:
    """A copy at ``into`` of the generated database for ``sizes``, building it if needed
    (kept in ``$TMPDIR/agora-bench-<schema hash>/``); returns it and whether it was cached."""
    folder = Path(tempfile.gettempdir()) / f"agora-bench-{schema_hash(sizes)}"
    master = folder / "agora.db"
    names = folder / "names.json"
    cached = master.exists() and names.exists()
    if cached:
        data = json.loads(names.read_text(encoding="utf-8"))
        generated = Generated(master, data["initiatives"], data["clusters"], 0.0)
    else:
        folder.mkdir(parents=True, exist_ok=True)
        building = folder / f"building-{time.time_ns()}.db"
        generated = build(building, sizes)
        building.replace(master)
        names.write_text(
            json.dumps(
                {"initiatives": generated.initiative_names, "clusters": generated.cluster_names}
            ),
            encoding="utf-8",
        )
    into.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(master, into)
    return Generated(
        into, generated.initiative_names, generated.cluster_names, generated.seconds
    ), cached


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--initiatives", type=int, default=Sizes.initiatives)
    parser.add_argument("--memberships", type=int, default=Sizes.memberships)
    parser.add_argument("--meetings", type=int, default=Sizes.meetings)
    parser.add_argument("--messages", type=int, default=Sizes.messages)
    parser.add_argument("--guild-id", type=int, default=PLACEHOLDER_GUILD)
    args = parser.parse_args()
    sizes = Sizes(args.initiatives, args.memberships, args.meetings, args.messages)
    generated = build(args.out, sizes, args.guild_id)
    print(f"{args.out}: {sizes} in {generated.seconds:.2f} s")


if __name__ == "__main__":
    main()
