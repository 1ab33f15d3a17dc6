"""/initiative info end to end: autocomplete, the embed, unknown names."""

from __future__ import annotations

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox


async def test_info_shows_goal_and_counts(sandbox: Sandbox, agora: RunningAgora) -> None:
    result = await sandbox.user("alice").slash("initiative info", initiative="Humble Lamppost")
    embed = result.embed
    assert embed is not None
    assert embed["title"] == "Humble Lamppost"
    assert "10 Million Smart Lampposts across EU Cities" in embed["description"]
    activity = next(f for f in embed["fields"] if f["name"] == "Activity")
    assert "Members: 0" in activity["value"] and "Discussions: 0" in activity["value"]
    assert not result.ephemeral
    # The sandbox times the callback's arrival (bench/lookups.py measures with it).
    record = result.record
    assert record.callback_at is not None and record.callback_at >= record.created_at


async def test_autocomplete_tolerates_typos(sandbox: Sandbox, agora: RunningAgora) -> None:
    choices = await sandbox.user("alice").autocomplete(
        "initiative info", "initiative", "humble lampost"
    )
    assert choices[0]["value"] == "humble-lamppost"
    assert len(choices) <= 25


async def test_unknown_initiative_names_closest(sandbox: Sandbox, agora: RunningAgora) -> None:
    # Too far from any name to be read as a typo, close enough to be suggested.
    result = await sandbox.user("alice").slash(
        "initiative info", initiative="Humble Lampole Project"
    )
    assert result.ephemeral
    assert "No initiative named" in (result.content or "")
    assert "Did you mean: Humble Lamppost?" in (result.content or "")
