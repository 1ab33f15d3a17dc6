"""Directory service: lookups, info with live counts, listing, search, autocomplete, mappings."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.common.permissions import Actor
from bot.services.directory.service import fts_query
from tests.support.directory import ADMIN, GUILD, OTHER_GUILD, Core, open_core


@pytest.fixture
async def core(database_url: str) -> AsyncIterator[Core]:
    async with open_core(database_url) as core:
        await core.seed()
        yield core


async def test_get_initiative_by_slug_or_name_case_insensitive(core: Core) -> None:
    by_slug = await core.directory.get_initiative(GUILD, "humble-lamppost")
    by_name = await core.directory.get_initiative(GUILD, "  hUMBLE lamppost ")
    assert by_slug == by_name
    assert by_slug.name == "Humble Lamppost"


async def test_unknown_initiative_names_the_closest_matches(core: Core) -> None:
    with pytest.raises(NotFound) as caught:
        await core.directory.get_initiative(GUILD, "Humble Lampost")
    assert "No initiative named “Humble Lampost”" in caught.value.message
    assert "Did you mean: Humble Lamppost" in caught.value.message


async def test_other_guilds_do_not_see_the_directory(core: Core) -> None:
    with pytest.raises(NotFound) as caught:
        await core.directory.get_initiative(OTHER_GUILD, "humble-lamppost")
    assert "no initiatives yet" in caught.value.message


async def test_initiative_info_has_goal_cluster_leads_and_live_counts(core: Core) -> None:
    lamppost = await core.directory.get_initiative(GUILD, "humble-lamppost")
    await core.memberships.join(GUILD, 10, "humble-lamppost")
    await core.memberships.join(GUILD, 11, "humble-lamppost")
    await core.memberships.set_lead(GUILD, ADMIN, "humble-lamppost", 12)
    member = await core.memberships.actor(GUILD, 10)
    await core.resources.add(
        GUILD, member, "humble-lamppost", "document", "Spec", "https://e.org/a"
    )
    await core.resources.add(
        GUILD, member, "humble-lamppost", "project", "Pilot", "https://e.org/p"
    )
    core.discussions.counts[GUILD] = {lamppost.id: 4}

    info = await core.directory.initiative_info(GUILD, "Humble Lamppost")

    assert info.initiative.goal == "10 Million Smart Lampposts across EU Cities"
    assert info.cluster.name == "Integrated Infrastructures and Processes"
    assert info.leads == (12,)
    assert (info.counts.members, info.counts.documents, info.counts.projects) == (3, 1, 1)
    assert info.counts.discussions == 4
    # The source's counts are kept apart, for information only.
    assert info.initiative.source_counts.members == 18


async def test_counts_survive_a_restart(core: Core) -> None:
    await core.memberships.join(GUILD, 10, "small-giants")
    member = await core.memberships.actor(GUILD, 10)
    await core.resources.add(GUILD, member, "small-giants", "document", "Plan", "https://e.org/x")
    restarted = await core.restart()
    info = await restarted.directory.initiative_info(GUILD, "small-giants")
    assert (info.counts.members, info.counts.documents) == (1, 1)


async def test_discussions_count_is_unknown_without_the_discussions_area(core: Core) -> None:
    from bot.services.directory.service import DirectoryService

    alone = DirectoryService(core.store, core.cache, None, core.clock)
    info = await alone.initiative_info(GUILD, "small-giants")
    assert info.counts.discussions is None


async def test_cluster_info_lists_initiatives_and_totals(core: Core) -> None:
    await core.memberships.join(GUILD, 10, "humble-lamppost")
    await core.memberships.join(GUILD, 10, "small-giants")
    await core.memberships.join(GUILD, 11, "small-giants")
    info = await core.directory.cluster_info(GUILD, "integrated-infrastructures-processes")
    names = [summary.initiative.name for summary in info.initiatives]
    assert names == ["Humble Lamppost", "Small Giants", "Space4Cities", "Urban Data Platform"]
    assert info.totals.members == 3
    assert info.totals.discussions == 0


async def test_list_clusters_includes_empty_clusters(core: Core) -> None:
    clusters = await core.directory.list_clusters(GUILD)
    by_name = {info.cluster.name: len(info.initiatives) for info in clusters}
    assert by_name == {
        "Business Models, Finance and Procurement": 1,
        "Citizen Focus": 4,
        "Integrated Infrastructures and Processes": 4,
        "Integrated Planning, Policy and Regulations": 0,
        "Sustainable Districts and Built Environment": 0,
        "Sustainable Urban Mobility": 0,
    }


async def test_unknown_cluster_lists_the_clusters(core: Core) -> None:
    with pytest.raises(NotFound) as caught:
        await core.directory.cluster_info(GUILD, "Mobility")
    assert "Sustainable Urban Mobility" in caught.value.message


async def test_list_initiatives_paginates_with_total(core: Core) -> None:
    first = await core.directory.list_initiatives(GUILD, page=1, page_size=4)
    third = await core.directory.list_initiatives(GUILD, page=3, page_size=4)
    assert first.total == 9 and first.pages == 3
    assert len(first.items) == 4 and len(third.items) == 1
    names = [s.initiative.name for s in first.items]
    assert names == sorted(names, key=str.casefold)
    beyond = await core.directory.list_initiatives(GUILD, page=99, page_size=4)
    assert beyond.page == 3 and beyond.items == third.items


async def test_list_initiatives_of_one_cluster(core: Core) -> None:
    page = await core.directory.list_initiatives(GUILD, cluster="Citizen Focus")
    assert page.total == 4
    assert {s.cluster.slug for s in page.items} == {"citizen-focus"}


@pytest.mark.parametrize(("page", "size"), [(0, 10), (1, 0), (1, 26)])
async def test_bad_page_requests_are_refused(core: Core, page: int, size: int) -> None:
    with pytest.raises(InvalidInput):
        await core.directory.list_initiatives(GUILD, page=page, page_size=size)


async def test_search_ranks_name_hits_first(core: Core) -> None:
    page = await core.directory.search(GUILD, "smart")
    names = [hit.initiative.name for hit in page.items]
    # "Smart" is in this one's name; the others only have it in their goal.
    assert names[0] == "Participatory Budgeting for Inclusive Smart Cities and Communities"
    assert set(names[1:]) == {
        "Humble Lamppost",
        "Small Giants",
        "Space4Cities",
        "Untitled: Tools and Platforms for Citizens",
    }
    assert page.total == 5


async def test_search_paginates(core: Core) -> None:
    first = await core.directory.search(GUILD, "data", page=1, page_size=1)
    second = await core.directory.search(GUILD, "data", page=2, page_size=1)
    assert first.total == second.total == 2
    assert {first.items[0].initiative.name, second.items[0].initiative.name} == {
        "Urban Data Platform",
        "Citizen Centric Approach to Data",
    }


async def test_search_matches_goal_words_and_prefixes(core: Core) -> None:
    lamp = await core.directory.search(GUILD, "lampp")
    assert [h.initiative.slug for h in lamp.items] == ["humble-lamppost"]
    goal = await core.directory.search(GUILD, "guidelines")
    assert [h.initiative.slug for h in goal.items] == ["citizen-centric-approach-to-data"]


async def test_search_falls_back_to_any_word(core: Core) -> None:
    page = await core.directory.search(GUILD, "lamppost zeppelin")
    assert [h.initiative.slug for h in page.items] == ["humble-lamppost"]


@pytest.mark.parametrize(
    "query", ['"', "AND(", "*", "NOT", 'lamp" OR', "(((", "name:lamp", "^", "-", "😀", "", "  "]
)
async def test_search_never_raises_on_odd_input(core: Core, query: str) -> None:
    page = await core.directory.search(GUILD, query)
    assert page.total == len(page.items)


def test_fts_query_quotes_every_word() -> None:
    assert fts_query('lamp AND "x" *') == '"lamp"* "and"* "x"*'
    assert fts_query("a b", any_word=True) == '"a"* OR "b"*'
    assert fts_query("***") == ""


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("lamp", "Humble Lamppost"),
        ("lampost", "Humble Lamppost"),
        ("humble lampost", "Humble Lamppost"),
        ("urbn data", "Urban Data Platform"),
        ("URBAN", "Urban Data Platform"),
        ("giants", "Small Giants"),
        ("smal gaints", "Small Giants"),
        ("space4", "Space4Cities"),
        ("innovate.city", "Innovate.City - European Network of City Policy Labs"),
        ("policy labs", "Innovate.City - European Network of City Policy Labs"),
        ("budgeting", "Participatory Budgeting for Inclusive Smart Cities and Communities"),
        ("citizen-tools", "Untitled: Tools and Platforms for Citizens"),
    ],
)
async def test_autocomplete_puts_the_intended_initiative_first(
    core: Core, typed: str, expected: str
) -> None:
    choices = await core.directory.autocomplete(GUILD, typed)
    assert choices and choices[0].name == expected
    assert choices[0].value == (await core.directory.get_initiative(GUILD, expected)).slug


async def test_autocomplete_empty_lists_alphabetically_at_most_25(core: Core) -> None:
    choices = await core.directory.autocomplete(GUILD, "")
    assert len(choices) == 9
    assert [c.name for c in choices] == sorted((c.name for c in choices), key=str.casefold)
    assert await core.directory.autocomplete(GUILD, "qqqqqq") == []


async def test_autocomplete_caps_at_25_choices(core: Core) -> None:
    for number in range(40):
        await core.directory.create_initiative(
            GUILD, ADMIN, f"Lamp Workgroup {number}", "citizen-focus"
        )
    choices = await core.directory.autocomplete(GUILD, "lamp")
    assert len(choices) == 25
    assert len({c.value for c in choices}) == 25


async def test_create_and_edit_initiative(core: Core) -> None:
    created = await core.directory.create_initiative(
        GUILD, ADMIN, "Open Streetlight Data", "Integrated Infrastructures and Processes", "Goal"
    )
    assert created.slug == "open-streetlight-data"
    assert (await core.directory.autocomplete(GUILD, "streetl"))[0].value == created.slug
    lead = Actor(user_id=50, lead_of=frozenset({created.id}))
    edited = await core.directory.edit_initiative(
        GUILD, lead, created.slug, name="Open Streetlight Data Alliance", goal="New goal"
    )
    assert (edited.slug, edited.name, edited.goal) == (
        "open-streetlight-data",
        "Open Streetlight Data Alliance",
        "New goal",
    )
    assert (await core.directory.get_initiative(GUILD, "open streetlight data alliance")).id == (
        created.id
    )
    with pytest.raises(NotFound):
        await core.directory.get_initiative(GUILD, "Open Streetlight Data")


async def test_naming_an_untitled_initiative_clears_title_missing(core: Core) -> None:
    edited = await core.directory.edit_initiative(
        GUILD, ADMIN, "citizen-tools-and-platforms", name="Citizen Tools"
    )
    assert not edited.title_missing


async def test_edit_rules(core: Core) -> None:
    stranger = Actor(user_id=99)
    with pytest.raises(PermissionDenied) as caught:
        await core.directory.edit_initiative(GUILD, stranger, "small-giants", goal="x")
    assert "Only leads of Small Giants and organisers" in caught.value.message
    with pytest.raises(InvalidInput):
        await core.directory.edit_initiative(GUILD, ADMIN, "small-giants", goal="x" * 1001)
    with pytest.raises(InvalidInput):
        await core.directory.edit_initiative(GUILD, ADMIN, "small-giants", name="x" * 101)
    with pytest.raises(Conflict):
        await core.directory.edit_initiative(GUILD, ADMIN, "small-giants", name="humble lamppost")
    with pytest.raises(PermissionDenied):
        await core.directory.create_initiative(GUILD, stranger, "New", "citizen-focus")
    with pytest.raises(Conflict):
        await core.directory.create_initiative(GUILD, ADMIN, "Small Giants", "citizen-focus")
    unchanged = await core.directory.get_initiative(GUILD, "small-giants")
    assert unchanged.goal.startswith("identify and support 50 EU")


async def test_delete_initiative_drops_it_everywhere(core: Core) -> None:
    await core.memberships.join(GUILD, 10, "small-giants")
    await core.directory.delete_initiative(GUILD, ADMIN, "small-giants")
    assert await core.memberships.my_initiatives(GUILD, 10) == []
    restarted = await core.restart()
    with pytest.raises(NotFound):
        await restarted.directory.get_initiative(GUILD, "small-giants")


async def test_channel_and_role_mapping(core: Core) -> None:
    lamppost = await core.directory.get_initiative(GUILD, "humble-lamppost")
    giants = await core.directory.get_initiative(GUILD, "small-giants")
    await core.directory.link_channel(GUILD, lamppost.id, 5001)
    await core.directory.link_role(GUILD, lamppost.id, 6001)
    assert await core.directory.initiative_for_channel(GUILD, 5001) == lamppost.id
    assert await core.directory.initiative_for_channel(OTHER_GUILD, 5001) is None
    assert (await core.directory.initiative_by_role(GUILD, 6001)) is not None
    with pytest.raises(Conflict):
        await core.directory.link_channel(GUILD, giants.id, 5001)

    # A rename keeps the mapping (it is by id).
    assert (await core.directory.channel_renamed(GUILD, 5001)) == (
        await core.directory.get_initiative(GUILD, "humble-lamppost")
    )
    cleared = await core.directory.channel_deleted(GUILD, 5001)
    assert cleared.initiative_ids == (lamppost.id,)
    assert await core.directory.initiative_for_channel(GUILD, 5001) is None
    assert (await core.directory.get_initiative(GUILD, "humble-lamppost")).role_id == 6001
    restarted = await core.restart()
    assert await restarted.directory.initiative_for_channel(GUILD, 5001) is None
    await core.directory.role_deleted(GUILD, 6001)
    assert (await core.directory.get_initiative(GUILD, "humble-lamppost")).role_id is None


async def test_category_mapping_is_cleared_when_the_category_is_deleted(core: Core) -> None:
    cluster = await core.directory.get_cluster(GUILD, "citizen-focus")
    await core.directory.link_category(GUILD, cluster.id, 7001)
    assert (await core.directory.get_cluster(GUILD, "citizen-focus")).category_channel_id == 7001
    cleared = await core.directory.channel_deleted(GUILD, 7001)
    assert cleared.cluster_ids == (cluster.id,)
    assert (await core.directory.get_cluster(GUILD, "citizen-focus")).category_channel_id is None


async def test_deleting_an_unmapped_channel_changes_nothing(core: Core) -> None:
    cleared = await core.directory.channel_deleted(GUILD, 424242)
    assert cleared.initiative_ids == () and cleared.cluster_ids == ()


async def test_cluster_autocomplete_matches_names_and_slugs(core: Core) -> None:
    choices = await core.directory.cluster_autocomplete(GUILD, "integrated")
    assert [c.value for c in choices] == [
        "integrated-infrastructures-processes",
        "integrated-planning-policy-regulations",
    ]
    assert len(await core.directory.cluster_autocomplete(GUILD, "")) == 6
