"""bench/run.py --quick works end to end: both bots start in their own processes, the
load reaches them through the sandbox, and the report has the documented keys. No timing
is asserted (figures on a shared test machine mean nothing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_reports_both_bots() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--rates", "8"],
        capture_output=True,
        text=True,
        timeout=100,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    (row,) = report["rows"]
    for key in (
        "rate",
        "p50_ms",
        "p99_ms",
        "failed",
        "rss_mb",
        "baseline_p50_ms",
        "baseline_p99_ms",
    ):
        assert key in row, key
    assert row["rate"] == 8
    # Every interaction sent was answered by each bot, through the real discord.py clients.
    assert row["sent"] == row["baseline_sent"] == 8
    assert row["failed"] == row["baseline_failed"] == 0
    assert row["rss_mb"] > 0 and row["baseline_rss_mb"] > 0
    assert report["cold_start_s"] is not None and report["cold_start_s"] > 0
    assert set(report["targets_met"]) >= {"rss_under_200_mb", "cold_start_under_3_s"}
