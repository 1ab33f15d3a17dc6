"""``run_bot.py --sandbox`` turns the public pages on, publishes the seed guild with
/admin web on, and prints the pages' address (on stderr with --script: stdout is JSON)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.cli.test_run_bot import run_bot


def test_the_sandbox_prints_the_public_pages_address(tmp_path: Path) -> None:
    script = tmp_path / "look.jsonl"
    script.write_text(
        '{"user": "alice", "slash": "calendar ics", "options": {}}\n', encoding="utf-8"
    )
    result = run_bot("--sandbox", "--script", str(script))
    assert result.returncode == 0, result.stderr
    found = re.search(r"Agora's public pages: (http://127\.0\.0\.1:(\d+)/)", result.stderr)
    assert found is not None, result.stderr
    assert int(found.group(2)) > 0
    # Published: the calendar reply carries the subscription link to those pages.
    assert f"webcal://127.0.0.1:{found.group(2)}/calendar.ics" in result.stdout
