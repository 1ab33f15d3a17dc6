"""``run_bot.py migrate-db`` as an admin runs it: the report, the line to switch, exit codes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.storage.store import Store
from tests.cli.test_run_bot import run_bot
from tests.support.postgres import PostgresServer


async def sqlite_database(path: Path) -> Path:
    store = await Store.open(path)
    try:
        await store.bot_state.set("command_hash", "abc123")
        await store.web.set_published(1000, True, datetime(2027, 6, 14, tzinfo=UTC))
    finally:
        await store.close()
    return path


async def test_migrate_db_copies_reports_and_refuses_a_second_copy(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    source = await sqlite_database(tmp_path / "agora.db")
    target = await postgres_server.new_database(migrated=False)

    done = run_bot("migrate-db", "--from", f"sqlite:///{source}", "--to", target)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert any(
        line.startswith("bot_state ") and "1 row " in line and "checksum match" in line
        for line in lines
    )
    assert any(line.startswith("memberships ") and "0 rows" in line for line in lines)
    assert "initiatives_fts" in done.stdout and "must not be running" in done.stdout
    assert lines[-2:] == ["[database]", f'url = "{target}"']

    again = run_bot("migrate-db", "--from", str(source), "--to", target)
    assert again.returncode == 1
    assert "already holds data" in again.stderr and "--replace" in again.stderr
    assert "Traceback" not in again.stderr

    replaced = run_bot("migrate-db", "--from", str(source), "--to", target, "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert "MISMATCH" not in replaced.stdout

    wrong_way = run_bot("migrate-db", "--from", target, "--to", target)
    assert wrong_way.returncode == 1
    assert "not an SQLite database" in wrong_way.stderr and "Traceback" not in wrong_way.stderr


def test_migrate_db_help_says_to_stop_agora_first() -> None:
    shown = run_bot("migrate-db", "--help")
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())
    assert "Stop Agora first" in text and "--replace" in text and "--to URL" in text
