"""Gateway faults during traffic: Agora resumes or re-identifies and loses nothing.

Each fault is injected while people are busy: roles granted by hand, threads
started in an initiative's channel, ``/initiative join`` typed, all at the same
moment as the fault. Afterwards every hand-granted role is a membership row,
every thread a discussion, every interaction was answered (and its membership
stored), and the database is sound.

Faults: TCP dropped without a close frame, op 7 RECONNECT, op 9 INVALID_SESSION
(resumable, and not: a fresh IDENTIFY, whose gap Discord does not replay), and
heartbeat ACKs stopping (with traffic, which keeps the connection provably alive;
then idle, where discord.py must declare it a zombie and resume).
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

import pytest

from bot.cogs.directory.sync import SYNC_EVENT, SyncNote
from discord_sandbox import InteractionFailed, Sandbox
from tests.reliability._support import (
    ErrorLog,
    Tally,
    World,
    current_members,
    initiative_ids,
    integrity,
    query,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

LAMP = "Humble Lamppost"
PEOPLE_PER_ACTION = 3  # per fault: hand-granted roles, slash joins, threads
FAULTS = (
    "close_abruptly",
    "reconnect",
    "invalid_session_resumable",
    "invalid_session_fresh",
    "heartbeat_acks_stop_with_traffic",
    "heartbeat_acks_stop_idle",
)
_serial = itertools.count(1)


def discussions_in(world: World, channel_id: str) -> set[str]:
    rows = query(
        world.db_path,
        "SELECT thread_id FROM discussions WHERE parent_channel_id = ?",
        int(channel_id),
    )
    return {str(row[0]) for row in rows}


async def reconnected(sandbox: Sandbox, identifies: int, resumes: int, within: float) -> str:
    """Wait until the gateway saw a new RESUME or IDENTIFY; which one."""
    gateway = sandbox.gateway
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while loop.time() < deadline:
        if gateway.resume_count > resumes:
            return "resumed"
        if gateway.identify_count > identifies:
            return "identified"
        await asyncio.sleep(0.02)
    raise AssertionError(f"no RESUME or IDENTIFY within {within} s")


async def until(check: Callable[[], bool], what: str, within: float = 5.0) -> None:
    """Poll the database (no event tells when a listener's write is committed)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not check():
        if loop.time() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(0.02)


async def inject(world: World, fault: str) -> None:
    sandbox = world.sandbox
    if fault == "close_abruptly":
        await sandbox.gateway_close_abruptly()
    elif fault == "reconnect":
        await sandbox.gateway_reconnect()
    elif fault == "invalid_session_resumable":
        await sandbox.gateway_invalid_session(True)
    elif fault == "invalid_session_fresh":
        await sandbox.gateway_invalid_session(False)
    elif fault.startswith("heartbeat_acks_stop"):
        sandbox.stop_heartbeat_acks()


@pytest.fixture(scope="module")
def world_overrides() -> dict[str, dict[str, object]]:
    return {"activity": {"flush_interval_seconds": 0.2}}


@pytest.mark.parametrize("fault", FAULTS)
async def test_fault_during_traffic_loses_nothing(world: World, tally: Tally, fault: str) -> None:
    sandbox = world.sandbox
    bot = world.running.bot
    gateway = sandbox.gateway
    role = sandbox.role(LAMP)
    channel = sandbox.channel("humble-lamppost")
    lamp_id = initiative_ids(world.db_path, world.guild_id)["humble-lamppost"]
    n = next(_serial)
    by_hand = [await sandbox.join(f"hand{n}-{i}") for i in range(PEOPLE_PER_ACTION)]
    by_slash = [await sandbox.join(f"slash{n}-{i}") for i in range(PEOPLE_PER_ACTION)]
    starters = [await sandbox.join(f"thread{n}-{i}") for i in range(PEOPLE_PER_ACTION)]
    await sandbox.drain_gateway()
    synced = {int(u.id) for u in by_hand}
    notes = [
        asyncio.create_task(
            bot.wait_for(
                SYNC_EVENT,
                check=lambda note, uid=uid: isinstance(note, SyncNote) and note.subject_id == uid,
                timeout=15,
            )
        )
        for uid in synced
    ]
    identifies, resumes = gateway.identify_count, gateway.resume_count

    if fault == "heartbeat_acks_stop_idle":
        # discord.py declares a connection dead when nothing (not even an ACK) arrives
        # for heartbeat_timeout (60 s by default); shortened here, and heartbeats made
        # frequent, so that the zombie is found in about a second.
        bot._connection.heartbeat_timeout = 1.0
        gateway.heartbeat_interval_ms = 250
        await sandbox.gateway_reconnect()  # the new connection gets both
        await reconnected(sandbox, identifies, resumes, 10)
        identifies, resumes = gateway.identify_count, gateway.resume_count

    with ErrorLog() as errors:
        await inject(world, fault)
        actions: list[Awaitable[object]] = []
        actions += [sandbox.add_role(user, role) for user in by_hand]
        actions += [user.slash("initiative join", initiative=LAMP) for user in by_slash]
        actions += [
            user.start_thread(channel, f"Pilot {n}.{i}", "first post")
            for i, user in enumerate(starters)
        ]
        outcomes = await asyncio.gather(*actions, return_exceptions=True)
        if fault == "heartbeat_acks_stop_with_traffic":
            await asyncio.sleep(0)  # traffic flowed while no ACK came: nothing to recover
            sandbox.stop_heartbeat_acks(False)
            how = "kept"
        else:
            how = await reconnected(sandbox, identifies, resumes, 15)
            sandbox.stop_heartbeat_acks(False)
        await sandbox.drain_gateway()
        tally.faults_injected += 1

        lost: list[str] = []
        undelivered: set[int] = set()
        for user, result in zip(
            by_slash, outcomes[PEOPLE_PER_ACTION : 2 * PEOPLE_PER_ACTION], strict=True
        ):
            if isinstance(result, InteractionFailed) and how == "identified":
                # No session at all: Discord cannot deliver the interaction and the user
                # sees "did not respond" — Discord's behaviour; nothing may be stored.
                undelivered.add(int(user.id))
            elif isinstance(result, BaseException):
                lost.append(f"interaction not answered: {result}")
        failed = [
            o
            for i, o in enumerate(outcomes)
            if isinstance(o, BaseException)
            and not (
                PEOPLE_PER_ACTION <= i < 2 * PEOPLE_PER_ACTION
                and int(by_slash[i - PEOPLE_PER_ACTION].id) in undelivered
            )
        ]
        threads = {str(t.id) for t in outcomes[2 * PEOPLE_PER_ACTION :] if hasattr(t, "id")}

        if how == "identified":
            # A fresh session: Discord does not replay the gap, so Agora must catch up
            # from what READY / GUILD_CREATE tell it (discussions reconcile on ready).
            await asyncio.wait_for(bot.wait_for("agora_reconciled"), 15)
        try:
            await asyncio.wait_for(asyncio.gather(*notes), 5)
        except TimeoutError:
            lost.append("a role granted by hand was never seen by Agora")
        for note in notes:
            note.cancel()
        expected_members = {
            (lamp_id, int(u.id)) for u in [*by_hand, *by_slash] if int(u.id) not in undelivered
        }
        stored = current_members(world.db_path, world.guild_id)
        lost += [
            f"undelivered join of {uid} stored" for uid in undelivered if (lamp_id, uid) in stored
        ]
        try:
            await until(
                lambda: expected_members <= current_members(world.db_path, world.guild_id),
                "every member stored",
            )
        except AssertionError:
            missing = expected_members - current_members(world.db_path, world.guild_id)
            lost.append(f"{len(missing)} membership(s) missing")
        try:
            await until(lambda: threads <= discussions_in(world, channel.id), "every thread")
        except AssertionError:
            lost.append(f"{len(threads - discussions_in(world, channel.id))} discussion(s) missing")
        logged = errors.take()

    tally.items_checked += len(expected_members) + len(threads)
    tally.inputs_tried += len(actions)
    tally.items_lost += len(lost)
    if not lost and not failed:
        tally.faults_survived += 1
    tally.notes.append(
        f"{fault}: {how}, {len(lost)} lost"
        + (f", {len(undelivered)} interactions undeliverable (no session)" if undelivered else "")
    )
    assert not failed, failed
    assert not lost, lost
    assert not logged, logged
    assert integrity(world.db_path) == "ok"
