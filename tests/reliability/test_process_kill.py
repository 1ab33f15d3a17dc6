"""Process faults: Agora as a real process, SIGKILLed at random points of a busy run.

One sandbox lives in this test process for the whole run; Agora is
``python run_bot.py --config <tmp>`` against it. Members join and leave
initiatives and answer a meeting's RSVP buttons, a few at a time; at a random
moment (often mid-interaction) the process gets SIGKILL, no goodbye, and is
started again on the same database. The run is reproducible (seeded RNG) and
prints its kill points.

At the end every membership change and RSVP that got its success answer
before a kill is in the database (an action cut off by the kill may or may not
have landed; both are fine, so that pair is not judged until a later answered
action settles it), and the database passes ``PRAGMA integrity_check`` after
every kill. Reminders sent exactly once across kills: ``test_reminder_kill*.py``.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from discord_sandbox import InteractionFailed, Sandbox
from tests.reliability._support import (
    Tally,
    current_members,
    integrity,
    query,
    write_process_config,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = 20_170_620  # the Action Clusters Meeting, Brussels
KILLS = 20
USERS = [f"kill{i}" for i in range(8)]
INITIATIVES = {"Humble Lamppost": "humble-lamppost", "Urban Data Platform": "urban-data-platform"}
ANSWERS = {"Going": "going", "Maybe": "maybe", "Can't go": "declined"}


class AgoraProcess:
    """run_bot.py in a child process; ``start`` returns once it answers a command."""

    def __init__(self, sandbox: Sandbox, config: Path) -> None:
        self.sandbox = sandbox
        self.config = config
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> float:
        began = time.perf_counter()
        identified = self.sandbox.gateway.identify_count
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "run_bot.py",
            "--config",
            str(self.config),
            cwd=ROOT,
            env={**os.environ, "DISCORD_TOKEN": ""},
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        # Connected: a new IDENTIFY (the RESUME of a dead process is refused). Polled:
        # the sandbox has no event for it.
        while self.sandbox.gateway.identify_count == identified:
            assert self.process.returncode is None, "Agora exited while starting"
            await asyncio.sleep(0.02)
        # Ready: it answers from its directory (the seed is loaded on the first READY,
        # and commands may be answered a moment before that).
        for attempt in range(50):
            try:
                probe = await self.sandbox.user("admin").slash(
                    "initiative info", initiative="Small Giants"
                )
                if probe.embed is not None and probe.embed.get("title") == "Small Giants":
                    break
            except InteractionFailed:
                pass
            assert attempt < 49, "Agora never answered from its directory"
            await asyncio.sleep(0.1)
        return time.perf_counter() - began

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        assert self.process.returncode == -signal.SIGKILL

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


@dataclass
class Expectation:
    """What an answered action settled, or that an unanswered one left it open."""

    value: str | None = None  # "member"/"gone", or an RSVP answer
    open: bool = False


async def act(sandbox: Sandbox, user: str, action: tuple[str, str], message: str) -> str:
    kind, what = action
    driver = sandbox.user(user)
    if kind == "rsvp":
        result = await driver.click(message, what)
        text = result.text
        assert "error id" not in text, text
        return ANSWERS[what]
    result = await driver.slash(f"initiative {kind}", initiative=what)
    text = result.text
    assert "error id" not in text, text
    return "member" if kind == "join" else "gone"


async def test_sigkill_at_random_points_loses_nothing_answered(
    sandbox: Sandbox, tmp_path: Path, tally: Tally
) -> None:
    rng = random.Random(SEED)
    agora = AgoraProcess(sandbox, write_process_config(sandbox, tmp_path))
    db = str(tmp_path / "agora.db")
    guild_id = int(sandbox.guild.id)
    try:
        await agora.start()
        await sandbox.user("admin").slash("admin setup")
        for user in USERS:
            await sandbox.join(user)
        opened = await sandbox.user("admin").slash(
            "meeting create", start="2040-06-20 09:00", end="18:00", venue="Hotel Metropole"
        )
        assert opened.modal is not None, opened.text
        created = await sandbox.user("admin").submit_modal({"Title": "Action Clusters Meeting"})
        assert "#" in created.text, created.text
        announcement = next(
            m["id"]
            for m in reversed(sandbox.messages("announcements"))
            if m["author"]["id"] == sandbox.bot_user_id and m["components"]
        )
        meeting_id = int(query(db, "SELECT max(id) FROM meetings")[0][0])

        expected: dict[tuple[str, str], Expectation] = {}
        kill_points: list[str] = []
        restart_seconds: list[float] = []
        answered = cut = mid_flight = 0
        for kill in range(KILLS):
            users = rng.sample(USERS, rng.randint(1, 5))
            actions = []
            for user in users:
                kind = rng.choice(["join", "leave", "rsvp"])
                if kind == "rsvp":
                    actions.append((user, ("rsvp", rng.choice(list(ANSWERS)))))
                else:
                    actions.append((user, (kind, rng.choice(list(INITIATIVES)))))
            tasks = [
                asyncio.create_task(act(sandbox, user, action, announcement))
                for user, action in actions
            ]
            # Mostly within the first milliseconds, while the interactions are being
            # handled; sometimes later, between actions.
            delay = rng.uniform(0.0, 0.012) if rng.random() < 0.7 else rng.uniform(0.0, 0.3)
            await asyncio.sleep(delay)  # the random point: the kill does not wait for work
            await agora.kill()
            in_flight = sum(not t.done() for t in tasks)
            mid_flight += in_flight > 0
            for task in tasks:
                task.cancel()  # the user gives up waiting; Discord would say "did not respond"
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            for (user, action), outcome in zip(actions, outcomes, strict=True):
                key = (user, action[1] if action[0] != "rsvp" else "rsvp")
                slot = expected.setdefault(key, Expectation())
                if isinstance(outcome, InteractionFailed | asyncio.CancelledError):
                    slot.open = True  # may or may not have landed
                    cut += 1
                elif isinstance(outcome, BaseException):
                    raise outcome
                else:
                    slot.value, slot.open = outcome, False
                    answered += 1
            kill_points.append(
                f"kill {kill + 1}: {len(actions)} actions, SIGKILL after {delay * 1000:.0f} ms "
                f"with {in_flight} in flight"
            )
            assert integrity(db) == "ok", kill_points[-1]
            restart_seconds.append(await agora.start())
            tally.faults_injected += 1
            tally.faults_survived += 1
        await agora.kill()
    finally:
        await agora.stop()

    members = current_members(db, guild_id)
    ids = {
        slug: int(i)
        for slug, i in query(db, "SELECT slug, id FROM initiatives WHERE guild_id = ?", guild_id)
    }
    rsvps = {
        int(uid): str(answer)
        for uid, answer in query(
            db, "SELECT user_id, answer FROM meeting_rsvps WHERE meeting_id = ?", meeting_id
        )
    }
    lost: list[str] = []
    for (user, what), slot in sorted(expected.items()):
        if slot.open or slot.value is None:
            continue
        uid = int(sandbox.user(user).id)
        if what == "rsvp":
            actual = rsvps.get(uid)
        else:
            actual = "member" if (ids[INITIATIVES[what]], uid) in members else "gone"
        tally.items_checked += 1
        if actual != slot.value:
            lost.append(f"{user} {what}: answered {slot.value}, stored {actual}")
    tally.items_lost += len(lost)
    tally.inputs_tried += answered + cut
    tally.notes.append(
        f"seed {SEED}: {KILLS} SIGKILLs ({mid_flight} mid-interaction), {answered} actions "
        f"answered before a kill, {cut} cut off; restart to first answer "
        f"{min(restart_seconds):.1f}-{max(restart_seconds):.1f} s"
    )
    tally.notes += kill_points
    print("\n".join(kill_points))
    assert integrity(db) == "ok"
    assert not lost, lost
    # Both kinds of kill point were hit: after answered work, and in the middle of it.
    assert answered >= 10 and mid_flight >= 5, (answered, mid_flight)
