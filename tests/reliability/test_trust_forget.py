"""``/privacy forget`` holds: across restarts, reconnects and catch-ups, down to the bytes.

Alice answers a meeting by button and marks "Interested" on its Discord event, joins an
initiative (and holds its role), opens threads and posts; then she asks to be forgotten.
Discord still knows all of that, and some of it comes back: she stays "Interested", an
admin gives her role back while Agora is down, a channel holding an old thread of hers is
linked. Agora restarts, re-identifies and resumes: every catch-up re-reads Discord, and
none of them records her again, while the same catch-ups do record Bob (the control).
Then every byte of the database files is searched for her id, in every form SQLite could
hold it. A live action of hers afterwards is recorded as for anyone, and counted once.
"""

from __future__ import annotations

import asyncio
import struct
from pathlib import Path
from typing import Any

from bot.cogs.directory.sync import SYNC_EVENT, SyncNote
from bot.config import Config
from bot.runtime import RunningAgora
from discord_sandbox import Sandbox, UserDriver
from tests.conftest import AgoraStarter
from tests.support.discussions import rows_naming_user
from tests.support.meetings_e2e import (
    MESSAGE,
    announcement,
    create_meeting,
    expect_call,
    link_lamppost,
    meeting_id_of,
    next_year_day,
    rsvp,
)
from tests.support.threads import expect_discussion, listener, settle

LAMP = "Humble Lamppost"


# --------------------------------------------------------------------------- the bytes


def sqlite_integer(value: int) -> bytes:
    """``value`` as SQLite's record format stores an INTEGER: big-endian two's complement
    in the smallest of 1, 2, 3, 4, 6 or 8 bytes that holds it (also inside index keys)."""
    for size in (1, 2, 3, 4, 6, 8):
        if -(1 << (8 * size - 1)) <= value < (1 << (8 * size - 1)):
            return value.to_bytes(size, "big", signed=True)
    raise ValueError(value)


def encodings_of(user_id: int) -> dict[str, bytes]:
    """Every form the id could take in the files: the record format's integer (columns,
    index keys), decimal text (TEXT columns, JSON blobs such as meeting drafts, mentions
    like <@id>) in each text encoding SQLite supports, a REAL, and little-endian bytes."""
    text = str(user_id)
    return {
        "integer (record format)": sqlite_integer(user_id),
        "decimal text (UTF-8, JSON, mentions)": text.encode("utf-8"),
        "decimal text (UTF-16LE)": text.encode("utf-16-le"),
        "decimal text (UTF-16BE)": text.encode("utf-16-be"),
        "REAL": struct.pack(">d", float(user_id)),
        "little-endian integer": user_id.to_bytes(8, "little"),
    }


def database_files(config: Config) -> list[Path]:
    main = Path(config.database.path)
    return [p for p in (main, Path(f"{main}-wal"), Path(f"{main}-shm")) if p.exists()]


def copies_of(user_id: int, config: Config) -> list[str]:
    """Where (file, form, offset) the id is found in the raw bytes of the database files."""
    found = []
    for path in database_files(config):
        data = path.read_bytes()
        for form, needle in encodings_of(user_id).items():
            at = data.find(needle)
            if at >= 0:
                found.append(f"{path.name}: {form} at byte {at}")
    return found


# --------------------------------------------------------------------------- helpers


async def handled(agora: RunningAgora, kind: str, action: Any) -> SyncNote:
    """Run ``action`` and wait until Agora's directory sync reports ``kind`` handled."""
    waiter = asyncio.ensure_future(
        agora.bot.wait_for(SYNC_EVENT, check=lambda note: note.kind == kind, timeout=10)
    )
    await settle()
    await action()
    note = await waiter
    assert isinstance(note, SyncNote)
    return note


async def caught_up(agora: RunningAgora) -> None:
    """After a start: the interest catch-up and the thread reconcile have run."""
    meetings = agora.bot.get_cog("Meetings")
    startup = getattr(meetings, "_startup", None)
    assert isinstance(startup, asyncio.Task)
    await asyncio.wait_for(asyncio.shield(startup), 15)
    await asyncio.wait_for(listener(agora.bot).reconciled.wait(), 15)


async def named(agora: RunningAgora, guild_id: int, user: UserDriver) -> list[Any]:
    await agora.bot.services.activity.flush()
    return await rows_naming_user(agora.bot.store.db, guild_id, int(user.id), every_column=True)


async def lamp_members(agora: RunningAgora, guild_id: int) -> set[int]:
    page = await agora.bot.services.memberships.members(guild_id, LAMP)
    return {m.user_id for m in page.items if m.user_id is not None}


async def going(agora: RunningAgora, guild_id: int, meeting_id: int) -> tuple[int, set[int]]:
    """(Going count as announced, who is Going by name)."""
    attendees = await agora.bot.services.rsvp.attendees(guild_id, meeting_id)
    return attendees.counts.going, set(attendees.going)


# --------------------------------------------------------------------------- the test


