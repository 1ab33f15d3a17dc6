"""A change made by hand in the sandbox (a role, a member, a channel), awaited until
Agora's directory sync has handled it: for the end-to-end tests of the sync
(tests/cogs/directory/, tests/reliability/)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.cogs.directory.sync import SYNC_EVENT, SyncNote
from bot.runtime import RunningAgora


async def handled(
    agora: RunningAgora,
    kind: str,
    action: Callable[[], Awaitable[object]],
    *,
    seconds: float = 5,
) -> SyncNote:
    """Run ``action`` (a change in the sandbox) and wait, ``seconds`` at most, until Agora
    has handled it."""
    waiter = asyncio.ensure_future(
        agora.bot.wait_for(SYNC_EVENT, check=lambda note: note.kind == kind, timeout=seconds)
    )
    await asyncio.sleep(0)  # let wait_for register before the event can arrive
    await action()
    note = await waiter
    assert isinstance(note, SyncNote)
    return note
