"""Helpers for the polls' end-to-end tests (tests/cogs/polls/): a poll's messages, its
result, the buttons and tallies they show."""

from __future__ import annotations

from typing import Any

from discord_sandbox import Sandbox
from tests.support.meetings_e2e import bot_posts


def poll_messages(sandbox: Sandbox, channel: str | int, poll_id: int) -> list[dict[str, Any]]:
    """The poll's own messages in a channel (not its result)."""
    return [
        m
        for m in bot_posts(sandbox, channel)
        if m["embeds"]
        and m["embeds"][0].get("footer", {}).get("text", "").startswith(f"Poll #{poll_id} ")
        and not m["embeds"][0]["title"].endswith(": result")
    ]


def results_of(sandbox: Sandbox, channel: str | int, poll_id: int) -> list[dict[str, Any]]:
    return [
        m
        for m in bot_posts(sandbox, channel)
        if m["embeds"]
        and m["embeds"][0]["title"].endswith(": result")
        and m["embeds"][0]["footer"]["text"].startswith(f"Poll #{poll_id} ")
    ]


def labels(message: dict[str, Any]) -> list[str]:
    return [b["label"] for row in message["components"] for b in row["components"]]


def tallies(message: dict[str, Any]) -> list[str]:
    return [f["name"] + " | " + f["value"].split("\n")[1] for f in message["embeds"][0]["fields"]]
