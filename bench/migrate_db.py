"""``run_bot.py migrate-db`` on the benchmark database: the copy into PostgreSQL, timed.

    python bench/migrate_db.py           # 10k initiatives, 100k memberships, 10k meetings,
                                         # 1M counted messages (about 1.2M rows)
    python bench/migrate_db.py --quick   # a small database, to try the script

The SQLite file is bench/seed_large.py's, cached in ``$TMPDIR/agora-bench-<hash>/`` as
bench/run.py keeps it (built on the first run). PostgreSQL is the tests' throw-away server
(``tests/support/postgres.py``: a unix socket, ``fsync`` off), with an empty database
that the copy migrates first. The copy runs exactly as the command does
(``bot.storage.copy_database``), then prints one line per table (rows, checksum match),
the rows copied per second, and the total: copy plus the check of every table.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.seed_large import Sizes, cached_database
from bot.storage.copy_database import copy_sqlite_to_postgres
from tests.support.postgres import start_server

QUICK = Sizes(initiatives=300, memberships=2_000, meetings=200, messages=20_000)


async def run(sizes: Sizes) -> int:
    with tempfile.TemporaryDirectory(prefix="agora-bench-migrate-") as scratch:
        started = time.perf_counter()
        generated, cached = cached_database(sizes, Path(scratch) / "agora.db")
        print(
            f"SQLite database {sizes}: {'cached' if cached else 'built'}"
            f" in {time.perf_counter() - started:.1f} s"
        )
        server = await asyncio.to_thread(start_server)
        try:
            target = await server.new_database(migrated=False)
            report = await copy_sqlite_to_postgres(
                str(generated.path), target, progress=lambda line: print(f"  {line}")
            )
        finally:
            await asyncio.to_thread(server.stop)
    for table in report.tables:
        state = "checksum match" if table.matches else "MISMATCH"
        rows = f"{table.source_rows:,} row{'' if table.source_rows == 1 else 's'}"
        print(f"{table.name:<28} {rows:>15}  {state}")
    print(f"left out (derived): {', '.join(report.left_out)}")
    print(
        f"{report.rows:,} rows in {len(report.tables)} tables: copied in"
        f" {report.copy_seconds:.1f} s ({report.rows / report.copy_seconds:,.0f} rows/s),"
        f" {report.seconds:.1f} s in all with migrating the target and checking every table"
    )
    return 0 if report.matches else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a small database")
    args = parser.parse_args()
    return asyncio.run(run(QUICK if args.quick else Sizes()))


if __name__ == "__main__":
    sys.exit(main())
