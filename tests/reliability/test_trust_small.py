"""Small trust holes, closed: forged form submissions, someone else's confirmation, secrets
echoed by config errors, tokens in DEBUG logs.

Everything that involves Discord runs through the sandbox with the real client: a forged
submission or click is what a modified client can send (any custom_id, any message id).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cogs.shared.confirmations import NOT_YOURS
from bot.config import Config, ConfigError, parse_config
from bot.launch import configure_logging
from bot.log_redaction import REDACTED, SecretsFilter
from bot.runtime import RunningAgora
from bot.services.meetings.drafts import NOT_YOUR_FORM
from discord_sandbox import InteractionResult, Sandbox
from tests.conftest import AgoraStarter, replace_config
from tests.support.meetings_e2e import create_meeting, meeting_id_of, next_year_day

MANAGE_EVENTS = 1 << 33


async def _draft_rows(agora: RunningAgora) -> list[tuple[int, int]]:
    rows = await agora.bot.store.db.fetch_all("SELECT id, user_id FROM meeting_drafts")
    return [(int(row[0]), int(row[1])) for row in rows]


def _question_unchanged(sandbox: Sandbox, question: InteractionResult, content: str) -> None:
    message = question.message
    assert message is not None
    assert message["content"] == content and message["components"], message


async def _second_organiser(sandbox: Sandbox, name: str) -> None:
    sandbox.user(name)
    role = await sandbox.create_role("Event crew", permissions=MANAGE_EVENTS)
    await sandbox.add_role(name, role)
    await sandbox.drain_gateway()


# --------------------------------------------------------------------------- forms


async def test_a_forged_submission_of_someone_elses_form_is_refused(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    admin = sandbox.user("admin")
    opened = await admin.slash("meeting create", start=f"{next_year_day()} 09:00", end="3h")
    assert opened.modal is not None, opened.text
    custom_id = str(opened.modal["custom_id"])
    drafts = await _draft_rows(agora)
    assert [owner for _, owner in drafts] == [int(admin.id)]

    # Bob (a member) and an organiser who did not open it both submit it, forged.
    for name in ("bob", "carol"):
        if name == "carol":
            await _second_organiser(sandbox, "carol")
        forged = await sandbox.user(name).submit_modal(
            {"Title": "Hijacked", "Description": "not mine"}, custom_id=custom_id
        )
        assert forged.ephemeral and forged.content == NOT_YOUR_FORM, forged.text
        assert await _draft_rows(agora) == drafts  # the draft is untouched
    assert not [m for m in sandbox.messages("announcements") if "Hijacked" in str(m)]

    # The organiser's own form still works, with what the command was given.
    created = await admin.submit_modal({"Title": "Real meeting", "Description": ""})
    assert "Real meeting" in created.text, created.text
    meeting = await agora.bot.store.meetings.get(int(sandbox.guild.id), meeting_id_of(created))
    assert meeting.title == "Real meeting"
    assert await _draft_rows(agora) == []


async def test_a_form_registered_again_after_a_restart_answers_only_its_opener(
    sandbox: Sandbox, agora: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    admin = sandbox.user("admin")
    opened = await admin.slash("meeting create", start=f"{next_year_day()} 09:00", end="3h")
    assert opened.modal is not None
    await agora.stop()
    again = await start_agora_fn()
    forged = await sandbox.user("bob").submit_modal(
        {"Title": "Hijacked"}, custom_id=str(opened.modal["custom_id"])
    )
    assert forged.ephemeral and forged.content == NOT_YOUR_FORM
    assert len(await _draft_rows(again)) == 1
    created = await admin.submit_modal({"Title": "After restart"})
    assert "After restart" in created.text


# --------------------------------------------------------------------------- confirmations


async def test_meeting_cancel_question_answers_only_the_organiser_who_asked(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    created = await create_meeting(
        sandbox, "Lamppost review", start=f"{next_year_day()} 09:00", end="2h"
    )
    meeting_id = meeting_id_of(created)
    await _second_organiser(sandbox, "carol")
    admin, carol = sandbox.user("admin"), sandbox.user("carol")
    question = await admin.slash("meeting cancel", meeting=str(meeting_id))
    asked = question.content or ""
    for clicker, label in ((carol, "Yes, cancel the meeting"), (carol, "No, keep it")):
        refused = await clicker.click(question, label)
        assert refused.ephemeral and refused.content == NOT_YOURS, refused.text
        _question_unchanged(sandbox, question, asked)
    meeting = await agora.bot.store.meetings.get(int(sandbox.guild.id), meeting_id)
    assert not meeting.is_cancelled

    done = await admin.click(question, "Yes, cancel the meeting")
    assert "is cancelled" in (done.content or "")


async def test_privacy_confirmations_answer_only_the_person_who_asked(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    alice, bob = sandbox.user("alice"), sandbox.user("bob")
    await alice.slash("nudges off")  # something naming alice
    asked = await alice.slash("privacy forget")
    text = asked.content or ""
    for label in ("Erase my data", "Cancel"):
        refused = await bob.click(asked, label)
        assert refused.ephemeral and refused.content == NOT_YOURS, refused.text
        _question_unchanged(sandbox, asked, text)

    # An admin's /privacy forget-member: another admin cannot confirm it either.
    second_admin = sandbox.user("dana")
    role = await sandbox.create_role("Co-admins", permissions=1 << 3)  # Administrator
    await sandbox.add_role(second_admin, role)
    await sandbox.drain_gateway()
    question = await sandbox.user("admin").slash("privacy forget-member", member="alice")
    asked_text = question.content or ""
    refused = await second_admin.click(question, "Erase their data")
    assert refused.ephemeral and refused.content == NOT_YOURS, refused.text
    _question_unchanged(sandbox, question, asked_text)
    shown = await alice.slash("privacy show")
    assert "nudges" in str(shown.embed)  # nothing was erased

    done = await alice.click(asked, "Erase my data")
    assert not done.failed and NOT_YOURS not in (done.content or "")


async def test_a_confirmation_without_its_asker_changes_nothing(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    """A button from before confirmations named their asker: run the command again."""
    alice = sandbox.user("alice")
    asked = await alice.slash("privacy forget")
    message = sandbox.state.message_by_id(asked.record.original_message_id or "")
    assert message is not None
    for row in message.components:
        for button in row["components"]:
            button["custom_id"] = re.sub(r":by:\d+$", "", button["custom_id"])
    refused = await alice.click(asked, "Erase my data")
    assert refused.ephemeral and "out of date" in (refused.content or "")


# --------------------------------------------------------------------------- config


@pytest.mark.parametrize(
    "value",
    [
        12345678901234567890,  # a number: type error
        ["MTIz.secret-part.abcdefghijklmnopqrstuvwxyz0"],  # a list
        {"value": "hidden-token-text"},  # an inline table
        True,
    ],
)
def test_a_mistyped_token_is_never_echoed(value: object) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config({"discord": {"token": value}, "digest": {"weekday": "someday"}})
    problems = caught.value.problems
    token_line = next(p for p in problems if p.startswith("[discord] token:"))
    assert "must be a string" in token_line and "<hidden>" in token_line
    rendered = "\n".join(problems)
    for fragment in (repr(value), str(value), "secret-part", "hidden-token-text"):
        assert fragment not in rendered
    # Other keys still show what was wrong with them.
    assert any("'someday'" in p for p in problems)


def test_a_secret_like_key_with_a_bad_value_is_redacted_in_every_line() -> None:
    """An unknown secret-like key names the key only; a checked value is hidden too."""
    with pytest.raises(ConfigError) as caught:
        parse_config({"discord": {"bot_token": "abc.def.ghijkl", "token": 7}})
    rendered = "\n".join(caught.value.problems)
    assert "[discord] bot_token: unknown key" in rendered
    assert "abc.def" not in rendered and ", got 7" not in rendered


# --------------------------------------------------------------------------- logs


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        for handler in handlers:
            if handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(level)


async def test_debug_logs_carry_no_interaction_or_bot_token(
    sandbox: Sandbox,
    agora_config: Config,
    start_agora_fn: AgoraStarter,
    tmp_path: Path,
    restored_logging: None,
) -> None:
    log_file = tmp_path / "agora.log"
    configure_logging(
        replace_config(agora_config, "logging", level="DEBUG", file=str(log_file)),
        to_stderr=False,
    )
    running = await start_agora_fn()
    alice = sandbox.user("alice")
    await alice.slash("initiative info", initiative="Humble Lamppost")
    deferred = await alice.slash("privacy forget")  # a component question
    await alice.click(deferred, "Cancel")
    await running.stop()
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = log_file.read_text(encoding="utf-8")

    tokens = [record.token for record in sandbox.interactions.by_id.values()]
    assert len(tokens) >= 3
    # discord.py did log the routes and payloads that carry them, redacted.
    assert f"/interactions/{next(iter(sandbox.interactions.by_id))}/{REDACTED}" in text
    assert '"token": "<redacted>"' in text or "'token': '<redacted>'" in text
    for token in tokens:
        assert token not in text
    assert sandbox.bot_token not in text


def test_the_filter_redacts_every_form_a_token_takes() -> None:
    secrets_filter = SecretsFilter(["sandbox.literal-bot-token"])
    record = logging.LogRecord(
        "discord.http",
        logging.DEBUG,
        __file__,
        1,
        "%s %s with %s has returned %s",
        (
            "POST",
            "http://x/api/v10/interactions/123/aW50ZXJhY3Rpb246MTIz/callback",
            {"token": "payload-token", "Authorization": "Bot sandbox.literal-bot-token"},
            204,
        ),
        None,
    )
    assert secrets_filter.filter(record)
    message = record.getMessage()
    for secret in ("aW50ZXJhY3Rpb246MTIz", "payload-token", "sandbox.literal-bot-token"):
        assert secret not in message
    assert "/interactions/123/<redacted>/callback" in message
    shaped = secrets_filter.redact(
        "webhook /webhooks/99/abc-DEF_ghi/messages/@original "
        '{"token": "t0k", "id": "1"} Authorization: Bot '
        "MTA1NjQ2NjY2NjY2NjY2NjY2Ng.GaBcDe.abcdefghijklmnopqrstuvwxyz012345"
    )
    assert "abc-DEF_ghi" not in shaped and "t0k" not in shaped and "GaBcDe" not in shaped
    assert '"id": "1"' in shaped
