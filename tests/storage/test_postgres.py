"""The rewrite of the repositories' SQLite text for PostgreSQL, and types coming back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.storage.directory.models import db_time
from bot.storage.postgres import to_postgres
from bot.storage.store import Store


@pytest.mark.parametrize(
    ("sqlite", "postgres"),
    [
        ("SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"),
        ("SELECT ?1, ?2 WHERE x = ?1", "SELECT $1, $2 WHERE x = $1"),
        ("SET last = MAX(last, ?)", "SET last = greatest(last, $1)"),
        ("SELECT MAX(MAX(a, b)) FROM t", "SELECT MAX(greatest(a, b)) FROM t"),
        ("SELECT min(x), MIN(f(a, b), c) FROM t", "SELECT min(x), least(f(a, b), c) FROM t"),
        ("WHERE title LIKE ? ESCAPE '\\'", "WHERE title ILIKE $1 ESCAPE '\\'"),
        ("SELECT instr(a, ?)", "SELECT strpos(a, $1)"),
        (
            "SELECT json_group_array(json_array(a, json(b))) FROM t NOT INDEXED",
            "SELECT json_agg(json_build_array(a, to_json(b))) FROM t ",
        ),
        ("FROM meetings m INDEXED BY meetings_by_guild_start WHERE", "FROM meetings m  WHERE"),
        # Nothing inside a string literal is touched.
        ("SELECT 'max(a, b) ? LIKE' WHERE x = ?", "SELECT 'max(a, b) ? LIKE' WHERE x = $1"),
    ],
)
def test_the_rewrite(sqlite: str, postgres: str) -> None:
    assert to_postgres(sqlite) == postgres


def test_mixed_placeholders_are_refused() -> None:
    with pytest.raises(ValueError, match="mixed"):
        to_postgres("SELECT ?, ?2")


async def test_values_come_back_as_sqlite_gives_them(database_url: str) -> None:
    """ISO times as db_time's text, JSON as text, flags and ids as ints, on both."""
    store = await Store.open(database_url)
    try:
        moment = datetime(2026, 3, 1, 9, 30, 15, 250000, tzinfo=UTC)
        async with store.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO guild_settings (guild_id, reminder_offsets, updated_at)"
                " VALUES (?, ?, ?)",
                (2**62, "[86400, 3600]", db_time(moment)),
            )
        row = await store.db.fetch_one(
            "SELECT guild_id, reminder_offsets, updated_at FROM guild_settings"
        )
        assert row is not None
        assert row[0] == 2**62
        assert row[1].replace(" ", "") == "[86400,3600]"
        assert row[2] == db_time(moment)
    finally:
        await store.close()
