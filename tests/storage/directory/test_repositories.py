"""Core repositories on a real SQLite file: constraints, FTS sync, settings, query plans."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import Conflict, NotFound
from bot.storage.database import IntegrityError
from bot.storage.directory.models import ClusterDraft, GuildSettings, InitiativeDraft
from bot.storage.directory.repository import DirectoryChanges
from bot.storage.store import Store

GUILD = 111
NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T = "'2026-03-01T09:00:00+00:00'"  # a time as SQL text


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = await Store.open(database_url)
    await store.directory.create_cluster(GUILD, ClusterDraft("c", "Cluster"), NOW)
    yield store
    await store.close()


def draft(slug: str, name: str, goal: str = "") -> InitiativeDraft:
    return InitiativeDraft(slug=slug, name=name, cluster_slug="c", goal=goal)


async def search(store: Store, match: str) -> list[int]:
    return [
        initiative_id for initiative_id, _ in (await store.directory.search(GUILD, match, 10, 0))[0]
    ]


async def test_fts_follows_inserts_updates_and_deletes(store: Store) -> None:
    lamp = await store.directory.create_initiative(
        GUILD, draft("lamp", "Humble Lamppost", "poles"), NOW
    )
    assert await search(store, '"lamppost"') == [lamp.id]
    assert await search(store, '"poles"') == [lamp.id]
    await store.directory.update_initiative(GUILD, draft("lamp", "Smart Pole", "lights"), NOW)
    assert await search(store, '"lamppost"') == []
    assert await search(store, '"lights"') == [lamp.id]
    await store.directory.delete_initiative(GUILD, lamp.id)
    assert await search(store, '"pole"') == []
    if store.db.dialect == "sqlite":  # on PostgreSQL the tsvector is a generated column
        integrity = "INSERT INTO initiatives_fts (initiatives_fts) VALUES ('integrity-check')"
        async with store.db.transaction() as conn:
            await conn.execute(integrity)  # raises if the index drifted from the table


async def test_search_is_per_guild(store: Store) -> None:
    await store.directory.create_cluster(222, ClusterDraft("c", "Cluster"), NOW)
    await store.directory.create_initiative(222, draft("lamp", "Humble Lamppost"), NOW)
    assert await search(store, '"humble"') == []


async def test_names_are_unique_per_guild_case_insensitively(store: Store) -> None:
    await store.directory.create_initiative(GUILD, draft("a", "Small Giants"), NOW)
    with pytest.raises(Conflict):
        await store.directory.create_initiative(GUILD, draft("b", "SMALL GIANTS"), NOW)
    with pytest.raises(Conflict):
        await store.directory.create_initiative(GUILD, draft("a", "Other"), NOW)


async def test_a_batch_is_all_or_nothing(store: Store) -> None:
    changes = DirectoryChanges(
        new_clusters=[ClusterDraft("d", "Cluster D")],
        new_initiatives=[draft("x", "X"), InitiativeDraft("y", "Y", cluster_slug="missing")],
    )
    with pytest.raises(NotFound):
        await store.directory.apply(GUILD, changes, NOW)
    assert [c.slug for c in await store.directory.list_clusters(GUILD)] == ["c"]
    assert await store.directory.list_initiatives(GUILD) == []


async def test_one_current_membership_per_person_and_history_allowed(store: Store) -> None:
    lamp = await store.directory.create_initiative(GUILD, draft("lamp", "Lamp"), NOW)
    await store.memberships.start(GUILD, lamp.id, 42, "member", "joined", NOW)
    with pytest.raises(Conflict):
        await store.memberships.start(GUILD, lamp.id, 42, "member", "joined", NOW)
    ended = await store.memberships.end(GUILD, 42, [lamp.id], "left", NOW)
    assert [m.left_reason for m in ended] == ["left"]
    await store.memberships.start(GUILD, lamp.id, 42, "lead", "appointed", NOW)
    history = await store.memberships.history_for_user(GUILD, 42)
    assert [(m.role, m.is_current) for m in history] == [("member", False), ("lead", True)]


async def test_check_constraints_guard_the_enumerations(store: Store) -> None:
    lamp = await store.directory.create_initiative(GUILD, draft("lamp", "Lamp"), NOW)
    bad = [
        "INSERT INTO memberships (guild_id, initiative_id, user_id, role, joined_at, join_reason)"
        f" VALUES ({GUILD}, {lamp.id}, 1, 'owner', {T}, 'joined')",
        "INSERT INTO memberships (guild_id, initiative_id, user_id, role, joined_at, join_reason,"
        f" left_at) VALUES ({GUILD}, {lamp.id}, 1, 'member', {T}, 'joined', {T})",
        "INSERT INTO resources (guild_id, initiative_id, kind, title, url, added_at, updated_at)"
        f" VALUES ({GUILD}, {lamp.id}, 'video', 't', 'u', {T}, {T})",
    ]
    for statement in bad:
        with pytest.raises(IntegrityError):
            async with store.db.transaction() as conn:
                await conn.execute(statement)


async def test_deleting_an_initiative_cascades(store: Store) -> None:
    lamp = await store.directory.create_initiative(GUILD, draft("lamp", "Lamp"), NOW)
    await store.memberships.start(GUILD, lamp.id, 42, "member", "joined", NOW)
    await store.resources.add(GUILD, lamp.id, "document", "T", "https://e.org", 42, NOW)
    await store.directory.delete_initiative(GUILD, lamp.id)
    assert await store.memberships.history_for_user(GUILD, 42) == []
    assert await store.resources.counts(GUILD) == {}


async def test_guild_settings_round_trip(store: Store) -> None:
    assert await store.guilds.get(GUILD) == GuildSettings(guild_id=GUILD)
    saved = await store.guilds.save(GuildSettings(GUILD, "Europe/Brussels", 5, 6, (86400, 0)), NOW)
    assert saved == GuildSettings(GUILD, "Europe/Brussels", 5, 6, (86400, 0))
    assert await store.guilds.clear_channel(GUILD, 5, NOW)
    assert await store.guilds.clear_role(GUILD, 6, NOW)
    assert not await store.guilds.clear_role(GUILD, 6, NOW)
    assert await store.guilds.get(GUILD) == GuildSettings(
        GUILD, "Europe/Brussels", None, None, (86400, 0)
    )


async def test_generic_values_and_dm_opt_outs(store: Store) -> None:
    await store.guilds.set_value(GUILD, "digest.channel", {"id": 5, "on": True}, NOW)
    assert await store.guilds.get_value(GUILD, "digest.channel") == {"id": 5, "on": True}
    await store.guilds.set_value(GUILD, "digest.channel", None, NOW)
    assert await store.guilds.values(GUILD) == {}
    await store.guilds.set_dm_opt_out(GUILD, 42, "reminders", True, NOW)
    await store.guilds.set_dm_opt_out(GUILD, 43, "all", True, NOW)
    await store.guilds.set_dm_opt_out(GUILD, 42, "reminders", True, NOW)  # idempotent
    assert await store.guilds.opted_out_users(GUILD, "reminders") == {42, 43}
    assert await store.guilds.opted_out_users(GUILD, "digest") == {43}
    await store.guilds.set_dm_opt_out(GUILD, 42, "reminders", False, NOW)
    assert await store.guilds.dm_opt_outs(GUILD, 42) == {}


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (
            "SELECT * FROM memberships WHERE initiative_id = 1 AND user_id = 2 AND left_at IS NULL",
            "memberships_current",
        ),
        (
            "SELECT * FROM memberships WHERE guild_id = 1 AND user_id = 2 ORDER BY joined_at",
            "memberships_user",
        ),
        (
            "SELECT * FROM memberships WHERE initiative_id = 1 AND left_at IS NULL"
            " ORDER BY role = 'lead' DESC, joined_at",
            "memberships_",
        ),
        (
            "SELECT * FROM initiatives WHERE guild_id = 1 AND slug = 'x'",
            "sqlite_autoindex_initiatives",
        ),
        (
            "SELECT * FROM initiatives WHERE guild_id = 1 AND channel_id = 5",
            "initiatives_channel",
        ),
        (
            "SELECT * FROM resources WHERE initiative_id = 1 AND kind = 'document'"
            " ORDER BY added_at DESC",
            "resources_listing",
        ),
    ],
)
async def test_hot_queries_use_an_index(store: Store, query: str, index: str) -> None:
    if store.db.dialect == "sqlite":
        plan = " ".join(
            str(tuple(row)) for row in await store.db.fetch_all(f"EXPLAIN QUERY PLAN {query}")
        )
        assert index in plan, plan
        return
    # Tables this small are read whole; with that choice taken away, an index must answer
    # (on empty tables the planner may pick any index that does).
    async with store.db.transaction() as conn:
        await conn.execute("SET LOCAL enable_seqscan = off")
        async with conn.execute(f"EXPLAIN {query}") as cursor:
            plan = " ".join(row[0] for row in await cursor.fetchall())
    assert "Index" in plan and "Seq Scan" not in plan, plan


async def test_leads_and_memberships_begun_in_a_week(store: Store) -> None:
    lamp = await store.directory.create_initiative(GUILD, draft("lamp", "Lamp"), NOW)
    data = await store.directory.create_initiative(GUILD, draft("data", "Data"), NOW)
    week_ago = NOW - timedelta(days=7)
    await store.memberships.start(GUILD, lamp.id, 1, "lead", "appointed", week_ago)
    await store.memberships.start(GUILD, lamp.id, 2, "member", "joined", NOW - timedelta(days=8))
    await store.memberships.start(GUILD, data.id, 3, "member", "joined", NOW - timedelta(hours=1))
    await store.memberships.start(GUILD, data.id, 4, "member", "joined", NOW - timedelta(days=2))
    await store.memberships.start(GUILD, data.id, 5, "lead", "appointed", NOW)  # not before NOW
    await store.memberships.end(GUILD, 4, [data.id], "left", NOW)
    assert await store.memberships.current_leads(GUILD) == [(lamp.id, 1), (data.id, 5)]
    begun = await store.memberships.current_joined_between(GUILD, week_ago, NOW)
    assert [m.user_id for m in begun] == [1, 3]  # oldest first; 2 too early, 4 left, 5 too late
    assert await store.memberships.current_joined_between(GUILD + 1, week_ago, NOW) == []
