"""Reminder scheduler benchmark: re-arming at start and a burst of due reminders.

    python bench/reminders.py [--meetings 10000] [--burst 2000] [--no-docs]

1. 10,000 upcoming meetings with 3 reminders each are stored; Agora "restarts"
   (a fresh Store and scheduler on the same file) and ``start()`` is timed.
2. 2,000 more reminders fall due in the same second; the real APScheduler
   dispatcher fires them through a recording send callback. Every one must
   fire, none twice, with p99 lateness under 1 s.
Prints a table and one JSON line; appends the figures to docs/benchmarks.md
under a "Reminders" heading (replacing an earlier Reminders section).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.services.meetings.reminder_scheduler import DispatchReport, ReminderScheduler
from bot.services.meetings.reminders import ReminderService
from bot.storage.meetings.models import Location, NewReminder, Reminder
from bot.storage.meetings.repository import MeetingFields
from bot.storage.store import Store

GUILD = 1000
OFFSETS = (86400, 3600, 0)
DOCS = Path(__file__).resolve().parents[1] / "docs" / "benchmarks.md"


def _now() -> datetime:
    return datetime.now(UTC)


async def _seed(store: Store, meetings: int, first_start: datetime) -> int:
    """``meetings`` meetings a minute apart from ``first_start``, 3 reminders each."""
    reminders: list[NewReminder] = []
    for index in range(meetings):
        start = first_start + timedelta(minutes=index)
        meeting_id = await store.meetings.insert(
            GUILD,
            MeetingFields(
                title=f"Bench meeting {index}",
                description="",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                timezone="Europe/Brussels",
                location=Location(),
                organiser_id=1,
            ),
            _now(),
        )
        for offset in OFFSETS:
            reminders.append(_reminder(meeting_id, start, offset, f"m:0:{offset}"))
    return await store.reminders.insert_many(reminders, _now())


def _reminder(meeting_id: int, start: datetime, offset: int, slot: str) -> NewReminder:
    return NewReminder(
        guild_id=GUILD,
        meeting_id=meeting_id,
        session_id=None,
        kind="meeting",
        slot=slot,
        offset_seconds=offset,
        occurrence_start=start,
        due_at=start - timedelta(seconds=offset),
        target_kind="meeting",
        target_id=None,
    )


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(meetings: int, burst: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        store = await Store.open(path)
        seed_started = time.perf_counter()
        # Far enough ahead that none of the 30,000 falls due during the run.
        stored = await _seed(store, meetings, _now() + timedelta(days=2))
        seed_seconds = time.perf_counter() - seed_started
        await store.close()

        # Restart: new objects on the same file; time what start() costs.
        store = await Store.open(path)
        service = ReminderService(store, _now, OFFSETS)
        fired: list[tuple[Reminder, float]] = []
        recorded: list[int] = []
        all_recorded = asyncio.Event()

        async def send(reminder: Reminder) -> None:
            fired.append((reminder, time.time()))

        def on_dispatch(report: DispatchReport) -> None:
            recorded.extend(report.sent + report.late_sent)
            if len(recorded) >= burst:
                all_recorded.set()

        scheduler = ReminderScheduler(store, service, send, on_dispatch=on_dispatch)
        started = time.perf_counter()
        await scheduler.start()
        rearm_seconds = time.perf_counter() - started
        live_after_start = await store.reminders.live_count()

        # The burst: ``burst`` reminders all due in the same whole second.
        burst_start = _now() + timedelta(hours=1)
        burst_ids: list[int] = []
        for index in range(burst):
            meeting_id = await store.meetings.insert(
                GUILD,
                MeetingFields(
                    title=f"Burst meeting {index}",
                    description="",
                    starts_at=burst_start,
                    ends_at=burst_start + timedelta(hours=1),
                    timezone="Europe/Brussels",
                    location=Location(),
                    organiser_id=1,
                ),
                _now(),
            )
            burst_ids.append(meeting_id)
        # Due two seconds after they are stored, all in the same whole second.
        due_second = (_now() + timedelta(seconds=2)).replace(microsecond=0)
        burst_rows = [_reminder(meeting_id, due_second, 0, "m:0:0") for meeting_id in burst_ids]
        await store.reminders.insert_many(burst_rows, _now())
        scheduler.wake(due_second)
        await asyncio.wait_for(all_recorded.wait(), timeout=60)
        await scheduler.stop()
        lateness = [at - reminder.due_at.timestamp() for reminder, at in fired]
        ids = [reminder.id for reminder, _ in fired]
        states = await store.reminders.state_counts()
        await store.close()

    return {
        "meetings": meetings,
        "reminders_stored": stored,
        "seed_seconds": round(seed_seconds, 2),
        "rearm_seconds": round(rearm_seconds, 4),
        "live_after_start": live_after_start,
        "burst": burst,
        "burst_fired": len(fired),
        "burst_doubled": len(ids) - len(set(ids)),
        "lateness_p50_s": round(statistics.median(lateness), 3),
        "lateness_p99_s": round(_percentile(lateness, 0.99), 3),
        "lateness_max_s": round(max(lateness), 3),
        "states": states,
        "python": platform.python_version(),
    }


def _table(result: dict[str, object]) -> str:
    rows = [
        ("meetings stored", result["meetings"]),
        ("reminders stored", result["reminders_stored"]),
        ("re-arm at start (s)", result["rearm_seconds"]),
        ("live reminders after start", result["live_after_start"]),
        ("burst due in one second", result["burst"]),
        ("burst fired", result["burst_fired"]),
        ("burst doubled", result["burst_doubled"]),
        ("lateness p50 (s)", result["lateness_p50_s"]),
        ("lateness p99 (s)", result["lateness_p99_s"]),
        ("lateness max (s)", result["lateness_max_s"]),
    ]
    lines = ["| measure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    return "\n".join(lines)


def _write_docs(table: str, result: dict[str, object]) -> None:
    """Replace (or add) the "## Reminders" section, leaving other headings alone."""
    section = (
        "## Reminders\n\n"
        "Command: `python bench/reminders.py` (recording send callback, real APScheduler "
        f"dispatcher, SQLite file in a temp dir; run {datetime.now(UTC):%Y-%m-%d}).\n\n"
        f"{table}\n\n"
        "Targets: re-arm under 3 s, every burst reminder fired, none doubled, "
        "p99 lateness under 1 s.\n\n"
        f"```json\n{json.dumps(result, sort_keys=True)}\n```\n"
    )
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    start = text.find("## Reminders\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1 :] if end != -1 else "")
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--meetings", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=2_000)
    parser.add_argument("--no-docs", action="store_true", help="do not update docs/benchmarks.md")
    args = parser.parse_args()
    result = asyncio.run(run(args.meetings, args.burst))
    table = _table(result)
    print(table)
    print(json.dumps(result, sort_keys=True))
    if not args.no_docs:
        _write_docs(table, result)
    ok = (
        float(str(result["rearm_seconds"])) < 3
        and result["burst_fired"] == args.burst
        and result["burst_doubled"] == 0
        and float(str(result["lateness_p99_s"])) < 1
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
