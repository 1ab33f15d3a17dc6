"""The fleet, end to end: two Agora processes, shards 0 and 1 of 2, on one PostgreSQL.

One sandbox holds four guilds, two per shard, and refuses a session holding more than two.
Two ``run_bot.py --shards N --shard-count 2`` processes share one database, as deployed
(docs/deploy.md). 200 reminders fall due across the four guilds within five seconds, and
each message post is slowed so sends are in flight; the process of shard 0 is SIGKILLed in
the middle of that burst and restarted. Every reminder still reaches its guild's channel
exactly once: none lost, none doubled. Then lookups, joins and RSVPs answer right in every
guild, and after a shard-count change (2 -> 4, two processes again) the guilds that moved
to the other process show the same state.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.launch import seed_path
from bot.services.meetings.service import Actor, MeetingDraft
from bot.storage.store import Store
from bot.wiring import build_services
from discord_sandbox import Sandbox
from discord_sandbox.models import Guild
from tests.support.fleet import (
    ShardProcess,
    channel_of,
    guilds_on,
    write_fleet_config,
)
from tests.support.meetings_e2e import announcement, meeting_id_of, reminder_posts, rsvp
from tests.support.postgres import PostgresServer

PER_GUILD = 50
SPREAD_SECONDS = 5.0
LEAD_SECONDS = 60  # reminders go out a minute before each meeting
TITLE = re.compile(r"\*\*(Fleet check \d-\d\d)\*\*")
OFFSETS = [f'reminder_offsets = ["{LEAD_SECONDS}s"]']


async def plan_burst(url: str, sandbox: Sandbox, due_from: datetime) -> dict[str, int]:
    """PER_GUILD meetings in each guild whose reminders fall due from ``due_from`` over
    SPREAD_SECONDS, planned through Agora's own services; each title -> its guild."""
    config = parse_config({"meetings": {"reminder_offsets": [f"{LEAD_SECONDS}s"]}})
    store = await Store.open(url)
    titles: dict[str, int] = {}
    try:
        services = build_services(store=store, config=config)
        await services.start()
        organiser = Actor(user_id=int(sandbox.owner_user_id or 0), is_organiser=True)
        for index, guild in enumerate(sandbox.state.guilds.values()):
            guild_id = int(guild.id)
            await services.importer.import_seed_if_empty(guild_id, seed_path())
            for number in range(PER_GUILD):
                due = due_from + timedelta(seconds=SPREAD_SECONDS * number / PER_GUILD)
                title = f"Fleet check {index}-{number:02d}"
                start = due + timedelta(seconds=LEAD_SECONDS)
                draft = MeetingDraft(title=title, start=start.isoformat(), end="1h")
                await services.meetings.create(guild_id, organiser, draft)
                titles[title] = guild_id
        await services.close()
    finally:
        await store.close()
    return titles


def reminders_seen(sandbox: Sandbox) -> dict[str, list[int]]:
    """Each reminded title -> the guild of every reminder message that names it."""
    seen: dict[str, list[int]] = {}
    for guild in sandbox.state.guilds.values():
        for message in reminder_posts(sandbox, channel_of(sandbox, guild, "announcements").id):
            match = TITLE.search(message["content"])
            if match:
                seen.setdefault(match.group(1), []).append(int(guild.id))
    return seen


async def wait_until(check: object, timeout: float, what: str) -> None:  # noqa: ASYNC109
    """Poll ``check()`` (a callable returning bool) every 50 ms until it holds."""
    assert callable(check)
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.05)


async def live_reminders(url: str) -> dict[str, int]:
    store = await Store.open(url)
    try:
        return await store.reminders.state_counts()
    finally:
        await store.close()


async def state_of(sandbox: Sandbox, guild: Guild, number: int) -> tuple[object, ...]:
    """What members see of the guild's state: Humble Lamppost's card (its Members), the
    meeting list, and who answered the guild's "RSVP check" meeting."""
    general = channel_of(sandbox, guild, "general")
    admin = sandbox.user("admin")
    info = await admin.slash("initiative info", in_channel=general, initiative="Humble Lamppost")
    assert info.embed is not None, info.text
    listed = await admin.slash("meeting list", in_channel=general)
    answers = await admin.slash(
        "meeting attendees", in_channel=general, meeting=f"RSVP check {number}"
    )
    return (info.embed["title"], info.embed.get("fields"), listed.text, answers.text)


