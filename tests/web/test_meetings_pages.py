"""The meetings pages: the programme as the Action Clusters Meeting published it, times in
the meeting's zone with its UTC offset, attendee counts and never attendees' names; and a
member's data rights over the web (/privacy show lists the name agreement, /privacy forget
erases it)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox
from tests.support.meetings_e2e import announcement, create_meeting, meeting_id_of, rsvp
from tests.web.conftest import Web


async def test_meeting_page_shows_programme_times_and_counts_only(
    web: Web, sandbox: Sandbox, seeded: RunningAgora
) -> None:
    year = datetime.now(UTC).year + 1
    admin = sandbox.user("admin")
    meeting_id = meeting_id_of(
        await create_meeting(
            sandbox,
            "Action Clusters Meeting",
            description="European officials, civic leaders, city representatives, investors.",
            start=f"{year}-06-20 09:00",
            end="18:00",
            zone="Europe/Brussels",
            venue="Hotel Metropole",
            address="Place de Brouckère 31, Brussels",
            initiatives="Humble Lamppost",
        )
    )
    programme = [
        ("Enablers to the Market Place", "09:00", "10:00", "plenary"),
        ("Initiative pitches", "10:00", "11:00", "pitch"),
        ("Finding solutions to challenges", "11:00", "12:30", "challenge_workshop"),
        ("Integrated Infrastructures and Processes", "14:00", "15:30", "cluster_workshop"),
    ]
    for title, start, end, kind in programme:
        added = await admin.slash(
            "meeting session add",
            meeting=str(meeting_id),
            title=title,
            start=start,
            end=end,
            kind=kind,
            room="Salon Royal",
        )
        assert "Added to" in added.text, added.text
    posted = announcement(sandbox, "announcements", meeting_id)
    await rsvp(sandbox, "alice", posted, "Going")
    await rsvp(sandbox, "bob", posted, "Maybe")

    listing = await web.page("/meetings")
    assert "Action Clusters Meeting" in listing and "1 going" in listing and "1 maybe" in listing
    page = await web.page(f"/meetings/{meeting_id}")
    assert f"Saturday 20 June {year}" in page or f"20 June {year}" in page
    assert "09:00–18:00 CEST (UTC+02:00), Europe/Brussels" in page
    assert f'datetime="{year}-06-20T07:00:00Z"' in page  # the instant, for the reader's zone
    for label in ("Plenary", "Pitch", "Challenge workshop", "Cluster workshop"):
        assert label in page
    assert "Enablers to the Market Place" in page and "Room: Salon Royal" in page
    assert "Hotel Metropole" in page and "Place de Brouckère 31, Brussels" in page
    assert "1 going, 1 maybe" in page
    assert "alice" not in page and "bob" not in page
    assert sandbox.user("alice").id not in page
    # The initiative's page lists it among its upcoming meetings.
    assert f"/meetings/{meeting_id}" in await web.page("/initiatives/humble-lamppost")
    # Cancelled: marked so, still readable.
    question = await admin.slash("meeting cancel", meeting=str(meeting_id))
    await admin.click(question, "Yes, cancel the meeting")
    assert "Cancelled" in await web.page(f"/meetings/{meeting_id}")


async def test_privacy_show_and_forget_cover_the_name_agreement(
    web: Web, sandbox: Sandbox, seeded: RunningAgora
) -> None:
    alice = sandbox.user("alice")
    await sandbox.user("admin").slash(
        "initiative lead add", initiative="humble-lamppost", member=alice.id
    )
    await alice.slash("privacy web show-name", state="on")
    shown = await alice.slash("privacy show")
    assert "public web pages" in str(shown.embeds)
    assert "alice" in await web.page("/initiatives/humble-lamppost")

    question = await alice.slash("privacy forget")
    await alice.click(question, "Erase my data")
    page = await web.page("/initiatives/humble-lamppost")
    assert "alice" not in page
    guild_id = int(sandbox.guild.id)
    assert await seeded.bot.services.web.shows_name(guild_id, int(alice.id)) is None
