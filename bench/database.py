"""The SQLite path's hot reads: Agora's repositories, and the same statements through
SQLAlchemy Core's async engine (the alternative to bot/storage's thin dialect layer).

    python bench/database.py [--rounds 30]

A database of bench/seed_large.py's default size (10k initiatives, 100k memberships,
10k meetings; 10k messages) is built once in a temp folder. Timed, median of the rounds:

* the directory load: ``MembershipRepository.current_by_user`` and
  ``DirectoryRepository.list_initiatives`` (what the in-memory directory reads at start);
* ``/meeting list``: ``MeetingRepository.list_meetings`` upcoming and past, with a fresh
  repository each round so its kept answers do not hide the reads;
* each of those reads replayed statement by statement, as SQLite traced them, through
  aiosqlite (what Agora does) and through SQLAlchemy's ``AsyncConnection.execute(text())``
  over the same aiosqlite driver.

Run it at two commits to compare Agora before and after a storage change.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seed_large import PLACEHOLDER_GUILD, Sizes, build
from bot.storage.meetings.repository import MeetingRepository
from bot.storage.store import Store

GUILD = PLACEHOLDER_GUILD


async def timed(rounds: int, step: Callable[[], Awaitable[object]]) -> float:
    """Median milliseconds of ``step`` over ``rounds`` (after one warm-up)."""
    await step()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        await step()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="agora-bench-db-") as folder:
        path = Path(folder) / "bench.db"
        build(path, Sizes(messages=10_000), GUILD)
        store = await Store.open(path)
        now = datetime.now(UTC)

        async def directory_load() -> None:
            await store.memberships.current_by_user(GUILD)
            await store.directory.list_initiatives(GUILD)

        async def meeting_lists() -> None:
            meetings = MeetingRepository(store.db)  # nothing kept yet
            await meetings.list_meetings(GUILD, now, upcoming=True)
            await meetings.list_meetings(GUILD, now, upcoming=False)

        # The statements each read runs, with their parameters, as SQLite traced them.
        traced: dict[str, list[str]] = {}
        conn = store.db.conn  # type: ignore[attr-defined]
        for name, read in (("directory load", directory_load), ("/meeting list", meeting_lists)):
            statements: list[str] = []
            await conn.set_trace_callback(statements.append)
            await read()
            await conn.set_trace_callback(None)
            traced[name] = statements

        figures = {
            "directory load": await timed(rounds, directory_load),
            "/meeting list": await timed(rounds, meeting_lists),
        }
        for name, statements in traced.items():

            async def replay(statements: list[str] = statements) -> None:
                for sql in statements:
                    async with conn.execute(sql) as cursor:
                        await cursor.fetchall()

            figures[f"{name}: statements via aiosqlite"] = await timed(rounds, replay)
        await store.close()

        try:
            from sqlalchemy import text
            from sqlalchemy.ext.asyncio import create_async_engine
        except ImportError:
            print("(pip install sqlalchemy for the SQLAlchemy figures)")
        else:
            engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
            async with engine.connect() as alchemy:
                for name, statements in traced.items():
                    compiled = [text(sql.replace(":", r"\:")) for sql in statements]

                    async def replay_alchemy(compiled: list[object] = compiled) -> None:
                        for clause in compiled:
                            result = await alchemy.execute(clause)  # type: ignore[call-overload]
                            result.fetchall()

                    figures[f"{name}: statements via SQLAlchemy"] = await timed(
                        rounds, replay_alchemy
                    )
            await engine.dispose()

        width = max(len(name) for name in figures)
        for name, ms in figures.items():
            print(f"{name:<{width}}  {ms:8.2f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    asyncio.run(main(parser.parse_args().rounds))
