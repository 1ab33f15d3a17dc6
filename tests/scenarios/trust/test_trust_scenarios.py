"""The adversarial reproductions in tests/scenarios/trust/, each a plain scenario file, run
against Agora in the sandbox as ``run_bot.py --sandbox --script`` runs them (the seed guild
after ``/admin setup``), with the fixed behaviour expected."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bot.config import LimitsConfig
from bot.runtime import RunningAgora
from bot.services.common.rate_limit import LIMIT_KINDS
from discord_sandbox import Sandbox
from discord_sandbox.permissions import Permission
from discord_sandbox.scenario import run_scenario
from tests.conftest import AgoraStarter

HERE = Path(__file__).parent


@pytest.fixture
def agora_config_overrides() -> dict[str, dict[str, object]]:
    """Agora's default config, limits on writes included, as ``run_bot.py --sandbox`` has it
    (tests/conftest.py turns the limits off for feature tests)."""
    defaults = LimitsConfig()
    limits: dict[str, object] = {}
    for kind in LIMIT_KINDS:
        setting = getattr(defaults, kind)
        limits[kind] = "off" if setting is None else f"{setting[0]} per {setting[1]}s"
    return {"limits": limits}


async def _run(
    sandbox: Sandbox, running: RunningAgora, start: AgoraStarter, name: str
) -> tuple[int, list[dict[str, Any]]]:
    out = io.StringIO()
    code = await run_scenario(HERE / name, sandbox, start, out=out, running=running)
    return code, [json.loads(line) for line in out.getvalue().splitlines()]


def _step(lines: list[dict[str, Any]], step: int) -> list[dict[str, Any]]:
    return [line for line in lines if line["step"] == step]


async def test_a_role_that_can_kick_is_not_adopted_nor_handed_out(
    sandbox: Sandbox, seeded: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    code, lines = await _run(sandbox, seeded, start_agora_fn, "role_adoption.jsonl")
    assert code == 0, lines
    setup = json.dumps(_step(lines, 2), ensure_ascii=False)  # the report, in an embed
    assert "role Moderators not adopted" in setup, setup
    given = [line for line in _step(lines, 3) if line["kind"] == "member_roles"]
    assert given and all(line.get("added") != "Moderators" for line in given), given
    bob = sandbox.member("bob")
    powers = 0
    for role_id in bob.roles:
        powers |= sandbox.guild.roles[role_id].permissions
    assert not powers & (Permission.KICK_MEMBERS | Permission.BAN_MEMBERS)
    assert sandbox.role("Moderators").id not in bob.roles


async def test_rsvp_spam_is_refused_and_announcements_stay_bounded(
    sandbox: Sandbox, seeded: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    code, lines = await _run(sandbox, seeded, start_agora_fn, "rsvp_spam.jsonl")
    assert code == 0, lines
    spam = _step(lines, 2)
    (refused,) = [line for line in spam if line["kind"] == "refused"]
    assert refused["repeat"] == 50 and refused["refused"] >= 25, refused
    assert "too often" in refused["content"]
    # The announcements (one per channel) were edited a bounded number of times.
    edits = Counter(line["channel"] for line in spam + _step(lines, 3) if line["kind"] == "edit")
    assert edits and max(edits.values()) <= 10, edits
    info = [line for line in _step(lines, 4) if line["kind"] == "response"][-1]
    answers = next(f for f in info["embeds"][0]["fields"] if f["name"] == "Answers")
    assert "Going: 1" in answers["value"]


async def test_a_json_import_with_a_repeated_key_changes_nothing(
    sandbox: Sandbox, seeded: RunningAgora, start_agora_fn: AgoraStarter
) -> None:
    code, lines = await _run(sandbox, seeded, start_agora_fn, "duplicate_key_import.jsonl")
    assert code == 0, lines
    (refused,) = [line for line in _step(lines, 0) if line["kind"] == "refused"]
    assert "twice" in refused["content"]
    info = [line for line in _step(lines, 1) if line["kind"] == "response"][-1]
    assert info["embeds"][0]["title"] == "Humble Lamppost"
    assert "Pwned" not in json.dumps(lines)
