"""PostgreSQL for bench/run.py: a server the benchmark starts itself, holding the same big
database as the SQLite file, generated once and kept.

The cluster lives in ``$TMPDIR/agora-bench-pg-<sizes>-<hash>/`` (the hash covers the SQLite
database's, every PostgreSQL migration and the server's version). The first run initdbs
it, migrates a database ``agora_seed`` as Agora does, copies every row of
bench/seed_large.py's SQLite file into it (``COPY``), and runs ``VACUUM ANALYZE``; later
runs only start the server on it. Each bot run gets ``agora_run``, a fresh copy made with
``CREATE DATABASE ... TEMPLATE agora_seed`` (a file copy, seconds).

The server runs as the tests' does (``tests/support/postgres.py``: as ``nobody`` under
root, a unix socket in a temp folder, no TCP), but with PostgreSQL's own defaults for
durability: ``fsync`` on, ``synchronous_commit`` on, ``full_page_writes`` on,
``shared_buffers`` 128 MB; what a production server has unless tuned.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import time
from dataclasses import astuple
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.seed_large import Sizes, schema_hash
from bot.storage.database import migration_files
from tests.support.postgres import PostgresServer, _bindir, initdb, launch

SEED = "agora_seed"
RUN = "agora_run"
SETTINGS = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "shared_buffers": "128MB",
    "max_connections": "100",
}
_CHUNK = 50_000
_TICKS = os.sysconf("SC_CLK_TCK")


def cluster_folder(sizes: Sizes) -> Path:
    digest = hashlib.sha256(schema_hash(sizes).encode())
    for version, name, sql in migration_files("postgresql"):
        digest.update(f"{version}:{name}:{sql}".encode())
    postgres = subprocess.run(
        [str(_bindir() / "postgres"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    digest.update(postgres.encode())
    return Path(tempfile.gettempdir()) / f"{_prefix(sizes)}{digest.hexdigest()[:16]}"


def _prefix(sizes: Sizes) -> str:
    return f"agora-bench-pg-{'-'.join(str(n) for n in astuple(sizes))}-"


class BenchPostgres:
    """The running server on the kept cluster; ``fresh_database()`` for each bot run."""

    def __init__(
        self, server: PostgresServer, data: Path, version: str, seeded_seconds: float | None
    ) -> None:
        self.server = server
        self.version = version
        self.seeded_seconds = seeded_seconds  # None when the cluster was kept from before
        self.postmaster = int((data / "postmaster.pid").read_text().split()[0])

    def cpu_seconds(self) -> float:
        """The server's CPU time so far: the postmaster's, its live children's (the
        connections' backends, the writers) and that of the children it has reaped."""
        total = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = stat.read_text(encoding="ascii").rsplit(")", 1)[1].split()
                pid, ppid = int(stat.parent.name), int(fields[1])
                if pid == self.postmaster:
                    total += sum(int(f) for f in fields[11:15]) / _TICKS  # + cutime, cstime
                elif ppid == self.postmaster:
                    total += (int(fields[11]) + int(fields[12])) / _TICKS
        return total

    async def fresh_database(self) -> str:
        conn = await asyncpg.connect(self.server.url("postgres"))
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {RUN}")
            await conn.execute(f"CREATE DATABASE {RUN} TEMPLATE {SEED}")
        finally:
            await conn.close()
        return self.server.url(RUN)

    async def stop(self) -> None:
        await asyncio.to_thread(self.server.stop)


