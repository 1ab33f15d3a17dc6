"""Time parsing on the autocomplete path: how long reading a typed time takes.

    python bench/timeparse.py [--rounds 300]

``/meeting create``'s start option autocompletes with how the time reads, so every
keystroke runs ``describe_reading`` (``timeparse.parse_time`` in the meeting's zone
plus the text shown). This script times it over a mix of phrases (the common forms
Agora reads itself, the ones it hands to parsedatetime, and refusals), ``--rounds``
times each, and prints p50 / p99 / max per kind and overall. Target: p99 < 1 ms.

It also measures, each in a fresh interpreter, the import and first-call cost of
parsedatetime (Agora's fallback) and, when installed, of dateparser (the
alternative it was measured against), and both libraries' own parse times on the
same phrases.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.cogs.meetings.time_autocomplete import describe_reading

ZONE = "Europe/Brussels"
NOW = datetime(2027, 3, 26, 12, 0, tzinfo=ZoneInfo(ZONE))

PHRASES = {
    "common": [
        "20 June 2027 9am",
        "June 20th 2027 at 9",
        "20.06.2027 09:00",
        "2027-06-20 09:00",
        "20/06/2027 9:00",
        "friday 10am",
        "next tuesday 3pm",
        "tomorrow at 3",
        "noon tomorrow",
        "in 2 hours",
        "in 90 minutes",
        "03/04/2027 10:00",
        "2027-06-20T09:00+02:00",
        "5pm",
    ],
    "library": ["2 weeks from tomorrow", "tomorrow evening", "3 days from now"],
    "refused": ["31 February 2027 10.00", "next blursday", "sunday 2:30", "20 June 2027 at"],
}

_COLD = """
import sys, time
from datetime import datetime
start = time.perf_counter()
import {module}
imported = time.perf_counter()
{call}
called = time.perf_counter()
print((imported - start) * 1000, (called - imported) * 1000)
"""
_CALLS = {
    "parsedatetime": (
        "parsedatetime.Calendar(version=parsedatetime.VERSION_CONTEXT_STYLE)"
        ".nlp('friday 10am', sourceTime=datetime(2027, 3, 26, 12))"
    ),
    "dateparser": (
        "dateparser.parse('friday 10am', languages=['en'], "
        "settings={'RELATIVE_BASE': datetime(2027, 3, 26, 12)})"
    ),
    "bot.services.common.timeparse": (
        "from zoneinfo import ZoneInfo\n"
        "bot.services.common.timeparse.parse_time('friday 10am', 'Europe/Brussels', "
        "datetime(2027, 3, 26, 12, tzinfo=ZoneInfo('UTC')))"
    ),
}


def cold_start(module: str) -> dict[str, float] | None:
    """Import and first-call milliseconds of ``module`` in a fresh interpreter (best of 3)."""
    runs = []
    for _ in range(3):
        done = subprocess.run(
            [sys.executable, "-c", _COLD.format(module=module, call=_CALLS[module])],
            capture_output=True,
            text=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        if done.returncode != 0:
            return None
        imported, called = (float(x) for x in done.stdout.split())
        runs.append((imported, called))
    imported, called = min(runs)
    return {"import_ms": round(imported, 2), "first_call_ms": round(called, 2)}


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered) * 1000, 4),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 4),
        "max_ms": round(ordered[-1] * 1000, 4),
    }


def time_each(call: object, phrases: list[str], rounds: int, cpu: bool = False) -> list[float]:
    """Seconds per call: wall time, or with ``cpu`` this thread's CPU time (which
    leaves out the time the process was off the CPU, e.g. on a loaded machine)."""
    assert callable(call)
    clock = time.thread_time if cpu else time.perf_counter
    samples = []
    for _ in range(rounds):
        for text in phrases:
            start = clock()
            call(text)
            samples.append(clock() - start)
    return samples


def steal_and_idle() -> tuple[int, int]:
    """Cumulative steal and total jiffies from /proc/stat (0, 0 where there is none)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return (fields[7] if len(fields) > 7 else 0), sum(fields)


def library_times(rounds: int) -> dict[str, dict[str, float]]:
    """Each library's own parse time on every phrase (no Agora code)."""
    phrases = [p for group in PHRASES.values() for p in group]
    wall = NOW.replace(tzinfo=None)
    found: dict[str, dict[str, float]] = {}
    import parsedatetime

    calendar = parsedatetime.Calendar(version=parsedatetime.VERSION_CONTEXT_STYLE)
    calendar.nlp("friday 10am", sourceTime=wall)
    found["parsedatetime"] = summary(
        time_each(lambda t: calendar.nlp(t, sourceTime=wall), phrases, rounds)
    )
    try:
        import dateparser
    except ImportError:
        return found
    settings = {"RELATIVE_BASE": wall, "PREFER_DATES_FROM": "future", "DATE_ORDER": "DMY"}
    dateparser.parse("friday 10am", languages=["en"], settings=settings)
    found["dateparser"] = summary(
        time_each(
            lambda t: dateparser.parse(t, languages=["en"], settings=settings),
            phrases,
            max(1, rounds // 10),
        )
    )
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()

    describe_reading("friday 10am", ZONE, NOW)  # warm: zone cache, library calendar
    gc.collect()
    gc.freeze()  # the bot freezes its start-up heap too; a full collection is not parsing
    steal_before, total_before = steal_and_idle()
    results: dict[str, dict[str, dict[str, float]]] = {"wall": {}, "cpu": {}}
    for measure in ("wall", "cpu"):
        everything: list[float] = []
        for kind, phrases in PHRASES.items():
            samples = time_each(
                lambda t: describe_reading(t, ZONE, NOW), phrases, args.rounds, measure == "cpu"
            )
            everything += samples
            results[measure][kind] = summary(samples)
        results[measure]["all"] = summary(everything)
    steal_after, total_after = steal_and_idle()
    steal = (steal_after - steal_before) / max(1, total_after - total_before)

    print(f"autocomplete path (describe_reading), {args.rounds} rounds per phrase:")
    print(f"{'phrases':10} {'n':>6} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}  (wall | CPU)")
    for kind in (*PHRASES, "all"):
        wall, cpu = results["wall"][kind], results["cpu"][kind]
        print(
            f"{kind:10} {wall['n']:>6} {wall['p50_ms']:>9.4f} {wall['p99_ms']:>9.4f} "
            f"{wall['max_ms']:>9.4f}  | {cpu['p50_ms']:.4f} {cpu['p99_ms']:.4f} "
            f"{cpu['max_ms']:.4f}"
        )
    print(f"load {os.getloadavg()[0]:.2f}, steal {steal:.1%} of the CPU during the run")
    libraries = library_times(args.rounds)
    print("\nlibraries alone, same phrases (dateparser: a tenth of the rounds):")
    for name, row in libraries.items():
        print(f"{name:14} p50 {row['p50_ms']:.4f} ms  p99 {row['p99_ms']:.4f} ms")
    cold = {m: cold_start(m) for m in _CALLS}
    print("\nfresh interpreter, best of 3:")
    for name, row in cold.items():
        if row is None:
            print(f"{name:24} not installed")
        else:
            print(
                f"{name:24} import {row['import_ms']:.1f} ms, "
                f"first call {row['first_call_ms']:.1f} ms"
            )
    print(
        json.dumps(
            {
                "autocomplete": results,
                "libraries": libraries,
                "cold": cold,
                "target_p99_ms": 1.0,
                "python": platform.python_version(),
                "load": os.getloadavg()[0],
                "steal": round(steal, 4),
            },
            sort_keys=True,
        )
    )


if __name__ == "__main__":
    main()