async def test_forgotten_member_is_not_recorded_again_and_leaves_no_byte(
    sandbox: Sandbox, agora: RunningAgora, start_agora_fn: AgoraStarter, agora_config: Config
) -> None:
    bot = agora.bot
    guild_id = int(sandbox.guild.id)
    lamp_channel, _ = await link_lamppost(sandbox, agora)
    alice, bob, admin = sandbox.user("alice"), sandbox.user("bob"), sandbox.user("admin")
    # A channel no initiative uses yet: threads there are not discussions (for now).
    giants_channel = await sandbox.create_channel("small-giants-lab")

    created = await create_meeting(
        sandbox,
        "Lamppost pilot review",
        start=f"{next_year_day()} 09:00",
        end="11:00",
        zone="Europe/Brussels",
        initiatives=LAMP,
    )
    meeting_id = meeting_id_of(created)
    posted = announcement(sandbox, "announcements", meeting_id)
    (event,) = sandbox.guild.scheduled_events.values()

    # -- Alice takes part in everything ------------------------------------------------
    refreshed = expect_call(
        sandbox, method="PATCH", route=MESSAGE, where=lambda c: c.path.endswith(posted["id"])
    )
    await alice.interested(event)  # live: Going, from the event
    await refreshed
    await rsvp(sandbox, "alice", posted, "Going")  # and by button
    assert await going(agora, guild_id, meeting_id) == (1, {int(alice.id)})

    joined = await alice.slash("initiative join", initiative=LAMP)
    assert not joined.failed
    assert int(alice.id) in await lamp_members(agora, guild_id)

    opened = expect_discussion(bot, "created", "Pole heights")
    await settle()
    thread = await alice.start_thread(lamp_channel, "Pole heights", "Six metres?")
    await opened
    await alice.say(thread, "Or eight.")
    await bob.say(thread, "Eight.")
    old_thread = await alice.start_thread(giants_channel, "Bench sensors", "Ideas?")
    assert await named(agora, guild_id, alice)

    # -- forgotten -----------------------------------------------------------------------
    asked = await alice.slash("privacy forget")
    done = await alice.click(asked, "Erase my data")
    assert "no longer holds anything naming" in (done.content or "")
    assert await named(agora, guild_id, alice) == []
    # Her answer to the open meeting is withdrawn, not left as an anonymous copy that a
    # later answer of hers would be counted next to.
    assert await going(agora, guild_id, meeting_id) == (0, set())
    assert copies_of(int(alice.id), agora_config) == []

    # A channel holding a thread she opened before is linked to an initiative.
    giants = await bot.services.directory.get_initiative(guild_id, "Small Giants")
    await bot.services.directory.link_channel(guild_id, giants.id, int(giants_channel.id))

    # -- while Agora is down: her role comes back, Bob does the same things -------------
    await agora.stop()
    await sandbox.add_role(alice, LAMP)  # e.g. a role-restoring bot, or an admin
    await sandbox.add_role(bob, LAMP)
    await bob.interested(event)
    bob_thread = await bob.start_thread(giants_channel, "Bench colours", "Green?")

    # -- restart: the interest catch-up, the thread reconcile, the role catch-up ---------
    again = await start_agora_fn()
    await caught_up(again)
    await handled(again, "reconciled", lambda: sandbox.gateway_invalid_session(False))
    # The same catch-ups did record Bob ...
    assert await going(again, guild_id, meeting_id) == (1, {int(bob.id)})
    assert int(bob.id) in await lamp_members(again, guild_id)
    discussions = again.bot.services.discussions
    bobs = await discussions.get(guild_id, int(bob_thread.id))
    assert bobs is not None and bobs.author_id == int(bob.id)
    # ... and not Alice: not Going twice, not a member, not the author of her old thread.
    alices = await discussions.get(guild_id, int(old_thread.id))
    assert alices is not None and alices.author_id is None
    assert await named(again, guild_id, alice) == []

    # -- a resumed session and a non-resumable one: still nothing ------------------------
    resumed = asyncio.ensure_future(again.bot.wait_for("resumed", timeout=10))
    await settle()
    await sandbox.gateway_reconnect()
    await resumed
    threads_done = asyncio.ensure_future(again.bot.wait_for("agora_reconciled", timeout=15))
    await handled(again, "reconciled", lambda: sandbox.gateway_invalid_session(False))
    await threads_done
    assert await named(again, guild_id, alice) == []
    assert await going(again, guild_id, meeting_id) == (1, {int(bob.id)})
    attendees = await admin.slash("meeting attendees", meeting=str(meeting_id))
    assert alice.mention not in str(attendees.embed)

    # -- the bytes: not in the database file, its write-ahead log or its index -----------
    await again.stop()
    assert copies_of(int(alice.id), agora_config) == []


async def test_a_live_action_after_forgetting_is_recorded_once(
    sandbox: Sandbox, agora: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    guild_id = int(sandbox.guild.id)
    await link_lamppost(sandbox, agora)
    alice, bob = sandbox.user("alice"), sandbox.user("bob")
    created = await create_meeting(
        sandbox, "Data platform sprint", start=f"{next_year_day()} 14:00", end="16:00"
    )
    meeting_id = meeting_id_of(created)
    posted = announcement(sandbox, "announcements", meeting_id)
    await rsvp(sandbox, "alice", posted, "Going")
    await rsvp(sandbox, "bob", posted, "Going")
    await alice.slash("initiative join", initiative=LAMP)

    asked = await alice.slash("privacy forget")
    await alice.click(asked, "Erase my data")
    assert await going(agora, guild_id, meeting_id) == (1, {int(bob.id)})

    # Live and deliberate: recorded as for anyone, and counted once.
    await rsvp(sandbox, "alice", posted, "Going")
    assert await going(agora, guild_id, meeting_id) == (2, {int(alice.id), int(bob.id)})
    rejoined = await alice.slash("initiative join", initiative=LAMP)
    assert not rejoined.failed
    assert int(alice.id) in await lamp_members(agora, guild_id)

    # Her live join lifted the memberships tombstone: the role catch-up follows her
    # roles again (the role taken away while Agora is down ends her membership).
    await agora.stop()
    await sandbox.remove_role(alice, LAMP)
    again = await start_agora_fn()
    await caught_up(again)
    await handled(again, "reconciled", lambda: sandbox.gateway_invalid_session(False))
    assert int(alice.id) not in await lamp_members(again, guild_id)
    assert await going(again, guild_id, meeting_id) == (2, {int(alice.id), int(bob.id)})
