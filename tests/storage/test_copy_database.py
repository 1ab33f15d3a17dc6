"""migrate-db's copy (bot/storage/copy_database.py): an SQLite database filled through
Agora's services, copied into the suite's real PostgreSQL, reads back the same through
every repository; new rows get fresh ids; refusals change nothing; the checker sees a
difference."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.services.common.permissions import Actor
from bot.services.directory.importer import bundled_seed
from bot.services.directory.service import fts_query
from bot.services.meetings.service import MeetingDraft
from bot.services.polls.service import PollDraft
from bot.storage.copy_database import (
    Column,
    CopyError,
    Table,
    copy_sqlite_to_postgres,
    normalised,
    table_checksum,
)
from bot.storage.database import SqliteDatabase
from bot.storage.discussions.models import ActivityBatch, NewThread
from bot.storage.postgres import PostgresDatabase
from bot.storage.store import Store
from tests.support.meetings import Clock
from tests.support.outcomes import (
    ALICE,
    GUILD,
    ORGANISER,
    START,
    World,
    add_action,
    meeting_with_sessions,
    open_world,
)
from tests.support.postgres import PostgresServer

BOB = 88
DORA = 345_678_901_234_567_890
ADMIN = Actor(user_id=1, is_admin=True)


@dataclasses.dataclass
class Filled:
    path: Path
    meeting_ids: list[int]
    poll_id: int
    initiative_ids: list[int]


async def fill(path: Path) -> Filled:
    """A database with something in every area, written through Agora's services."""
    world: World = await open_world(str(path), Clock(START), [])
    try:
        services, store, now = world.services, world.store, world.clock.now
        await services.importer.import_directory(GUILD, bundled_seed(), "eip-scc.toml")
        initiatives = await store.directory.list_initiatives(GUILD)
        lamp, other = initiatives[0], initiatives[1]
        for user in (ALICE, BOB, DORA):
            await services.memberships.join(GUILD, user, lamp.name)
        await services.memberships.join(GUILD, ALICE, other.name)
        await services.memberships.leave(GUILD, BOB, lamp.name)  # history: a left membership
        # Documents #1 and #2, then #2 removed: the next one is #3, on PostgreSQL too.
        for title in ("Pole specs", "Pilot report"):
            await store.resources.add(
                GUILD, lamp.id, "document", title, f"https://ex.org/{title[:4]}", ALICE, now
            )
        await store.resources.remove(GUILD, (await store.resources.added_by(GUILD, ALICE))[-1].id)

        meeting_id, _ = await meeting_with_sessions(world)
        await services.rsvp.respond(GUILD, meeting_id, ALICE, "going")
        await services.rsvp.respond(GUILD, meeting_id, BOB, "maybe")
        await add_action(world, meeting_id, "2027-06-30")
        # Reminders in several states: sending, sent, skipped, pending; cancelled below.
        reminders = await store.reminders.for_meeting(meeting_id)
        assert len(reminders) >= 3
        fired = now + timedelta(days=30)  # when all of them have fallen due
        claimed = await store.reminders.claim([r.id for r in reminders[:3]], fired)
        assert len(claimed) == 3
        await store.reminders.finish([(claimed[0], "sent"), (claimed[1], "skipped")], fired)
        cancelled = await services.meetings.create(
            GUILD,
            ORGANISER,
            MeetingDraft(title="Cancelled workshop", start="2027-06-25 09:00", end="12:00"),
        )
        cancelled_id = cancelled.view.meeting.id
        await services.meetings.cancel(GUILD, cancelled_id, ORGANISER)

        created = await services.polls.create(
            GUILD,
            Actor(user_id=ORGANISER.user_id, is_organiser=True),
            PollDraft(title="Next plenary", slots="2027-07-01 10:00; 2027-07-02 10:00"),
        )
        poll_id = created.view.poll.id
        await services.polls.answer(GUILD, poll_id, 1, ALICE, "yes")
        await services.polls.answer(GUILD, poll_id, 2, BOB, "maybe")

        at = int(now.timestamp())
        await store.discussions.add(
            GUILD, NewThread(777, 555, lamp.id, "Pole heights", ALICE, at, last_activity_at=at)
        )
        await store.activity.apply_batch(
            ActivityBatch(
                threads=[(3, at + 60, GUILD, 777)],
                participants=[(GUILD, 777, ALICE, 2, at, at + 60), (GUILD, 777, BOB, 1, at, at)],
                hours=[(GUILD, 777, at - at % 3600, 3)],
            )
        )
        await store.activity.record_nudges(GUILD, [other.id], at)

        await services.web.publish(GUILD, ADMIN, True)
        await services.web.set_show_name(GUILD, ALICE, True)
        await store.guilds.set_dm_opt_out(GUILD, ALICE, "nudges", True, now)
        # JSON whose text PostgreSQL's jsonb rewrites (key order, spacing).
        await store.guilds.set_value(GUILD, "digest", {"zone": "UTC", "at": [9, 30]}, now)
        await store.reminders.set_dm_opt_in(GUILD, BOB, True, now)
        await store.bot_state.set("command_hash", "abc123")
        await services.meeting_drafts.keep(
            GUILD, ALICE, MeetingDraft(title="Draft", start="2027-07-09 10:00", end="1h")
        )
        # Dora asks to be forgotten: tombstones, and the secret they are hashed with.
        await services.privacy.forget_user(GUILD, DORA, Actor(user_id=DORA))
        return Filled(path, [meeting_id, cancelled_id], poll_id, [lamp.id, other.id])
    finally:
        await world.services.close()
        await world.store.close()


