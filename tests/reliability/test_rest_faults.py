"""REST faults: 429s, 5xx, slow replies and refusals while people use Agora.

What discord.py does on its own (verified here through the sandbox's log): it
waits out a 429 that carries ``Via`` and retries; it retries 500/502/504/524 up
to five times, sleeping 1, 3, 5... seconds; a 503 or a 403 is raised at once.
So Agora must answer within Discord's 3 s even when a REST call on the way is
slow or retried (defer first), and must say plainly what happened when Discord
refuses, without an error id and without an ERROR in the log.
"""

from __future__ import annotations

import asyncio
import itertools

import pytest

from discord_sandbox import Sandbox
from tests.reliability._support import (
    ErrorLog,
    Tally,
    World,
    current_members,
    initiative_ids,
    integrity,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

LAMP = "Humble Lamppost"
ROLE_ROUTE = "PUT /guilds/{guild_id}/members/{user_id}/roles/{role_id}"
ROLE_GLOB = "PUT /guilds/*/members/*/roles/*"
_serial = itertools.count(1)


def role_calls(sandbox: Sandbox, since: int) -> list[int]:
    return [
        call.status
        for call in list(sandbox.log)[since:]
        if call.method == "PUT" and call.route == ROLE_ROUTE.split(" ", 1)[1]
    ]


async def joiners(sandbox: Sandbox, count: int) -> list[str]:
    n = next(_serial)
    names = [f"rest{n}-{i}" for i in range(count)]
    for name in names:
        await sandbox.join(name)
    await sandbox.drain_gateway()
    return names


def has_role(sandbox: Sandbox, name: str) -> bool:
    return sandbox.role(LAMP).id in sandbox.member(name).roles


def is_member(world: World, name: str) -> bool:
    lamp = initiative_ids(world.db_path, world.guild_id)["humble-lamppost"]
    uid = int(world.sandbox.user(name).id)
    return (lamp, uid) in current_members(world.db_path, world.guild_id)


async def test_rate_limited_role_changes_are_waited_out(world: World, tally: Tally) -> None:
    """discord.py waits *before* sending when a bucket it knows is used up, so within one
    route it is never refused; grants (PUT) and removals (DELETE) are separate buckets for
    discord.py but one for Discord here, so sent together they come back 429."""
    sandbox = world.sandbox
    joining = await joiners(sandbox, 3)
    leaving = await joiners(sandbox, 3)
    for name in leaving:
        await sandbox.user(name).slash("initiative join", initiative=LAMP)
    await sandbox.user(joining[0]).slash("initiative join", initiative=LAMP)
    await sandbox.user(leaving[0]).slash("initiative leave", initiative=LAMP)
    sandbox.set_rate_limit(ROLE_ROUTE.split(" ", 1)[1], limit=1, per_seconds=0.5)
    since = len(sandbox.log)
    with ErrorLog() as errors:
        results = await asyncio.gather(
            *(sandbox.user(n).slash("initiative join", initiative=LAMP) for n in joining[1:]),
            *(sandbox.user(n).slash("initiative leave", initiative=LAMP) for n in leaving[1:]),
        )
    sandbox.set_rate_limit(ROLE_ROUTE.split(" ", 1)[1], limit=10_000, per_seconds=1)
    statuses = [
        c.status for c in list(sandbox.log)[since:] if c.route == ROLE_ROUTE.split(" ", 1)[1]
    ]
    limited = statuses.count(429)
    tally.faults_injected += limited
    assert limited >= 1, statuses  # the fault happened
    assert all("Welcome" in r.text or "You have left" in r.text for r in results)
    assert all(has_role(sandbox, n) and is_member(world, n) for n in joining)
    assert not any(has_role(sandbox, n) or is_member(world, n) for n in leaving)
    assert errors.take() == []
    tally.faults_survived += limited
    tally.inputs_tried += len(results)
    tally.items_checked += len(joining) + len(leaving)
    tally.notes.append(f"429 on role changes: {limited} waited out by discord.py, all answered")


@pytest.mark.parametrize("failures", [1, 2])
async def test_server_errors_on_role_grant_are_retried(
    world: World, tally: Tally, failures: int
) -> None:
    """One 500 costs discord.py a 1 s pause, two cost 4 s: past Discord's 3 s deadline
    unless Agora has deferred its answer."""
    sandbox = world.sandbox
    [name] = await joiners(sandbox, 1)
    sandbox.fail_next(ROLE_GLOB, status=500, times=failures)
    since = len(sandbox.log)
    with ErrorLog() as errors:
        result = await sandbox.user(name).slash("initiative join", initiative=LAMP)
    tally.faults_injected += failures
    assert role_calls(sandbox, since) == [500] * failures + [204]
    assert "Welcome" in result.text and result.ephemeral
    assert has_role(sandbox, name) and is_member(world, name)
    assert errors.take() == []
    tally.faults_survived += failures
    tally.inputs_tried += 1
    tally.items_checked += 1
    tally.notes.append(f"{failures} x 500 on a role grant: retried, answered")


async def test_slow_role_grant_near_the_deadline(world: World, tally: Tally) -> None:
    sandbox = world.sandbox
    [name] = await joiners(sandbox, 1)
    sandbox.delay_next(ROLE_GLOB, seconds=2.8)
    with ErrorLog() as errors:
        result = await sandbox.user(name).slash("initiative join", initiative=LAMP)
    tally.faults_injected += 1
    assert "Welcome" in result.text
    assert has_role(sandbox, name) and is_member(world, name)
    assert errors.take() == []
    tally.faults_survived += 1
    tally.inputs_tried += 1
    tally.items_checked += 1
    tally.notes.append("role grant answered 2.8 s late: answered in time")


async def test_forbidden_role_grant_is_explained(world: World, tally: Tally) -> None:
    sandbox = world.sandbox
    [name] = await joiners(sandbox, 1)
    sandbox.fail_next(ROLE_GLOB, status=403)
    with ErrorLog() as errors:
        result = await sandbox.user(name).slash("initiative join", initiative=LAMP)
    tally.faults_injected += 1
    assert result.ephemeral
    assert "could not grant" in result.text and "Ask an admin" in result.text, result.text
    assert "error id" not in result.text
    assert is_member(world, name) and not has_role(sandbox, name)
    assert errors.take() == []
    tally.faults_survived += 1
    tally.inputs_tried += 1
    tally.notes.append("403 on a role grant: the member is told why and whom to ask")


async def test_discord_unavailable_is_told_plainly(world: World, tally: Tally) -> None:
    """A 503 is not retried by discord.py: the user must hear that Discord failed, not
    that Agora has a bug."""
    sandbox = world.sandbox
    [name] = await joiners(sandbox, 1)
    sandbox.fail_next("POST /channels/*/threads", status=503)
    sandbox.fail_next("POST /channels/*/messages/*/threads", status=503)
    before = len(sandbox.messages("humble-lamppost"))
    with ErrorLog() as errors:
        result = await sandbox.user(name).slash(
            "discussion start", initiative=LAMP, title="Benches", text="Where?"
        )
    tally.faults_injected += 1
    assert result.ephemeral, result.text
    assert "error id" not in result.text, result.text
    assert "Discord" in result.text, result.text
    assert errors.take() == []
    assert len(sandbox.messages("humble-lamppost")) - before <= 1
    tally.faults_survived += 1
    tally.inputs_tried += 1
    tally.notes.append("503 while starting a discussion: told plainly")


async def test_database_sound_after_rest_faults(world: World) -> None:
    assert integrity(world.db_path) == "ok"
    assert not world.sandbox.failures, world.sandbox.failures
