"""Loading a guild's directory in bulk gives the directory built item by item.

``DirectoryCache`` loads initiatives with ``put_initiatives`` and memberships
grouped per user with ``load_memberships``; before, it put each initiative
and added each Membership record in turn. Both paths must end in the same state,
and the lists behind the membership queries must behave as the sets did.
"""

from __future__ import annotations

import dataclasses
import gc
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.services.directory.cache import DirectoryCache, GuildDirectory
from bot.storage.directory.memberships import UserMemberships
from bot.storage.directory.models import Membership
from tests.support.directory import ADMIN, GUILD, OTHER_GUILD, Core, open_core

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def same_directory(bulk: GuildDirectory, single: GuildDirectory) -> None:
    for item in dataclasses.fields(GuildDirectory):
        if item.name == "names":
            assert vars(bulk.names) == vars(single.names)
        else:
            assert getattr(bulk, item.name) == getattr(single, item.name), item.name


async def one_by_one(core: Core, guild_id: int) -> GuildDirectory:
    """The directory as DirectoryCache used to load it."""
    directory = GuildDirectory(guild_id=guild_id)
    for cluster in await core.store.directory.list_clusters(guild_id):
        directory.put_cluster(cluster)
    for initiative in await core.store.directory.list_initiatives(guild_id):
        directory.put_initiative(initiative)
    for membership in await core.store.memberships.current_for_guild(guild_id):
        directory.add_membership(membership)
    counts = await core.store.resources.counts(guild_id)
    for (initiative_id, kind), count in counts.items():
        directory.adjust_resources(initiative_id, kind, count)
    directory.names.prepare()
    return directory


async def test_a_loaded_guild_equals_the_one_built_item_by_item(database_url: str) -> None:
    async with open_core(database_url) as core:
        await core.seed()
        await core.seed(OTHER_GUILD)
        slugs = ("humble-lamppost", "small-giants", "urban-data-platform")
        for user_id in range(10, 40):
            for slug in slugs[: user_id % 4]:
                await core.memberships.join(GUILD, user_id, slug)
        await core.memberships.join(OTHER_GUILD, 11, "small-giants")
        await core.memberships.set_lead(GUILD, ADMIN, "small-giants", 13)
        await core.memberships.set_lead(GUILD, ADMIN, "humble-lamppost", 50)  # joins too
        await core.memberships.leave(GUILD, 14, "humble-lamppost")
        await core.memberships.forget_user(GUILD, 15)
        member = await core.memberships.actor(GUILD, 13)
        await core.resources.add(GUILD, member, "small-giants", "document", "D", "https://e.org")

        loaded = await DirectoryCache(core.store).get(GUILD)

        assert gc.isenabled()  # paused for the load only
        same_directory(loaded, await one_by_one(core, GUILD))
        assert loaded.is_member(core_id(loaded, "small-giants"), 13)
        assert loaded.leads(core_id(loaded, "humble-lamppost")) == frozenset({50})
        assert 15 not in loaded.users_with_memberships()
        assert not loaded.is_member(core_id(loaded, "humble-lamppost"), 14)


def core_id(directory: GuildDirectory, slug: str) -> int:
    initiative = directory.by_slug_or_name(slug)
    assert initiative is not None
    return initiative.id


def membership(initiative_id: int, user_id: int, is_lead: bool) -> Membership:
    role = "lead" if is_lead else "member"
    return Membership(1, GUILD, initiative_id, user_id, role, NOW, "joined", None, None)


# (initiative, user) pairs, each at most once as in the memberships table.
member_rows = st.dictionaries(
    st.tuples(st.integers(1, 6), st.integers(100, 112)), st.booleans(), max_size=40
)
changes = st.lists(
    st.tuples(
        st.sampled_from(["add", "remove", "lead", "unlead", "drop"]),
        st.integers(1, 7),
        st.integers(99, 113),
    ),
    max_size=25,
)


def observe(directory: GuildDirectory) -> list[object]:
    seen: list[object] = [directory.users_with_memberships()]
    for initiative_id in range(0, 9):
        seen.append(directory.member_count(initiative_id))
        seen.append(directory.leads(initiative_id))
        seen.append([directory.is_member(initiative_id, u) for u in range(98, 115)])
    for user_id in range(98, 115):
        seen.append((directory.member_of(user_id), directory.lead_of(user_id)))
    return seen


def apply(directory: GuildDirectory, change: tuple[str, int, int]) -> None:
    action, initiative_id, user_id = change
    if action == "add":
        directory.add_membership(membership(initiative_id, user_id, False))
    elif action == "remove":
        directory.remove_membership(initiative_id, user_id)
    elif action in ("lead", "unlead"):
        directory.set_lead(initiative_id, user_id, action == "lead")
    else:
        directory.remove_initiative(initiative_id)


def by_user(rows: dict[tuple[int, int], bool]) -> list[UserMemberships]:
    """The rows as ``current_by_user`` gives them: per user, in no particular order."""
    users: dict[int, UserMemberships] = {}
    for (initiative_id, user_id), lead in rows.items():
        _, initiative_ids, lead_ids = users.setdefault(user_id, (user_id, [], []))
        initiative_ids.append(initiative_id)
        if lead:
            lead_ids.append(initiative_id)
    return list(users.values())


@settings(max_examples=80)
@given(rows=member_rows, then=changes)
def test_bulk_loaded_memberships_behave_like_memberships_added_one_by_one(
    rows: dict[tuple[int, int], bool], then: list[tuple[str, int, int]]
) -> None:
    bulk = GuildDirectory(guild_id=GUILD)
    bulk.load_memberships(by_user(rows))
    single = GuildDirectory(guild_id=GUILD)
    for (initiative_id, user_id), lead in rows.items():
        single.add_membership(membership(initiative_id, user_id, lead))
    assert observe(bulk) == observe(single)
    same_directory(bulk, single)
    for change in then:
        apply(bulk, change)
        apply(single, change)
        assert observe(bulk) == observe(single)


def test_loading_into_a_directory_with_memberships_merges_them() -> None:
    directory = GuildDirectory(guild_id=GUILD)
    directory.add_membership(membership(1, 100, True))
    directory.load_memberships([(100, [1, 2], []), (101, [1], [1])])
    assert directory.leads(1) == frozenset({101})  # the row's role wins, as add_membership
    assert directory.member_of(100) == frozenset({1, 2})
    assert directory.member_count(1) == 2


def test_memberships_keep_one_int_object_per_initiative() -> None:
    initiative = 10**12  # large enough that every mention is its own int object
    users = [(user_id, [int(str(initiative))], []) for user_id in (1, 2, 3)]
    directory = GuildDirectory(guild_id=GUILD)
    directory.load_memberships(users)
    held = {id(initiatives[0]) for initiatives in directory._member_of.values()}
    assert len(held) == 1