async def reads(store: Store, filled: Filled) -> list[Any]:
    """What the repositories give, area by area."""
    found: list[Any] = [
        await store.directory.list_clusters(GUILD),
        await store.directory.list_initiatives(GUILD),
        await store.memberships.current_for_guild(GUILD),
        await store.memberships.current_by_user(GUILD),
        await store.resources.counts(GUILD),
        await store.resources.added_by(GUILD, ALICE),
        await store.meetings.get_many(GUILD, filled.meeting_ids),
        await store.polls.get(GUILD, filled.poll_id),
        await store.polls.answers(filled.poll_id),
        await store.discussions.in_guild(GUILD, include_deleted=True),
        await store.activity.last_nudges(GUILD),
        await store.web.published_guilds(),
        await store.web.name_optins(GUILD),
        await store.guilds.values(GUILD),
        await store.guilds.dm_opt_outs(GUILD, ALICE),
        await store.reminders.dm_opted_in(GUILD, BOB),
        await store.reminders.state_counts(),
        await store.outcome_timers.state_counts(),
        await store.bot_state.get("command_hash"),
        # jsonb keeps no key order; Agora parses the draft (bot/services/meetings/drafts.py).
        [
            (d.id, d.guild_id, d.user_id, json.loads(d.draft), d.created_at)
            for d in await store.meeting_drafts.since(START - timedelta(days=1))
        ],
        await store.forgotten.forgotten_at(GUILD, DORA, "memberships"),
        await store.forgotten.forgotten_among(GUILD, [ALICE, DORA], "meetings"),
    ]
    for initiative_id in filled.initiative_ids:
        found.append(await store.memberships.history_for_initiative(GUILD, initiative_id))
        found.append(await store.memberships.role_changes_for_initiative(GUILD, initiative_id))
    for meeting_id in filled.meeting_ids:
        found += [
            await store.meetings.sessions(GUILD, meeting_id),
            await store.meetings.rsvps(meeting_id),
            await store.reminders.for_meeting(meeting_id),
            await store.outcomes.for_meeting(GUILD, meeting_id),
            await store.outcome_timers.for_meeting(meeting_id),
        ]
    return found


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_a_filled_database_reads_the_same_on_postgresql(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    filled = await fill(tmp_path / "agora.db")
    before = file_digest(filled.path)
    target = await postgres_server.new_database(migrated=False)

    report = await copy_sqlite_to_postgres(str(filled.path), target)

    assert report.matches, [t for t in report.tables if not t.matches]
    assert file_digest(filled.path) == before  # the source is only read
    by_name = {table.name: table for table in report.tables}
    assert by_name["memberships"].source_rows == 4  # Alice twice, Bob (left); Dora erased
    assert by_name["forgotten_members"].source_rows >= 1
    assert by_name["reminders"].source_rows >= 4
    assert "initiatives_fts" in report.left_out and "initiatives.search" in report.left_out
    assert not any(name.startswith("initiatives_fts") for name in by_name)

    sqlite, postgres = await Store.open(filled.path), await Store.open(target)
    try:
        on_sqlite, on_postgres = await reads(sqlite, filled), await reads(postgres, filled)
        assert on_postgres == on_sqlite
        states = {
            reminder.state
            for meeting_id in filled.meeting_ids
            for reminder in await postgres.reminders.for_meeting(meeting_id)
        }
        assert {"pending", "sending", "sent", "skipped", "cancelled"} <= states
        # PostgreSQL's search column was built from the copied names and goals: the same
        # initiatives are found as by SQLite's FTS5 index (ranks are each engine's own).
        lamp = on_postgres[1][0]
        for words in (lamp.name, "smart city"):
            found = [
                sorted(i for i, _ in (await s.directory.search(GUILD, fts_query(words), 50, 0))[0])
                for s in (sqlite, postgres)
            ]
            assert found[0] == found[1] and found[0]

        # New rows after the copy get fresh ids, and the numbering goes on where it was.
        highest = max(m.id for m in await postgres.memberships.current_for_guild(GUILD))
        world = await open_world(target, Clock(START), [])
        try:
            change = await world.services.memberships.join(GUILD, 4242, lamp.name)
            assert change.membership.id > highest
            document = await world.store.resources.add(
                GUILD, lamp.id, "document", "Budget", "https://ex.org/budget", 4242, START
            )
            assert document.number == 3
            meeting_id, _ = await meeting_with_sessions(world)
            assert meeting_id > max(filled.meeting_ids)
        finally:
            await world.store.close()
    finally:
        await sqlite.close()
        await postgres.close()


async def small_database(path: Path) -> Path:
    store = await Store.open(path)
    try:
        await store.bot_state.set("command_hash", "abc123")
        await store.web.set_published(GUILD, True, START)
    finally:
        await store.close()
    return path


async def test_a_target_holding_data_is_refused_unless_replace(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    source = await small_database(tmp_path / "agora.db")
    target = await postgres_server.new_database()
    assert (await copy_sqlite_to_postgres(str(source), target)).matches

    with pytest.raises(CopyError, match=r"already holds data.*--replace"):
        await copy_sqlite_to_postgres(str(source), target)

    # Something written on PostgreSQL meanwhile goes with --replace; nothing is doubled.
    store = await Store.open(target)
    await store.bot_state.set("only_on_postgres", "x")
    await store.close()
    report = await copy_sqlite_to_postgres(str(source), target, replace=True)
    assert report.matches
    bot_state = next(table for table in report.tables if table.name == "bot_state")
    assert bot_state.source_rows == bot_state.target_rows == 1
    store = await Store.open(target)
    try:
        assert await store.bot_state.get("only_on_postgres") is None
        assert await store.bot_state.get("command_hash") == "abc123"
    finally:
        await store.close()


async def test_a_source_behind_this_agora_or_not_sqlite_is_refused(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    source = await small_database(tmp_path / "agora.db")
    target = await postgres_server.new_database()
    old = await SqliteDatabase.open(source)
    await old.conn.execute("PRAGMA user_version = 5")
    await old.close()
    before = file_digest(source)
    with pytest.raises(CopyError, match=r"schema version 5.*migrate it first"):
        await copy_sqlite_to_postgres(str(source), target)
    assert file_digest(source) == before
    with pytest.raises(CopyError, match="no SQLite database"):
        await copy_sqlite_to_postgres(str(tmp_path / "missing.db"), target)
    with pytest.raises(CopyError, match="must be a PostgreSQL URL"):
        await copy_sqlite_to_postgres(str(source), str(tmp_path / "other.db"))
    store = await Store.open(target)
    try:
        assert await store.bot_state.get("command_hash") is None  # nothing was copied
    finally:
        await store.close()


async def test_the_checker_sees_a_changed_and_a_missing_row(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    source = await small_database(tmp_path / "agora.db")
    target = await postgres_server.new_database()
    assert (await copy_sqlite_to_postgres(str(source), target)).matches
    table = Table(
        "bot_state",
        (
            Column("key", "text"),
            Column("value", "text"),
            Column("updated_at", "timestamp with time zone"),
        ),
        ("key",),
    )
    sqlite = await SqliteDatabase.open(source)
    postgres = await PostgresDatabase.open(target)
    try:
        same = await table_checksum(sqlite, table)
        assert await table_checksum(postgres, table) == same
        async with postgres.transaction() as conn:
            await conn.execute("UPDATE bot_state SET value = 'abc124'")
        rows, changed = await table_checksum(postgres, table)
        assert rows == same[0] and changed != same[1]
        async with postgres.transaction() as conn:
            await conn.execute("DELETE FROM bot_state")
        assert (await table_checksum(postgres, table))[0] == 0
    finally:
        await sqlite.close()
        await postgres.close()


def test_values_are_compared_as_agora_means_them() -> None:
    instant = "timestamp with time zone"
    # SQLite's strftime default and PostgreSQL's answer name the same instant.
    assert normalised("2027-06-14T07:00:00.250Z", instant) == normalised(
        "2027-06-14T07:00:00.250000+00:00", instant
    )
    assert normalised("2027-06-14T07:00:00+00:00", instant) != normalised(
        "2027-06-14T07:00:01+00:00", instant
    )
    assert normalised('{"zone": "UTC", "at": [9, 30]}', "jsonb") == normalised(
        '{"at":[9,30],"zone":"UTC"}', "jsonb"
    )
    assert normalised(b"\x00\x01", "bytea") == normalised(memoryview(b"\x00\x01"), "bytea")
    assert normalised("1", "text") != normalised(1, "bigint")
