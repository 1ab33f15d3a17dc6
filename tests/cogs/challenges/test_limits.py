"""The challenge and pitch forms are limited when they are sent (the change), like
documents: over the limit the member is told how long to wait, and nothing is stored."""

from __future__ import annotations

import pytest

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox


@pytest.fixture
def agora_config_overrides() -> dict[str, dict[str, object]]:
    return {"limits": {"resource": "2 per 1m"}}


async def test_sending_forms_too_often_is_refused_and_stores_nothing(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    admin = sandbox.user("admin")
    answers = []
    for n in range(3):
        opened = await admin.slash("challenge add", initiative="Humble Lamppost")
        assert opened.modal is not None, opened.text  # opening a form changes nothing
        answers.append(
            await admin.submit_modal({"Title": f"Challenge {n}", "The challenge": "Dark poles."})
        )
    assert all("New challenge" in answer.text for answer in answers[:2])
    assert answers[2].ephemeral
    assert answers[2].text.startswith("You're doing that too often: try again in"), answers[2].text
    row = await agora.bot.store.db.fetch_one("SELECT count(*) FROM challenges")
    assert row is not None and row[0] == 2

    await admin.slash("initiative pitch set", initiative="Humble Lamppost")
    refused = await admin.submit_modal({"Pitch": "Too soon."})
    assert refused.text.startswith("You're doing that too often"), refused.text
    assert await agora.bot.store.db.fetch_one("SELECT body FROM initiative_pitches") is None
