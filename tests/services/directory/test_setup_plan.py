"""The setup plan: create, adopt by name, skip with reasons, never duplicate, converge."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.services.directory.role_safety import RoleGuard
from bot.services.directory.setup_plan import (
    ChannelKind,
    ExistingChannel,
    ExistingRole,
    SetupPlan,
    channel_name,
    plan_setup,
)
from bot.storage.directory.models import Cluster, Initiative, SourceCounts

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def cluster(cluster_id: int, slug: str, name: str, category: int | None = None) -> Cluster:
    return Cluster(cluster_id, 1, slug, name, "", category, T0, T0)


def initiative(
    initiative_id: int, slug: str, name: str, cluster_id: int, **kw: object
) -> Initiative:
    base = Initiative(
        initiative_id,
        1,
        slug,
        name,
        False,
        "A goal",
        False,
        cluster_id,
        None,
        None,
        SourceCounts(),
        "",
        T0,
        T0,
    )
    return dataclasses.replace(base, **kw)  # type: ignore[arg-type]


# @everyone may do nothing here, every role is below Agora's; the organiser role is "Organiser".
GUARD = RoleGuard(everyone_permissions=0, agora_position=1000, organiser_role="Organiser")
KICK_MEMBERS = 1 << 1

CLUSTERS = [
    cluster(1, "citizen-focus", "Citizen Focus"),
    cluster(2, "iip", "Integrated Infrastructures"),
]
INITIATIVES = [
    initiative(10, "humble-lamppost", "Humble Lamppost", 2),
    initiative(11, "small-giants", "Small Giants", 2),
    initiative(12, "innovate-city", "Innovate.City - European Network", 1),
]


class FakeGuild:
    """Carries out a plan the way the cog would: create things with new ids and link them."""

    def __init__(self, channels: list[ExistingChannel], roles: list[ExistingRole]) -> None:
        self.channels = channels
        self.roles = roles
        self.ids = itertools.count(9000)

    def apply(
        self, plan: SetupPlan, clusters: list[Cluster], initiatives: list[Initiative]
    ) -> tuple[list[Cluster], list[Initiative]]:
        category = {c.slug: c.category_channel_id for c in clusters}
        cluster_channel = {c.slug: c.channel_id for c in clusters}
        channel = {i.slug: i.channel_id for i in initiatives}
        role = {i.slug: i.role_id for i in initiatives}
        for item in plan.create_categories:
            new_id = next(self.ids)
            self.channels.append(ExistingChannel(new_id, item.name, "category"))
            category[item.cluster_slug] = new_id
        for adopted in plan.adopt:
            target = {
                "category": category,
                "cluster_channel": cluster_channel,
                "channel": channel,
                "role": role,
            }[adopted.kind]
            target[adopted.slug] = adopted.id
        for made_cluster_channel in plan.create_cluster_channels:
            new_id = next(self.ids)
            parent = made_cluster_channel.category_id or category[made_cluster_channel.cluster_slug]
            self.channels.append(ExistingChannel(new_id, made_cluster_channel.name, "text", parent))
            cluster_channel[made_cluster_channel.cluster_slug] = new_id
        for made in plan.create_channels:
            new_id = next(self.ids)
            parent = made.category_id or category[made.cluster_slug]
            self.channels.append(ExistingChannel(new_id, made.name, made.kind, parent))
            channel[made.initiative_slug] = new_id
        for made_role in plan.create_roles:
            new_id = next(self.ids)
            self.roles.append(ExistingRole(new_id, made_role.name))
            role[made_role.initiative_slug] = new_id
        return (
            [
                dataclasses.replace(
                    c, category_channel_id=category[c.slug], channel_id=cluster_channel[c.slug]
                )
                for c in clusters
            ],
            [
                dataclasses.replace(i, channel_id=channel[i.slug], role_id=role[i.slug])
                for i in initiatives
            ],
        )


def plan_for(
    channels: list[ExistingChannel],
    roles: list[ExistingRole],
    kind: ChannelKind = "text",
    clusters: list[Cluster] = CLUSTERS,
    initiatives: list[Initiative] = INITIATIVES,
) -> SetupPlan:
    return plan_setup(
        clusters,
        initiatives,
        channel_kind=kind,
        category_prefix="AC · ",
        channels=channels,
        roles=roles,
        guard=GUARD,
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Humble Lamppost", "humble-lamppost"),
        ("Innovate.City - European Network", "innovatecity-european-network"),
        ("  Lots   of   space  ", "lots-of-space"),
        ("Café & Co!", "café-co"),
        ("under_score", "under_score"),
        ("x" * 150, "x" * 100),
    ],
)
def test_channel_name_follows_discord(name: str, expected: str) -> None:
    assert channel_name(name) == expected


def test_empty_guild_gets_everything_created() -> None:
    plan = plan_for([], [])
    assert [c.name for c in plan.create_categories] == [
        "AC · Citizen Focus",
        "AC · Integrated Infrastructures",
    ]
    assert [c.name for c in plan.create_channels] == [
        "humble-lamppost",
        "small-giants",
        "innovate-city",
    ]
    assert {c.kind for c in plan.create_channels} == {"text"}
    assert plan.create_channels[0].topic == "Humble Lamppost: A goal"
    assert plan.create_channels[0].category_id is None  # its category is created by this plan
    assert [r.name for r in plan.create_roles] == [
        "Humble Lamppost",
        "Small Giants",
        "Innovate.City - European Network",
    ]
    assert plan.adopt == () and plan.skipped == ()


def test_forum_kind_is_used_for_new_channels() -> None:
    plan = plan_for([], [], kind="forum")
    assert {c.kind for c in plan.create_channels} == {"forum"}


def test_existing_things_with_the_same_names_are_adopted() -> None:
    channels = [
        ExistingChannel(1, "ac · citizen focus", "category"),
        ExistingChannel(2, "humble-lamppost", "text", None),
    ]
    roles = [ExistingRole(3, "small giants")]
    plan = plan_for(channels, roles)
    adopted = {(a.kind, a.slug): a.id for a in plan.adopt}
    assert adopted == {
        ("category", "citizen-focus"): 1,
        ("channel", "humble-lamppost"): 2,
        ("role", "small-giants"): 3,
    }
    assert "humble-lamppost" not in [c.name for c in plan.create_channels]
    innovate = next(c for c in plan.create_channels if c.initiative_slug == "innovate-city")
    assert innovate.category_id == 1


def test_wrong_kinds_and_ambiguities_are_skipped_with_reasons() -> None:
    channels = [
        ExistingChannel(1, "Humble Lamppost", "voice"),
        ExistingChannel(2, "small-giants", "text"),
        ExistingChannel(3, "small-giants", "text"),
    ]
    roles = [ExistingRole(4, "Innovate.City - European Network", managed=True)]
    plan = plan_for(channels, roles)
    reasons = {(s.kind, s.slug): s.reason for s in plan.skipped}
    assert "a voice channel is named #humble-lamppost" in reasons[("channel", "humble-lamppost")]
    assert "2 text channels are named #small-giants" in reasons[("channel", "small-giants")]
    assert [(r.slug, r.instead) for r in plan.refused_roles] == [
        ("innovate-city", "Innovate.City - European Network (initiative)")
    ]
    assert "belongs to a bot" in plan.refused_roles[0].reason
    created = {c.initiative_slug for c in plan.create_channels}
    assert created == {"innovate-city"}  # skipped ones are never created alongside


def test_a_text_channel_is_not_adopted_when_forums_are_configured() -> None:
    plan = plan_for([ExistingChannel(2, "humble-lamppost", "text")], [], kind="forum")
    assert [s.slug for s in plan.skipped] == ["humble-lamppost"]
    assert "text channel" in plan.skipped[0].reason


def test_linked_things_are_left_alone_and_stale_links_are_replanned() -> None:
    channels = [ExistingChannel(50, "renamed-by-hand", "text")]
    initiatives = [
        initiative(10, "humble-lamppost", "Humble Lamppost", 2, channel_id=50, role_id=777),
    ]
    plan = plan_for(channels, [], initiatives=initiatives)
    assert plan.linked == 1  # the channel, found by id despite its new name
    assert [r.initiative_slug for r in plan.create_roles] == ["humble-lamppost"]  # role 777 is gone
    assert plan.create_channels == ()


def test_a_channel_linked_to_one_initiative_is_not_adopted_by_another() -> None:
    channels = [ExistingChannel(50, "small-giants", "text")]
    initiatives = [
        initiative(10, "humble-lamppost", "Humble Lamppost", 2, channel_id=50),
        initiative(11, "small-giants", "Small Giants", 2),
    ]
    plan = plan_for(channels, [], initiatives=initiatives)
    assert [c.initiative_slug for c in plan.create_channels] == ["small-giants"]


def test_running_the_plan_again_has_nothing_to_do() -> None:
    guild = FakeGuild(
        [ExistingChannel(1, "humble-lamppost", "text")], [ExistingRole(2, "Small Giants")]
    )
    clusters, initiatives = list(CLUSTERS), list(INITIATIVES)
    first = plan_for(guild.channels, guild.roles, clusters=clusters, initiatives=initiatives)
    assert first.has_work
    clusters, initiatives = guild.apply(first, clusters, initiatives)
    second = plan_for(guild.channels, guild.roles, clusters=clusters, initiatives=initiatives)
    assert not second.has_work and second.skipped == ()
    # Each of 2 clusters: category and channel; each of 3 initiatives: channel and role.
    assert second.linked == 2 * 2 + 3 * 2


def test_a_rerun_after_losing_the_links_adopts_instead_of_duplicating() -> None:
    guild = FakeGuild([], [])
    first = plan_for(guild.channels, guild.roles)
    guild.apply(first, list(CLUSTERS), list(INITIATIVES))
    # The links were never saved (say, a crash): everything is found by name.
    again = plan_for(guild.channels, guild.roles)
    assert not (
        again.create_categories
        or again.create_cluster_channels
        or again.create_channels
        or again.create_roles
    )
    assert len(again.adopt) == 2 * 2 + 3 * 2


@given(
    names=st.lists(
        st.text(alphabet="abcdeé .-_!ABC", min_size=1, max_size=30).filter(
            lambda s: channel_name(s)
        ),
        min_size=1,
        max_size=8,
        unique_by=lambda s: channel_name(s),
    ),
    existing=st.lists(st.sampled_from(["text", "voice", "forum"]), max_size=8),
)
def test_plans_converge_and_never_duplicate(names: list[str], existing: list[str]) -> None:
    initiatives = [
        initiative(100 + n, channel_name(name), f"Initiative {n}", 1)
        for n, name in enumerate(names)
    ]
    channels = [
        ExistingChannel(500 + n, names[n % len(names)], kind) for n, kind in enumerate(existing)
    ]
    guild = FakeGuild(list(channels), [])
    clusters = [cluster(1, "c", "C")]
    first = plan_for(guild.channels, guild.roles, clusters=clusters, initiatives=initiatives)
    planned = [c.name for c in first.create_channels] + [
        a.name for a in first.adopt if a.kind == "channel"
    ]
    assert len(planned) == len(set(planned))
    clusters, done = guild.apply(first, clusters, initiatives)
    second = plan_for(guild.channels, guild.roles, clusters=clusters, initiatives=done)
    assert (
        second.create_channels == ()
        and second.create_roles == ()
        and second.create_categories == ()
    )


# --- roles Agora must not hand out ------------------------------------------------------


def test_a_same_named_role_with_powers_is_not_adopted_and_a_distinct_one_is_created() -> None:
    guild = FakeGuild([], [ExistingRole(3, "Small Giants", permissions=KICK_MEMBERS)])
    first = plan_for(guild.channels, guild.roles)
    assert ("role", "small-giants") not in {(a.kind, a.slug) for a in first.adopt}
    made = {r.initiative_slug: r.name for r in first.create_roles}
    assert made["small-giants"] == "Small Giants (initiative)"
    [refused] = first.refused_roles
    assert refused.line() == (
        "role Small Giants not adopted: it grants Kick Members, which @everyone does not have. "
        "Agora uses the role Small Giants (initiative) instead."
    )
    # Links lost (a crash): the rerun adopts the distinct role, never the powerful one.
    guild.apply(first, list(CLUSTERS), list(INITIATIVES))
    again = plan_for(guild.channels, guild.roles)
    adopted = {a.slug: a.name for a in again.adopt if a.kind == "role"}
    assert adopted["small-giants"] == "Small Giants (initiative)"
    assert again.create_roles == ()
    assert [r.instead for r in again.refused_roles] == ["Small Giants (initiative)"]


def test_the_organiser_role_is_never_adopted_nor_created_for_an_initiative() -> None:
    organisers = [initiative(20, "organiser", "ORGANISER", 1)]
    existing = plan_for([], [ExistingRole(3, "Organiser")], initiatives=organisers)
    assert [a for a in existing.adopt if a.kind == "role"] == []
    assert [r.name for r in existing.create_roles] == ["ORGANISER (initiative)"]
    assert "the organiser role" in existing.refused_roles[0].reason

    # No such role yet: creating one named like it would hand out organiser powers too.
    fresh = plan_for([], [], initiatives=organisers)
    assert [r.name for r in fresh.create_roles] == ["ORGANISER (initiative)"]
    assert "organiser role" in fresh.refused_roles[0].line()


def test_roles_above_agora_or_held_by_integrations_are_refused_and_harmless_ones_adopted() -> None:
    roles = [
        ExistingRole(3, "Humble Lamppost", position=1000),  # at Agora's own level
        ExistingRole(4, "Small Giants", permissions=0, position=5),  # harmless
    ]
    plan = plan_for([], roles)
    assert {a.slug: a.id for a in plan.adopt if a.kind == "role"} == {"small-giants": 4}
    [refused] = plan.refused_roles
    assert refused.slug == "humble-lamppost"
    assert refused.reason == "it is not below Agora's highest role"


def test_permissions_everyone_has_already_are_harmless() -> None:
    guard = RoleGuard(everyone_permissions=KICK_MEMBERS, agora_position=10, organiser_role="Org")
    assert guard.why_unsafe(ExistingRole(3, "Kickers", permissions=KICK_MEMBERS)) is None
    bits = (1 << 2) | (1 << 3) | (1 << 28) | (1 << 13)
    assert guard.why_unsafe(ExistingRole(3, "Mods", permissions=bits)) == (
        "it grants Ban Members, Administrator and 2 more, which @everyone does not have"
    )
    assert guard.why_unsafe(ExistingRole(1, "@everyone", is_default=True)) == "it is @everyone"


def test_a_linked_role_given_powers_later_is_reported_and_not_replaced() -> None:
    linked = [initiative(10, "humble-lamppost", "Humble Lamppost", 2, role_id=3)]
    roles = [ExistingRole(3, "Lamppost people", permissions=KICK_MEMBERS)]
    plan = plan_for([], roles, initiatives=linked)
    assert plan.create_roles == () and plan.linked == 1
    assert (
        plan.refused_roles[0]
        .line()
        .startswith(
            "role Lamppost people is linked but not given to members: it grants Kick Members"
        )
    )


def test_when_both_names_are_taken_by_powerful_roles_the_role_is_skipped() -> None:
    roles = [
        ExistingRole(3, "Small Giants", permissions=KICK_MEMBERS),
        ExistingRole(4, "Small Giants (initiative)", permissions=KICK_MEMBERS),
    ]
    plan = plan_for([], roles)
    assert "small-giants" not in {r.initiative_slug for r in plan.create_roles}
    assert "small-giants" not in {a.slug for a in plan.adopt if a.kind == "role"}
    reasons = {(s.kind, s.slug): s.reason for s in plan.skipped}
    assert "will not hand out the roles named" in reasons[("role", "small-giants")]
