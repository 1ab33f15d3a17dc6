"""bench/challenges.py --quick runs end to end and reports the documented keys. No
timing is asserted (figures on a shared test machine mean nothing); the quality it
prints is the one test_matching.py checks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_quick_run_reports_speed_and_quality() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "challenges.py"), "--quick", "--size", "80"],
        capture_output=True,
        text=True,
        timeout=100,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["speed"]["challenges"] == 80
    assert report["speed"]["best_s"] > 0
    assert report["speed"]["tables"] > 0
    agora = report["quality"]["agora"]
    assert agora["recall"] >= 0.8 and agora["precision"] > 0.85
    assert report["cold_ms"]["bot.services.challenges.matching"] > 0
