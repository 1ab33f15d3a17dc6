"""Helpers for the outcomes' end-to-end tests (tests/cogs/outcomes/): a meeting whose end
is seconds away, and outcomes recorded through the /outcome add form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.runtime import RunningAgora
from discord_sandbox import InteractionResult, Sandbox
from tests.support.meetings_e2e import create_meeting, meeting_id_of


def soon(seconds: float) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=seconds)


async def meeting_ending_soon(
    sandbox: Sandbox,
    agora: RunningAgora,
    title: str,
    *,
    starts_in: float = 3,
    lasts: float = 5,
    sessions: list[dict[str, Any]] | None = None,
) -> tuple[int, list[int]]:
    """A meeting starting in ``starts_in`` seconds and ending ``lasts`` later, with its
    programme (each session given its title and options; they share the meeting's time).
    Returns the meeting's id and its sessions' ids, in the order given."""
    start = soon(starts_in)
    created = await create_meeting(
        sandbox, title, start=start.isoformat(), end=(start + timedelta(seconds=lasts)).isoformat()
    )
    meeting_id = meeting_id_of(created)
    admin = sandbox.user("admin")
    for session in sessions or []:
        added = await admin.slash(
            "meeting session add",
            meeting=str(meeting_id),
            start=start.isoformat(),
            end=(start + timedelta(seconds=lasts)).isoformat(),
            **session,
        )
        assert "error" not in added.text.lower(), added.text
    programme = await agora.bot.services.programme.programme(int(sandbox.guild.id), meeting_id)
    return meeting_id, [session.id for session in programme]


async def add_outcome(
    sandbox: Sandbox,
    user: str,
    meeting: int | str,
    kind: str,
    text: str,
    link: str = "",
    **options: Any,
) -> InteractionResult:
    """``/outcome add`` and its form; returns the form's answer (or the refusal of the
    command when no form opened)."""
    driver = sandbox.user(user)
    opened = await driver.slash("outcome add", meeting=str(meeting), **options)
    if opened.modal is None:
        return opened
    return await driver.submit_modal({"Kind": kind, "Text": text, "Link": link})
