"""Scenario files end to end: the real sandbox, a bare discord.py bot, JSON lines out."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from discord_sandbox import Sandbox
from discord_sandbox.scenario import ScenarioError, parse_scenario, run_scenario
from tests.sandbox.test_scenario_bare_bot import RunningBareBot, start_bare_bot

EXAMPLE = Path(__file__).parent / "scenarios" / "bare_bot.jsonl"
REQUIRED_KEYS = {"step", "kind", "channel", "content", "embeds", "components", "ephemeral"}


async def _run(sandbox: Sandbox, script: Path) -> tuple[int, list[dict[str, Any]], RunningBareBot]:
    first = await start_bare_bot(sandbox)
    out = io.StringIO()

    async def factory() -> RunningBareBot:
        return await start_bare_bot(sandbox)

    try:
        code = await run_scenario(script, sandbox, factory, out=out, running=first)
    finally:
        await first.stop()
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    for line in lines:
        assert REQUIRED_KEYS <= line.keys(), line
    return code, lines, first


def _by_step(lines: list[dict[str, Any]], step: int) -> list[dict[str, Any]]:
    return [line for line in lines if line["step"] == step]


async def test_example_scenario(pointed_at: Sandbox) -> None:
    code, lines, _ = await _run(pointed_at, EXAMPLE)
    assert code == 0, lines
    first = {line["kind"]: line for line in _by_step(lines, 0)}
    assert first["dm"]["channel"] == "@alice"  # alice joined on first mention
    assert first["autocomplete"]["choices"] == ["Humble Lamppost", "Lamp Library"]
    (info,) = _by_step(lines, 1)
    assert info["kind"] == "response" and info["channel"] == "general"
    assert info["embeds"][0]["title"] == "Humble Lamppost"
    labels = [c["label"] for c in info["components"][0]["components"]]
    assert labels == ["Going", "Maybe"]
    going = {line["kind"]: line for line in _by_step(lines, 2)}
    assert going["role"]["role"] == "going"
    assert going["member_roles"]["user"] == "alice"
    assert going["response"]["ephemeral"] is True
    maybe = {line["kind"]: line for line in _by_step(lines, 3)}
    assert maybe["update"]["content"] == "Someone is unsure."
    assert maybe["dm"]["content"] == "Welcome, bob!"  # bob joined on first mention
    (pong,) = _by_step(lines, 4)
    assert (pong["kind"], pong["channel"], pong["content"]) == ("message", "general", "pong")
    (noted,) = _by_step(lines, 5)
    assert noted["channel"] == "Pilot results"
    assert _by_step(lines, 6)[0]["channel"] == "Pilot results"
    (modal,) = _by_step(lines, 7)
    assert modal["kind"] == "modal" and modal["fields"] == ["Title"]
    submitted = [(line["kind"], line["channel"], line["content"]) for line in _by_step(lines, 8)]
    assert ("response", "general", "Proposed Bike Racks.") in submitted
    assert ("message", "announcements", "New proposal: Bike Racks") in submitted
    slow = [line["kind"] for line in _by_step(lines, 9)]
    assert (slow[0] == "response" and "followup" in slow) or "edit" in slow
    (welcome,) = _by_step(lines, 10)
    assert welcome["kind"] == "dm" and welcome["channel"] == "@carol"
    restart = [line["kind"] for line in _by_step(lines, 13)]
    assert "commands" in restart
    (after,) = _by_step(lines, 14)
    assert after["embeds"][0]["title"] == "Green Roofs"


def _script(tmp_path: Path, *steps: str) -> Path:
    path = tmp_path / "scenario.jsonl"
    path.write_text("\n".join(steps) + "\n", encoding="utf-8")
    return path


async def test_unknown_command_fails_the_step(
    pointed_at: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _script(
        tmp_path,
        '{"user": "alice", "say": "ping", "channel": "general"}',
        '{"user": "alice", "slash": "no-such-command"}',
        '{"user": "alice", "say": "ping", "channel": "general"}',
    )
    code, lines, _ = await _run(pointed_at, script)
    assert code == 1
    assert lines[-1]["kind"] == "error" and lines[-1]["step"] == 1
    assert "no-such-command" in lines[-1]["content"]
    assert not _by_step(lines, 2)  # the run stops at the failed step
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("scenario: step 1 (line 2) failed:")


async def test_unanswered_interaction_fails(pointed_at: Sandbox, tmp_path: Path) -> None:
    pointed_at.interactions.response_deadline = 0.3
    code, lines, _ = await _run(pointed_at, _script(tmp_path, '{"user": "bob", "slash": "silent"}'))
    assert code == 1
    assert any(line["kind"] == "error" and "silent" in line["content"] for line in lines)


async def test_refused_request_fails(pointed_at: Sandbox, tmp_path: Path) -> None:
    code, lines, _ = await _run(pointed_at, _script(tmp_path, '{"user": "bob", "slash": "shout"}'))
    assert code == 1
    refused = [line for line in lines if line["kind"] == "error" and line.get("status") == 400]
    assert refused and refused[0]["error"]["code"] == 50035


async def test_malformed_json_is_refused_before_running(
    pointed_at: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = _script(tmp_path, '{"user": "alice", "say": "ping", "channel": "general"}', "{oops")
    code, lines, _ = await _run(pointed_at, script)
    assert code == 2
    assert [line["kind"] for line in lines] == ["error"]
    assert "line 2" in lines[0]["content"]
    assert not pointed_at.log.find("POST", "/channels/{channel_id}/messages")
    assert "malformed JSON" in capsys.readouterr().err


def test_parse_scenario_shapes() -> None:
    steps = parse_scenario(
        '# comment\n\n{"user": "a", "thread": "T", "channel": "c", "say": "x"}\n{"wait": 1}\n'
    )
    assert [(step.index, step.line, step.kind) for step in steps] == [
        (0, 3, "thread"),
        (1, 4, "wait"),
    ]
    for bad in (
        '{"user": "a"}',
        '{"slash": "x"}',
        '{"user": "a", "say": "x"}',
        "[1]",
        '{"wait": "x"}',
    ):
        with pytest.raises(ScenarioError):
            parse_scenario(bad)


# ---- steps by hand, refusals, repeats, files --------------------------------------------
SCENARIOS = Path(__file__).parent / "scenarios"


async def test_roles_channels_and_interest_by_hand(pointed_at: Sandbox) -> None:
    from datetime import UTC, datetime, timedelta

    start = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    await pointed_at.create_event("Lamppost walk", start)
    code, lines, _ = await _run(pointed_at, SCENARIOS / "by_hand.jsonl")
    assert code == 0, lines
    said = {step: [line["content"] for line in _by_step(lines, step)] for step in range(8)}
    assert said[0] == ["Role Moderators created (kick: True)."]
    role = pointed_at.role("Moderators")
    assert role.permissions == (1 << 1) | (1 << 2)
    assert said[1] == ["Channel pilot-notes created (text)."]
    assert pointed_at.channel("pilot-notes").type == 0
    assert "bob got Moderators." in said[2]
    assert "bob lost Moderators." in said[3]
    assert role.id not in pointed_at.member("bob").roles
    assert said[4] == ["bob is interested in Lamppost walk."]
    assert said[5] == ["bob is no longer interested in Lamppost walk."]
    # bob has no Manage Roles / Manage Channels: the client refuses, the run goes on.
    for step in (6, 7):
        (refused,) = _by_step(lines, step)
        assert refused["kind"] == "refused" and refused["by"] == "client", refused
    assert "Manage Roles" in _by_step(lines, 6)[0]["content"]
    with pytest.raises(LookupError):
        pointed_at.channel("mine")


async def test_expected_refusals_let_the_run_go_on(pointed_at: Sandbox) -> None:
    code, lines, _ = await _run(pointed_at, SCENARIOS / "refusals.jsonl")
    assert code == 0, lines
    # repeat 3: two counted in public, the third refused; the step passes.
    tally = _by_step(lines, 0)
    assert [line["content"] for line in tally if line["kind"] == "response"] == [
        "Counted 1.",
        "Counted 2.",
        "You have counted enough: try again tomorrow.",
    ]
    refused = tally[-1]
    assert (refused["kind"], refused["by"], refused["refused"], refused["repeat"]) == (
        "refused",
        "bot",
        1,
        3,
    )
    # A file option: a .txt refused, a .toml read (its text reached the bot).
    assert _by_step(lines, 1)[-1]["kind"] == "refused"
    (read,) = _by_step(lines, 2)
    assert read["content"] == "Read a.toml: format_version = 1"
    # A command hidden by default_member_permissions: refused by the client.
    (hidden,) = _by_step(lines, 3)
    assert hidden["by"] == "client" and "purge" in hidden["content"]
    counted = [line["content"] for line in _by_step(lines, 4) if line["kind"] == "response"]
    assert counted == ["Counted 1.", "Counted 2."]  # bob's refusals did not touch alice


async def test_a_refusal_that_does_not_come_fails_the_step(
    pointed_at: Sandbox, capsys: pytest.CaptureFixture[str]
) -> None:
    code, lines, _ = await _run(pointed_at, SCENARIOS / "not_refused.jsonl")
    assert code == 1
    # The click answered ephemerally but also gave a role: not a refusal.
    assert lines[-1]["kind"] == "error" and lines[-1]["step"] == 1
    assert "not a refusal" in lines[-1]["content"] or "changed something" in lines[-1]["content"]
    assert not _by_step(lines, 2)
    assert "scenario: step 1 (line 3) failed: expected a refusal" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("step", "reason"),
    [
        # An ephemeral success reads like a refusal; "says" tells them apart.
        (
            '{"user": "bob", "slash": "upload", "options": {"file": {"name": "a.toml",'
            ' "text": "x = 1"}}, "expect": "refused", "says": "not a .toml"}',
            'expected a refusal saying "not a .toml"',
        ),
        # A public answer is never a refusal; nor is a repeat where every try succeeds.
        ('{"user": "bob", "slash": "tally", "repeat": 2, "expect": "refused"}', "not refused"),
        # By hand, allowed: no refusal.
        ('{"user": "admin", "create_role": "Crew", "expect": "refused"}', "not refused"),
    ],
)
async def test_steps_that_are_not_refused(
    pointed_at: Sandbox, tmp_path: Path, step: str, reason: str
) -> None:
    code, lines, _ = await _run(pointed_at, _script(tmp_path, step))
    assert code == 1
    assert lines[-1]["kind"] == "error" and reason in lines[-1]["content"], lines[-1]


async def test_a_scenario_mistake_is_not_a_refusal(pointed_at: Sandbox, tmp_path: Path) -> None:
    """An unknown command or button fails the step even where a refusal is expected."""
    script = _script(tmp_path, '{"user": "bob", "slash": "no-such", "expect": "refused"}')
    code, lines, _ = await _run(pointed_at, script)
    assert code == 1 and "no-such" in lines[-1]["content"]


def test_parse_new_step_shapes() -> None:
    steps = parse_scenario(
        '{"user": "a", "create_role": "R", "permissions": ["kick_members", "moderate_members"]}\n'
        '{"user": "a", "create_channel": "c", "type": "forum"}\n'
        '{"user": "a", "take_role": "R", "to": "b"}\n'
        '{"user": "a", "slash": "x", "repeat": 5, "expect": "refused", "says": "no"}\n'
        '{"user": "a", "slash": "x", "options": {"file": {"name": "a.json", "text": "{}"}}}\n'
    )
    assert [step.kind for step in steps] == [
        "create_role",
        "create_channel",
        "take_role",
        "slash",
        "slash",
    ]
    for bad in (
        '{"user": "a", "create_role": "R", "permissions": ["fly"]}',
        '{"user": "a", "create_channel": "c", "type": "hologram"}',
        '{"user": "a", "give_role": "R"}',
        '{"user": "a", "slash": "x", "repeat": 0}',
        '{"user": "a", "slash": "x", "repeat": true}',
        '{"wait": 1, "repeat": 2}',
        '{"user": "a", "slash": "x", "expect": "success"}',
        '{"user": "a", "slash": "x", "says": "no"}',
        '{"user": "a", "slash": "x", "options": {"file": {"name": "a.json"}}}',
        '{"interested": "E"}',
    ):
        with pytest.raises(ScenarioError):
            parse_scenario(bad)
