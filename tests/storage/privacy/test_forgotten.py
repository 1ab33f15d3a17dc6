"""The forget tombstone and secure deletion, on real SQLite files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.storage.database import SECURE_DELETE_SINCE, migration_files
from bot.storage.store import Store

USER = 1_578_531_366_725_877_781
GUILD = 1_400_000_000_000_000_001


def _files_hold(path: Path, needle: bytes) -> bool:
    return any(needle in p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())


async def test_tombstone_holds_no_id_and_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "agora.db"
    store = await Store.open(path)
    await store.forgotten.record(GUILD, USER, at=1_790_000_000)
    assert await store.forgotten.forgotten_at(GUILD, USER, "meetings") == 1_790_035_200
    assert await store.forgotten.forgotten_among(GUILD, [USER, USER + 1], "memberships") == {
        USER: 1_790_035_200
    }
    assert await store.forgotten.forgotten_at(GUILD + 1, USER, "meetings") is None
    await store.close()

    store = await Store.open(path)  # a restart: same secret, same tags
    assert await store.forgotten.forgotten_at(GUILD, USER, "discussions") == 1_790_035_200
    assert await store.forgotten.lift(GUILD, USER, "memberships")
    assert await store.forgotten.forgotten_at(GUILD, USER, "memberships") is None
    assert await store.forgotten.forgotten_at(GUILD, USER, "meetings") is not None
    await store.db.checkpoint()
    await store.close()
    assert not _files_hold(path, USER.to_bytes(8, "big"))
    assert not _files_hold(path, str(USER).encode())


async def test_a_database_from_before_secure_delete_is_rewritten_once(tmp_path: Path) -> None:
    path = tmp_path / "agora.db"
    # As an older Agora on an SQLite built without secure delete left it: a row erased,
    # its bytes still in a freed part of a page.
    with sqlite3.connect(path) as raw:
        raw.execute("PRAGMA secure_delete=OFF")
        for version, _, sql in migration_files():
            if version < SECURE_DELETE_SINCE:
                raw.executescript(sql)
        raw.execute(f"PRAGMA user_version = {SECURE_DELETE_SINCE - 1}")
        raw.execute(
            "INSERT INTO reminder_dm_optins (guild_id, user_id, opted_in_at) VALUES (?, ?, 0)",
            (GUILD, USER),
        )
        raw.commit()
        raw.execute("DELETE FROM reminder_dm_optins")
        raw.commit()
    assert _files_hold(path, USER.to_bytes(8, "big"))

    store = await Store.open(path)
    row = await store.db.fetch_one("PRAGMA secure_delete")
    assert row is not None and row[0] == 1
    await store.close()
    assert not _files_hold(path, USER.to_bytes(8, "big"))
