"""PostgreSQL's pool: a read is one round trip to the server, nothing more."""

from __future__ import annotations

from typing import Any

from bot.storage.postgres import PostgresDatabase, to_postgres
from tests.support.postgres import PostgresServer


async def test_a_read_sends_the_server_only_its_query(postgres_server: PostgresServer) -> None:
    """asyncpg's pool would send ``RESET ALL; CLOSE ALL; UNLISTEN *; ...`` after every
    query given back to it: a second round trip for each of Agora's reads."""
    database = await PostgresDatabase.open(await postgres_server.new_database(), 1)
    try:
        sent: list[str] = []

        def heard(record: Any) -> None:
            sent.append(record.query)

        async with database.pool.acquire() as conn:
            conn.add_query_logger(heard)
        read = "SELECT version FROM agora_schema WHERE version > ?"
        sent.clear()
        for _ in range(3):
            assert await database.fetch_one(read, (0,)) is not None
        assert await database.fetch_all(read, (0,))
        assert sent == [to_postgres(read)] * 4
    finally:
        await database.close()


async def test_a_transaction_left_open_is_not_handed_on(postgres_server: PostgresServer) -> None:
    """Without the server-side reset, a connection still comes back from the pool with no
    transaction open (asyncpg rolls it back)."""
    database = await PostgresDatabase.open(await postgres_server.new_database(), 1)
    try:
        async with database.pool.acquire() as conn:
            await conn.execute("BEGIN")
            await conn.execute("INSERT INTO agora_schema (version) VALUES (999)")
        row = await database.fetch_one("SELECT count(*) FROM agora_schema WHERE version = 999")
        assert row is not None and row[0] == 0
        async with database.pool.acquire() as conn:
            assert not conn.is_in_transaction()
    finally:
        await database.close()
