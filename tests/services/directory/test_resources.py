"""Documents and projects: validation, who may do what (the permission matrix), listing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.services.common import permissions
from bot.services.common.permissions import Actor
from bot.services.directory.resources import title_problem, url_problem
from tests.support.directory import GUILD, Core, open_core

INITIATIVE = 7
OTHER = 8
ROLES = {
    "stranger": Actor(user_id=1),
    "member": Actor(user_id=2, member_of=frozenset({INITIATIVE})),
    "member_elsewhere": Actor(user_id=3, member_of=frozenset({OTHER})),
    "lead": Actor(user_id=4, lead_of=frozenset({INITIATIVE}), member_of=frozenset({INITIATIVE})),
    "lead_elsewhere": Actor(user_id=5, lead_of=frozenset({OTHER}), member_of=frozenset({OTHER})),
    "organiser": Actor(user_id=6, is_organiser=True),
    "admin": Actor(user_id=7, is_admin=True),
    "author": Actor(user_id=99),  # added the resource, no longer a member
}
# role -> (administer, manage initiative, add resource, change someone's resource, change own)
MATRIX = {
    "stranger": (False, False, False, False, True),
    "member": (False, False, True, False, True),
    "member_elsewhere": (False, False, False, False, True),
    "lead": (False, True, True, True, True),
    "lead_elsewhere": (False, False, False, False, True),
    "organiser": (False, True, True, True, True),
    "admin": (True, True, True, True, True),
    "author": (False, False, False, False, True),
}


@pytest.mark.parametrize("role", sorted(ROLES))
def test_permission_matrix(role: str) -> None:
    actor = ROLES[role]
    assert (
        permissions.can_administer(actor),
        permissions.can_manage_initiative(actor, INITIATIVE),
        permissions.can_add_resource(actor, INITIATIVE),
        permissions.can_change_resource(actor, INITIATIVE, added_by=12345),
        permissions.can_change_resource(actor, INITIATIVE, added_by=actor.user_id),
    ) == MATRIX[role]


def test_a_forgotten_author_gives_nobody_author_rights() -> None:
    assert not permissions.can_change_resource(ROLES["member"], INITIATIVE, added_by=None)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://eu-smartcities.eu/initiative/humble-lamppost", None),
        ("http://127.0.0.1:8080/x?y=1#z", None),
        ("HTTPS://Example.org", None),
        ("", "the link is empty"),
        ("ftp://example.org/file", "must start with http:// or https://"),
        ("javascript:alert(1)", "must start with http:// or https://"),
        ("example.org/report.pdf", "must start with http:// or https://"),
        ("https://", "has no host"),
        ("https:///path", "has no host"),
        ("https://exa mple.org", "contains spaces"),
        ("https://example.org/\n", "contains spaces"),
        ("https://example.org:port/", "is not a valid link"),
        ("https://[::1/", "is not a valid link"),
        ("https://example.org/" + "a" * 500, "the limit is 512"),
    ],
)
def test_url_validation(url: str, problem: str | None) -> None:
    found = url_problem(url)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_title_validation() -> None:
    assert title_problem("Report") is None
    assert title_problem(" ") == "the title is empty"
    assert "limit is 100" in (title_problem("t" * 101) or "")
    assert title_problem("two\nlines") == "the title must be on one line"


@pytest.fixture
async def core(database_url: str) -> AsyncIterator[Core]:
    async with open_core(database_url) as core:
        await core.seed()
        yield core


async def test_members_add_and_everyone_lists(core: Core) -> None:
    await core.memberships.join(GUILD, 2, "humble-lamppost")
    member = await core.memberships.actor(GUILD, 2)
    doc = await core.resources.add(
        GUILD, member, "humble-lamppost", "document", "  Spec v1 ", " https://e.org/spec "
    )
    assert (doc.title, doc.url, doc.added_by) == ("Spec v1", "https://e.org/spec", 2)
    core.clock.advance(minutes=1)
    await core.resources.add(
        GUILD, member, "humble-lamppost", "document", "Spec v2", "https://e.org/2"
    )
    await core.resources.add(
        GUILD, member, "humble-lamppost", "project", "Pilot", "https://e.org/p"
    )
    docs = await core.resources.list_resources(GUILD, "humble-lamppost", "document")
    assert [d.title for d in docs.items] == ["Spec v2", "Spec v1"]  # newest first
    assert docs.total == 2
    projects = await core.resources.list_resources(GUILD, "humble-lamppost", "project")
    assert [p.title for p in projects.items] == ["Pilot"]


async def test_strangers_cannot_add_and_nothing_changes(core: Core) -> None:
    stranger = await core.memberships.actor(GUILD, 1)
    with pytest.raises(PermissionDenied) as caught:
        await core.resources.add(GUILD, stranger, "small-giants", "document", "X", "https://e.org")
    assert "Only members of Small Giants can add a document" in caught.value.message
    assert (await core.directory.initiative_info(GUILD, "small-giants")).counts.documents == 0


async def test_bad_input_is_refused_with_a_clear_message(core: Core) -> None:
    admin = Actor(user_id=7, is_admin=True)
    with pytest.raises(InvalidInput) as caught:
        await core.resources.add(GUILD, admin, "small-giants", "document", "X", "www.e.org")
    assert "must start with http:// or https://" in caught.value.message
    with pytest.raises(InvalidInput):
        await core.resources.add(GUILD, admin, "small-giants", "document", "", "https://e.org")
    with pytest.raises(InvalidInput):
        await core.resources.add(GUILD, admin, "small-giants", "video", "X", "https://e.org")
    await core.resources.add(GUILD, admin, "small-giants", "document", "X", "https://e.org")
    with pytest.raises(Conflict):
        await core.resources.add(GUILD, admin, "small-giants", "document", "Y", "https://e.org")
    assert (await core.directory.initiative_info(GUILD, "small-giants")).counts.documents == 1


async def test_authors_and_leads_edit_and_remove_others_cannot(core: Core) -> None:
    await core.memberships.join(GUILD, 2, "small-giants")
    await core.memberships.join(GUILD, 3, "small-giants")
    author = await core.memberships.actor(GUILD, 2)
    other_member = await core.memberships.actor(GUILD, 3)
    doc = await core.resources.add(
        GUILD, author, "small-giants", "document", "A", "https://e.org/a"
    )
    with pytest.raises(PermissionDenied):
        await core.resources.edit(GUILD, other_member, doc.id, title="Mine now")
    edited = await core.resources.edit(GUILD, author, doc.id, title="A2")
    assert edited.title == "A2" and edited.url == "https://e.org/a"
    with pytest.raises(InvalidInput):
        await core.resources.edit(GUILD, author, doc.id, url="nope")
    await core.memberships.set_lead(GUILD, Actor(user_id=7, is_admin=True), "small-giants", 4)
    lead = await core.memberships.actor(GUILD, 4)
    removed = await core.resources.remove(GUILD, lead, doc.id)
    assert removed.id == doc.id
    with pytest.raises(NotFound):
        await core.resources.get(GUILD, doc.id)
    assert (await core.directory.initiative_info(GUILD, "small-giants")).counts.documents == 0
