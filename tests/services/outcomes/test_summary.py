"""The plenary summary of a long meeting (30 sessions, hundreds of outcomes, the longest
texts) fits Discord: every page one embed within its limits, every outcome once, a part
carried onto the next page named again, text shown as typed (no markdown of its own)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.services.common.permissions import Actor
from bot.services.meetings.programme import SessionDraft
from bot.services.meetings.service import MeetingDraft
from bot.services.outcomes.service import MAX_TEXT
from bot.services.outcomes.summary import PAGE_LIMIT, summary_pages
from tests.support.outcomes import ALICE, GUILD, ORGANISER, World, world_fixture

world = pytest.fixture(world_fixture)

EMBED_DESCRIPTION = 4096
EMBED_TITLE = 256
EMBED_TOTAL = 6000
FOOTER = "Agora · add outcomes with /outcome add"  # as the cog sets it
KINDS = ("decision", "action", "link", "note")


async def long_meeting(world: World) -> int:
    services = world.services
    change = await services.meetings.create(
        GUILD,
        ORGANISER,
        MeetingDraft(title="Action Clusters Meeting", start="2027-06-20 08:00", end="20:00"),
    )
    meeting_id = change.view.meeting.id
    _, initiatives = await services.directory.by_id(GUILD)
    some = sorted(initiatives)[:10]
    start = datetime(2027, 6, 20, 8, 0)
    for n in range(30):
        begins = start + timedelta(minutes=20 * n)
        await services.programme.add_session(
            GUILD,
            meeting_id,
            ORGANISER.user_id,
            True,
            SessionDraft(
                f"Workshop {n} " + "on data sharing and procurement " * 5,
                f"{begins:%H:%M}",
                f"{begins + timedelta(minutes=20):%H:%M}",
                "challenge_workshop",
                None,
                some[n % len(some)],
            ),
        )
    organiser = Actor(user_id=5, is_organiser=True)
    sessions = await services.programme.programme(GUILD, meeting_id)
    for session in sessions[:-3]:  # three sessions record nothing
        target = await services.outcomes.target(
            GUILD, organiser, meeting_id, str(session.id), ALICE, "2027-07-01"
        )
        for n, kind in enumerate(KINDS * 2):
            text = f"S{session.id}O{n} *not bold* [x](https://evil.example) " + "é" * MAX_TEXT
            await services.outcomes.record(
                GUILD,
                organiser,
                target,
                kind,
                text[:MAX_TEXT],
                f"https://minutes.example.org/{session.id}/{n}/" + "p" * 300,
            )
    return meeting_id


async def test_a_long_meeting_summary_fits_discord_page_by_page(world: World) -> None:
    meeting_id = await long_meeting(world)
    data = await world.services.outcomes.meeting_outcomes(GUILD, meeting_id)
    assert len(data.sessions) == 30 and len(data.outcomes) == 27 * 8
    summary = summary_pages(data, world.clock())
    assert len(summary.pages) > 10
    for number, page in enumerate(summary.pages, start=1):
        title = f"{summary.title} ({number}/{len(summary.pages)})"
        assert len(page) <= PAGE_LIMIT <= EMBED_DESCRIPTION
        assert len(title) <= EMBED_TITLE
        assert len(title) + len(page) + len(FOOTER) <= EMBED_TOTAL
        first = page.splitlines()[0]
        # Every page starts with its intro, a part's heading, or that heading again.
        assert number == 1 or first.startswith("__"), first
    text = "\n".join(summary.pages)
    for outcome in data.outcomes:
        marker = f"S{outcome.session_id}O"
        assert marker in text
    items = [line for line in text.splitlines() if line.startswith("• ")]
    assert len(items) == len(data.outcomes)
    for n in range(8):
        assert sum(f"O{n} " in line or f"O{n} \\*" in line for line in items) == 27
    # Typed markdown is shown as typed; only links Agora writes are links, with their host.
    assert "*not bold*" not in text and "\\*not bold\\*" in text
    assert "[x](https://evil.example)" not in text
    assert "(minutes.example.org)" in text
    assert "3 sessions recorded no outcomes." in summary.pages[-1]
    assert any("(continued)" in page.splitlines()[0] for page in summary.pages[1:])


async def test_a_meeting_without_outcomes_says_how_to_add_them(world: World) -> None:
    change = await world.services.meetings.create(
        GUILD, ORGANISER, MeetingDraft(title="Quiet one", start="2027-06-20 08:00", end="9:00")
    )
    data = await world.services.outcomes.meeting_outcomes(GUILD, change.view.meeting.id)
    summary = summary_pages(data, world.clock())
    assert summary.outcome_count == 0
    assert summary.pages == (
        f"<t:{int(datetime(2027, 6, 20, 6, 0, tzinfo=UTC).timestamp())}:D> · 0 outcomes\n"
        "No outcomes recorded yet: add decisions, action items, links and notes with"
        " `/outcome add`.",
    )