async def start(sizes: Sizes, sqlite_master: Path) -> BenchPostgres:
    """The server on the cluster for ``sizes``, seeding it from ``sqlite_master`` first if
    it is not kept from an earlier run."""
    folder = cluster_folder(sizes)
    data, ready = folder / "data", folder / "seeded"
    seeded_seconds: float | None = None
    if not ready.exists():
        _remove_stale_clusters(sizes)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(folder, "nobody")  # initdb runs as nobody
        await asyncio.to_thread(initdb, data)
    runtime = Path(tempfile.mkdtemp(prefix="agora-bench-pgrun-"))
    server = await asyncio.to_thread(launch, runtime, data, SETTINGS)
    try:
        if not ready.exists():
            started = time.perf_counter()
            await _seed(server, sqlite_master)
            seeded_seconds = time.perf_counter() - started
            ready.write_text(f"{seeded_seconds:.1f} s\n", encoding="utf-8")
        conn = await asyncpg.connect(server.url("postgres"))
        try:
            version = str(await conn.fetchval("SHOW server_version")).split()[0]
        finally:
            await conn.close()
    except BaseException:
        server.stop()
        raise
    return BenchPostgres(server, data, version, seeded_seconds)


def _remove_stale_clusters(sizes: Sizes) -> None:
    """Clusters of these sizes kept for an older schema (~700 MB each at the full size),
    unless a server runs on one."""
    for folder in Path(tempfile.gettempdir()).glob(f"{_prefix(sizes)}*"):
        pid_file = folder / "data" / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid_file.read_text().split()[0]), 0)
            continue  # a server is running on it
        shutil.rmtree(folder, ignore_errors=True)


async def _seed(server: PostgresServer, sqlite_path: Path) -> None:
    from bot.storage.postgres import PostgresDatabase

    admin = await asyncpg.connect(server.url("postgres"))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {SEED}")
        await admin.execute(f"CREATE DATABASE {SEED} TEMPLATE template0")
    finally:
        await admin.close()
    database = await PostgresDatabase.open(server.url(SEED))  # Agora's own migrations
    await database.close()
    conn = await asyncpg.connect(server.url(SEED))
    try:
        await copy_rows(sqlite_path, conn)
        await conn.execute("VACUUM ANALYZE")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


async def copy_rows(sqlite_path: Path, conn: asyncpg.Connection) -> dict[str, int]:
    """Every row of the SQLite file into the migrated PostgreSQL database ``conn`` is on:
    the tables both have, the columns PostgreSQL stores (not its generated ones), ISO
    times as ``timestamptz``; identity counters moved past the copied ids."""
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in await conn.fetch(
        "SELECT table_name, column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = 'public' AND is_generated = 'NEVER'"
        " ORDER BY table_name, ordinal_position"
    ):
        columns.setdefault(table, []).append((column, data_type))
    columns.pop("agora_schema", None)
    source = sqlite3.connect(f"file:{sqlite_path}?mode=ro", uri=True)
    copied: dict[str, int] = {}
    try:
        present = {
            row[0] for row in source.execute("SELECT name FROM sqlite_master WHERE type='table'")
        }
        # Foreign keys and triggers are not checked while copying rows already checked.
        await conn.execute("SET session_replication_role = replica")
        for table, cols in columns.items():
            if table not in present:
                continue
            names = [name for name, _ in cols]
            times = [i for i, (_, kind) in enumerate(cols) if kind.startswith("timestamp")]
            cursor = source.execute(f"SELECT {', '.join(names)} FROM {table}")
            count = 0
            while rows := cursor.fetchmany(_CHUNK):
                records: list[Any] = rows
                if times:
                    records = [_with_times(row, times) for row in rows]
                await conn.copy_records_to_table(table, records=records, columns=names)
                count += len(rows)
            copied[table] = count
        await conn.execute("SET session_replication_role = DEFAULT")
        for table, column in await conn.fetch(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND is_identity = 'YES'"
        ):
            await conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                f" coalesce(max({column}), 0) + 1, false) FROM {table}"
            )
    finally:
        source.close()
    return copied


def _with_times(row: tuple[Any, ...], times: list[int]) -> tuple[Any, ...]:
    values = list(row)
    for i in times:
        if isinstance(values[i], str):
            values[i] = datetime.fromisoformat(values[i])
    return tuple(values)
