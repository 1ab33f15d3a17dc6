"""The pages list what the database holds, live, after Discord-side changes."""

from __future__ import annotations

import re

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.web.conftest import Web


def members_of(page: str, name: str) -> int:
    """The Members count on the card of initiative ``name`` in a directory page."""
    card = page.split(f">{name}</a></h3>", 1)[1].split("</li>", 1)[0]
    found = re.search(r"<dt>Members</dt><dd>(\d+)</dd>", card)
    assert found is not None, card
    return int(found.group(1))


async def test_directory_lists_clusters_initiatives_and_live_counts(
    web: Web, sandbox: Sandbox
) -> None:
    page = await web.page("/")
    for cluster in ("Citizen Focus", "Integrated Infrastructures and Processes"):
        assert cluster in page
    assert "Humble Lamppost" in page
    assert "10 Million Smart Lampposts across EU Cities" in page
    before = members_of(page, "Humble Lamppost")

    await sandbox.user("alice").slash("initiative join", initiative="humble-lamppost")

    assert members_of(await web.page("/"), "Humble Lamppost") == before + 1
    # The "Read more" page says the same.
    assert f"<dt>Members</dt><dd>{before + 1}</dd>" in await web.page(
        "/initiatives/humble-lamppost"
    )


async def test_filter_by_cluster_and_search(web: Web) -> None:
    page = await web.page("/?cluster=citizen-focus")
    assert "Participatory Budgeting" in page
    assert "Humble Lamppost" not in page

    found = await web.page("/?q=lamppost")
    assert "Humble Lamppost" in found
    assert "Urban Data Platform" not in found
    nothing = await web.page("/?q=zzzzqqq")
    assert "0 initiatives for" in nothing and "No initiative matches" in nothing


async def test_initiative_page_names_only_leads_who_agreed(
    web: Web, sandbox: Sandbox, seeded: RunningAgora
) -> None:
    admin = sandbox.user("admin")
    await admin.slash(
        "initiative lead add", initiative="humble-lamppost", member=sandbox.user("alice").id
    )
    await admin.slash(
        "initiative lead add", initiative="humble-lamppost", member=sandbox.user("bob").id
    )
    page = await web.page("/initiatives/humble-lamppost")
    assert "2 leads" in page
    assert "alice" not in page and "bob" not in page
    assert sandbox.user("alice").id not in page

    answer = await sandbox.user("alice").slash("privacy web show-name", state="on")
    assert "now show your **name**" in answer.text
    page = await web.page("/initiatives/humble-lamppost")
    assert "alice, 1 other lead" in page
    assert "bob" not in page

    await sandbox.user("alice").slash("privacy web show-name", state="off")
    assert "2 leads" in await web.page("/initiatives/humble-lamppost")


async def test_documents_show_their_real_host_and_names_stay_text(
    web: Web, sandbox: Sandbox
) -> None:
    alice = sandbox.user("alice")
    await alice.slash("initiative join", initiative="humble-lamppost")
    await alice.slash(
        "initiative doc add",
        initiative="humble-lamppost",
        title="https://good.example/report.pdf <script>alert(1)</script>",
        url="https://evil.example/phish",
    )
    page = await web.page("/initiatives/humble-lamppost")
    assert '<a href="https://evil.example/phish"' in page
    assert "(evil.example)" in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_unpublished_guild_is_not_found(web: Web, sandbox: Sandbox) -> None:
    assert (await web.get("/"))[0] == 200
    result = await sandbox.user("admin").slash("admin web off")
    assert "no longer on the web" in result.text
    for path in (
        "/",
        "/initiatives/humble-lamppost",
        "/meetings",
        "/calendar.ics",
        "/clusters/citizen-focus",
    ):
        status, text, _ = await web.get(path)
        assert status == 404, path
        assert "Humble Lamppost" not in text
        assert "/admin web on" in text


async def test_unknown_addresses_are_helpful_404s(web: Web) -> None:
    for path in (
        "/initiatives/no-such-thing",
        "/initiatives/Humble%20Lamppost",
        "/clusters/nope",
        "/meetings/999999",
        "/nothing/here",
        "/initiatives/nope/calendar.ics",
    ):
        status, text, _ = await web.get(path)
        assert status == 404, path
        assert "Search initiatives" in text
        assert "Traceback" not in text
