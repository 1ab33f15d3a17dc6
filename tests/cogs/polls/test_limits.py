"""Answers to a poll are limited per member like RSVPs, and a burst of answers edits the
poll's other messages at most about once a second, ending on the stored answers."""

from __future__ import annotations

import math
import time
from typing import Any, cast

import pytest

from bot.cogs.meetings.publish import REFRESH_INTERVAL
from bot.cogs.polls.publish import PollPublisher
from bot.runtime import RunningAgora
from bot.services.common.rate_limit import TOO_OFTEN
from discord_sandbox import Sandbox
from tests.support.meetings_e2e import MESSAGE, link_lamppost, next_year_day
from tests.support.polls_e2e import poll_messages, tallies


@pytest.fixture
def agora_config_overrides() -> dict[str, dict[str, object]]:
    return {"limits": {"rsvp": "3 per 60s"}}


async def test_a_burst_of_answers_is_limited_and_edits_coalesced(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    lamppost, _ = await link_lamppost(sandbox, agora)
    day = next_year_day()
    await sandbox.user("admin").slash(
        "poll create",
        title="Pilot review",
        slots=f"{day} 09:00; {day} 15:00",
        initiatives="Humble Lamppost",
    )
    (clicked,) = poll_messages(sandbox, "announcements", 1)
    (other,) = poll_messages(sandbox, lamppost, 1)
    alice = sandbox.user("alice")
    since = len(sandbox.log)
    started = time.perf_counter()
    accepted: list[str] = []
    refused = 0
    for n in range(10):
        label = ("1 · Yes", "1 · No")[n % 2]
        result = await alice.click(clicked["id"], label)
        if TOO_OFTEN in result.text:
            assert result.ephemeral and result.response_type == 4, result.text
            refused += 1
        else:
            accepted.append(label)
    elapsed = time.perf_counter() - started
    assert accepted == ["1 · Yes", "1 · No", "1 · Yes"] and refused == 7
    publisher = cast(PollPublisher, cast(Any, agora.bot.get_cog("Polls")).publisher)
    await publisher.refreshes_done()
    edits = [
        call
        for call in sandbox.log[since:]
        if call.method == "PATCH" and call.route == MESSAGE and call.path.endswith(other["id"])
    ]
    assert 1 <= len(edits) <= 2 + math.ceil(elapsed / REFRESH_INTERVAL)
    # Both messages end on the answer stored: alice's last accepted Yes.
    for message in (
        poll_messages(sandbox, "announcements", 1)[0],
        poll_messages(sandbox, lamppost, 1)[0],
    ):
        assert tallies(message)[0] == "⭐ Time 1 | ✅ 1 · 🤔 0 · ❌ 0"