@pytest.mark.timeout(300)
async def test_two_shard_processes_send_every_reminder_once_through_a_kill_and_a_reshard(
    four_guilds: Sandbox,
    postgres_server: PostgresServer,
    tmp_path: Path,
) -> None:
    sandbox = four_guilds
    url = await postgres_server.new_database()
    due_from = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=30)
    titles = await plan_burst(url, sandbox, due_from)
    assert len(titles) == 4 * PER_GUILD == 200

    config = write_fleet_config(sandbox, tmp_path, url, ["[meetings]", *OFFSETS])
    first = ShardProcess(config, "0", 2)
    second = ShardProcess(config, "1", 2)
    processes = [first, second]
    try:
        said = await asyncio.gather(first.start(), second.start())
        assert said[0].endswith("in 2 guilds (shard 0 of 2)"), said
        assert said[1].endswith("in 2 guilds (shard 1 of 2)"), said
        assert datetime.now(UTC) < due_from, "the processes took too long to start"

        # Every message post takes 0.3 s: sends are in flight when the kill lands.
        sandbox.delay_next("POST /channels/*/messages", 0.3, times=10_000)
        shard_zero = guilds_on(sandbox, 0)

        def shard_zero_sent() -> int:
            return sum(
                len(where)
                for where in reminders_seen(sandbox).values()
                for g in where
                if g in shard_zero
            )

        await wait_until(lambda: shard_zero_sent() >= 15, 90, "shard 0's burst begins")
        await first.kill()
        at_kill = shard_zero_sent()
        assert at_kill < 2 * PER_GUILD, "the kill came after the burst, not in it"

        await first.start()
        try:
            await wait_until(lambda: len(reminders_seen(sandbox)) == 200, 120, "all 200 reminded")
        except AssertionError:
            states = await live_reminders(url)
            raise AssertionError(
                f"{len(reminders_seen(sandbox))} of 200 reminded, {at_kill} at the kill; "
                f"rows {states}; logs:\n{''.join(first.log[-30:])}\n{''.join(second.log[-30:])}"
            ) from None
        await wait_until_settled(url)

        seen = reminders_seen(sandbox)
        doubled = {title: where for title, where in seen.items() if len(where) != 1}
        assert not doubled, f"reminded more than once: {doubled}"
        assert {title: where[0] for title, where in seen.items()} == titles
        states = await live_reminders(url)
        assert set(states) <= {"sent", "late_sent"}, states
        assert sum(states.values()) == 200, states

        # Lookups, joins and RSVPs, each guild answered by the process of its shard.
        sandbox.faults.clear()
        for number, guild in enumerate(sandbox.state.guilds.values()):
            general = channel_of(sandbox, guild, "general")
            alice = await sandbox.join("alice", guild)
            joined = await alice.slash(
                "initiative join", in_channel=general, initiative="humble-lamppost"
            )
            assert str(joined.content).startswith("Welcome to **Humble Lamppost**!"), joined.text
            admin = sandbox.user("admin")
            opened = await admin.slash(
                "meeting create",
                in_channel=general,
                start=(datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat(),
                end="1h",
            )
            assert opened.modal is not None, opened.text
            created = await admin.submit_modal({"Title": f"RSVP check {number}"})
            meeting_id = meeting_id_of(created)
            await sandbox.join("bob", guild)
            posted = announcement(
                sandbox, channel_of(sandbox, guild, "announcements").id, meeting_id
            )
            _, confirmation = await rsvp(sandbox, "bob", posted, "Going")
            assert "going" in confirmation.lower(), confirmation
        before = {
            guild.id: await state_of(sandbox, guild, number)
            for number, guild in enumerate(sandbox.state.guilds.values())
        }

        # A shard-count change: stop the fleet, start it again on 4 shards.
        assert [await process.stop() for process in processes] == [0, 0]
        moved = guilds_on(sandbox, 1, 2) & (guilds_on(sandbox, 0, 4) | guilds_on(sandbox, 1, 4))
        assert moved, "no guild moves to the other process"
        processes = [ShardProcess(config, "0,1", 4), ShardProcess(config, "2,3", 4)]
        said = await asyncio.gather(*(process.start() for process in processes))
        assert all("in 2 guilds" in line for line in said), said
        after = {
            guild.id: await state_of(sandbox, guild, number)
            for number, guild in enumerate(sandbox.state.guilds.values())
        }
        assert after == before
        # 50 reminded meetings and the RSVP check in each; Bob going to the latter.
        assert all("51 in all" in str(state[2]) for state in after.values()), after
        assert all("Going: 1 " in str(state[3]) for state in after.values()), after
        # And still nothing sent twice.
        assert all(len(where) == 1 for where in reminders_seen(sandbox).values())
    finally:
        for process in [first, second, *processes]:
            await process.close()


async def wait_until_settled(url: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
    """Until no reminder is pending or being sent."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        states = await live_reminders(url)
        if not states.get("pending") and not states.get("sending"):
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"reminders still live: {states}")
        await asyncio.sleep(0.2)
