"""The scenario file tests/scenarios/meetings_restart.jsonl through the command line:
``python run_bot.py --sandbox --script`` with two ``{"restart": true}`` steps around a
due reminder. Every target gets the reminder exactly once."""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "tests" / "scenarios" / "meetings_restart.jsonl"
REMINDER = "⏰ **Lamppost pilot review** starts"


async def test_scenario_restart_sends_each_reminder_once() -> None:
    steps = [
        json.loads(line)
        for line in SCENARIO.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert sum(1 for step in steps if step.get("restart")) == 2
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "run_bot.py",
        "--sandbox",
        "--script",
        str(SCENARIO),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    assert process.returncode == 0, err.decode()
    actions = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    reminders = Counter(
        (action["kind"], action["channel"])
        for action in actions
        if REMINDER in (action.get("content") or "")
    )
    assert reminders == {
        ("message", "announcements"): 1,
        ("message", "humble-lamppost"): 1,
        ("dm", "@bob"): 1,
    }
    # The meeting survived both restarts with Bob's answer.
    info = [a for a in actions if a["kind"] == "response" and a["embeds"]][-1]
    answers = next(f for f in info["embeds"][0]["fields"] if f["name"] == "Answers")
    assert "Going: 1" in answers["value"]
