"""Exactly once across a real process kill.

Agora runs as a subprocess (``python run_bot.py --config ...``) against the sandbox
in this test process. When its reminder has reached #announcements and the DM to
an opted-in member is in flight, the process gets SIGKILL: no cleanup, no
goodbye. The database shows the reminder claimed ("sending") but not finished.
Restarted on the same database, Agora sends it again with the same nonces:
every channel ends with exactly one reminder, never zero or two.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.storage.store import Store
from discord_sandbox import InteractionFailed, Sandbox
from tests.reliability._support import write_process_config
from tests.support.meetings_e2e import (
    MESSAGES,
    announcement,
    create_meeting,
    expect_call,
    meeting_id_of,
    reminder_posts,
    rsvp,
)

ROOT = Path(__file__).resolve().parents[2]
REMINDER = "⏰ **Lamppost pilot review** starts"


class AgoraProcess:
    def __init__(self, config: Path) -> None:
        self.config = config
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, sandbox: Sandbox) -> None:
        """Start run_bot.py and wait until it answers a command."""
        commands = asyncio.create_task(
            sandbox.wait_for_call(
                route="/applications/{application_id}/guilds/{guild_id}/commands", timeout=30
            )
        )
        env = {**os.environ, "DISCORD_TOKEN": ""}
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "run_bot.py",
            "--config",
            str(self.config),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await commands  # synced (first start) or checked (restart): the gateway is next
        for attempt in range(5):
            try:
                await sandbox.user("admin").slash("meeting list")
                return
            except InteractionFailed:
                if attempt == 4:
                    raise

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        assert self.process.returncode == -signal.SIGKILL

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


@pytest.fixture
async def agora_process(sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[AgoraProcess]:
    process = AgoraProcess(
        write_process_config(sandbox, tmp_path, ["[meetings]", 'reminder_offsets = ["4s"]'])
    )
    yield process
    await process.stop()


async def reminder_states(db: Path, meeting_id: int) -> list[str]:
    store = await Store.open(str(db))
    try:
        return [r.state for r in await store.reminders.for_meeting(meeting_id)]
    finally:
        await store.close()


async def test_sigkill_mid_send_then_restart_sends_once(
    sandbox: Sandbox, agora_process: AgoraProcess, tmp_path: Path
) -> None:
    await agora_process.start(sandbox)
    # Bob gets reminder DMs: the reminder has two targets, #announcements then his DM.
    await sandbox.user("bob").slash("remind dm on")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    created = await create_meeting(
        sandbox, "Lamppost pilot review", start=start.isoformat(), end="1h"
    )
    meeting_id = meeting_id_of(created)
    await rsvp(sandbox, "bob", announcement(sandbox, "announcements", meeting_id), "Going")
    announcements = sandbox.channel("announcements").id

    # Opening Bob's DM channel is slow, so the kill lands between the two sends.
    sandbox.delay_next("POST /users/@me/channels", 0.5)
    first = expect_call(
        sandbox,
        method="POST",
        route=MESSAGES,
        where=lambda c: c.path == f"/channels/{announcements}/messages" and REMINDER in str(c.body),
        timeout=20,
    )
    await first
    await agora_process.kill()
    db = tmp_path / "agora.db"
    assert await reminder_states(db, meeting_id) == ["sending"]
    assert len(reminder_posts(sandbox, "announcements", REMINDER)) == 1
    assert not [m for m in sandbox.dms("bob") if REMINDER in m["content"]]

    dm = expect_call(
        sandbox,
        method="POST",
        route=MESSAGES,
        where=lambda c: c.path != f"/channels/{announcements}/messages" and REMINDER in str(c.body),
        timeout=30,
    )
    await agora_process.start(sandbox)
    await dm
    await agora_process.stop()  # SIGTERM: a clean stop, so the database is settled
    assert len(reminder_posts(sandbox, "announcements", REMINDER)) == 1
    assert len([m for m in sandbox.dms("bob") if REMINDER in m["content"]]) == 1
    assert await reminder_states(db, meeting_id) == ["sent"]
