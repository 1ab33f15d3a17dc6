"""Agora's public web pages under load, beside Discord interactions in the same process.

    python bench/web.py            # 10k initiatives, 100k memberships, 10k meetings;
                                   # 200 interactions/s and 200 requests/s per page
    python bench/web.py --quick    # smoke run: tiny database, low rates, no docs

Agora runs in its own process (as bench/run.py runs it) against a sandbox in this process,
with ``[web] enabled`` on a free loopback port and the benchmark guild published with
``/admin web on``. Three pages are requested open-loop at a fixed rate each, over
keep-alive connections: the directory (``/``), an initiative's page (a different
initiative each time) and the community's calendar feed (``/calendar.ics``, built once
and answered again until a meeting changes). A request's latency runs from the moment it
was due to the end of its body, so falling behind counts.

Interactions are sent as in bench/run.py (``/initiative info``, its autocomplete,
``/meeting list`` and a list's Next button), timed from creation to the bot's callback.
Rounds alternate: interactions alone, then interactions with the web load, repeated, so
both see the same machine; the interaction p99 with web load is compared with the p99
without (target: within 1.5x) and each page's p99 with 25 ms. Unless ``--no-docs``,
rewrites the "Web pages" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from bench import _procstat  # noqa: E402
from bench._load import LoadGenerator, percentile  # noqa: E402
from bench._sandbox import (  # noqa: E402
    add_members_of_record,
    add_users,
    agora_sandbox,
    build_pools,
    create_guild_with_id,
)
from bench.run import MIX, _fresh_copy, _next_button, _read_ready, _wait_idle  # noqa: E402
from bench.seed_large import PLACEHOLDER_GUILD, Sizes, cached_database  # noqa: E402

DOCS = ROOT / "docs" / "benchmarks.md"
SECTION = "## Web pages"
PAGE_P99_MS = 25.0
RATIO = 1.5


# ---- the Agora process ----------------------------------------------------------------------


async def child(args: argparse.Namespace) -> None:
    """Agora with its web pages, against the parent's sandbox; prints its ready line."""
    from bench._bot_proc import _stdin_closed
    from bot.config import parse_config
    from bot.launch import configure_logging, sandbox_config
    from bot.runtime import start_agora

    raw: dict[str, dict[str, object]] = {
        "database": {"path": args.db},
        "logging": {"level": "WARNING"},
        "web": {"enabled": True, "host": "127.0.0.1", "port": 0},
    }
    config = sandbox_config(
        parse_config(raw),
        api_base=args.api_base,
        gateway_url=args.gateway,
        token=args.token,
        guild_id=args.guild_id,
    )
    configure_logging(config)
    running = await start_agora(config, ready_timeout=180)
    assert running.web is not None
    print(json.dumps({"ready": True, "web": running.web.url}), flush=True)
    try:
        await _stdin_closed()
    finally:
        # How many pages were rendered rather than answered from bytes kept, and how
        # many write transactions (start and end) Agora made meanwhile.
        stats = {"renders": running.web.pages.renders, "writes": running.bot.store.db.writes}
        print(json.dumps(stats), flush=True)
        await running.stop()


# ---- web load ---------------------------------------------------------------------------------
#
# The pages are requested from a process of their own, over plain keep-alive HTTP/1.1 on
# asyncio streams (bodies read, not decompressed): the sandbox and the interaction load
# keep this process, and the client's own cost stays out of both measurements.


class Connections:
    """A pool of keep-alive connections to one host."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self.idle: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self.size = size
        self.opened = 0

    async def get(self, path: str) -> int:
        if self.idle.empty() and self.opened < self.size:
            self.opened += 1
            pair = await asyncio.open_connection(self.host, self.port)
        else:
            pair = await self.idle.get()
        reader, writer = pair
        writer.write(
            f"GET /{path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Accept-Encoding: gzip\r\n\r\n".encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        await reader.readexactly(length)
        self.idle.put_nowait(pair)
        return status


async def web_client(args: argparse.Namespace) -> None:
    """``--web-client``: each page at the rate for the seconds; prints the latencies."""
    host, port = args.base.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    pool = Connections(host, int(port), 96)
    slugs = args.slug_list
    paths: dict[str, Any] = {
        "directory": "",
        # Each round goes on where the last stopped: every initiative page asked is one
        # not asked before (10,000 of them), so none is answered from a kept page.
        "initiative": itertools.islice(
            itertools.cycle(f"initiatives/{slug}" for slug in slugs), args.offset, None
        ),
        "calendar feed": "calendar.ics",
    }
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)  # "go"
    result = await web_load(pool, paths, args.web_rate, args.seconds)
    print(json.dumps(result.__dict__), flush=True)


class WebClientProcess:
    """The page load in its own process: started (imports done), then let go at once with
    the interaction load."""

    def __init__(
        self, base: str, slugs: Path, rate: float, seconds: float, offset: int = 0
    ) -> None:
        self.command = [
            sys.executable, str(HERE), "--web-client", "--base", base, "--slugs", str(slugs),
            "--web-rate", str(rate), "--seconds", str(seconds), "--offset", str(offset),
        ]  # fmt: skip
        self.proc: asyncio.subprocess.Process | None = None

    async def ready(self) -> None:
        self.proc = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        assert self.proc.stdout is not None
        assert (await self.proc.stdout.readline()).strip() == b"ready"

    async def run(self) -> WebResult:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(b"go\n")
        await self.proc.stdin.drain()
        out, _ = await self.proc.communicate()
        data = json.loads(out.decode().strip().splitlines()[-1])
        return WebResult(data["latencies_ms"], data["errors"], data["behind_ms_max"])


@dataclass
class WebResult:
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    behind_ms_max: float = 0.0


async def web_load(
    pool: Connections, paths: dict[str, Any], rate: float, seconds: float
) -> WebResult:
    """Each page at ``rate`` requests/s for ``seconds``, open loop."""
    result = WebResult({name: [] for name in paths}, {name: 0 for name in paths})
    tasks: list[asyncio.Task[None]] = []

    async def one(name: str, path: str, due: float) -> None:
        try:
            ok = await pool.get(path) == 200
        except (OSError, asyncio.IncompleteReadError, ValueError):
            ok = False
        if ok:
            result.latencies_ms[name].append((time.perf_counter() - due) * 1000)
        else:
            result.errors[name] += 1

    start = time.perf_counter()
    interval = 1.0 / rate
    count = int(rate * seconds)
    for index in range(count):
        due = start + index * interval
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        else:
            result.behind_ms_max = max(result.behind_ms_max, -delay * 1000)
        for name, source in paths.items():
            path = source if isinstance(source, str) else next(source)
            tasks.append(asyncio.create_task(one(name, path, due)))
    await asyncio.gather(*tasks)
    return result


def _summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "p50_ms": None, "p99_ms": None, "max_ms": None}
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 0.50), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "max_ms": round(max(values), 2),
    }


# ---- one run -------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    stats: dict[str, Any] = {}  # Agora's own counts, read as it stops
    with tempfile.TemporaryDirectory(prefix="agora-bench-web-") as scratch:
        workdir = Path(scratch)
        generated, cached = cached_database(args.sizes, workdir / "probe.db")
        (workdir / "probe.db").unlink()
        print(f"database {args.sizes}: {'cached' if cached else 'generated'}", file=sys.stderr)
        sb = agora_sandbox(validate=False)
        await sb.start()
        proc: asyncio.subprocess.Process | None = None
        try:
            guild = create_guild_with_id(sb, PLACEHOLDER_GUILD)
            db = workdir / "agora.db"
            await asyncio.to_thread(_fresh_copy, args.sizes, db)
            with sqlite3.connect(db) as conn:
                slugs = [row[0] for row in conn.execute("SELECT slug FROM initiatives")]
            add_members_of_record(sb, guild, db)
            users = add_users(sb, args.users)
            command = [
                sys.executable, str(HERE), "--child",
                "--api-base", sb.api_base, "--gateway", sb.gateway_url, "--token", sb.bot_token,
                "--guild-id", str(PLACEHOLDER_GUILD), "--db", str(db),
            ]  # fmt: skip
            with (workdir / "agora.log").open("wb") as log:
                proc = await asyncio.create_subprocess_exec(
                    *command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                    stderr=log, cwd=str(workdir),
                )  # fmt: skip
            ready = await _read_ready(proc, within=240)
            base = str(ready["web"])
            published = await sb.user("admin").slash("admin web on")
            assert "public" in published.text, published.text
            await _wait_idle(proc.pid)

            listing = await sb.user("admin").slash("initiative list")
            assert listing.message is not None
            pools = build_pools(
                sb,
                initiative_names=generated.initiative_names,
                cluster_names=generated.cluster_names,
                list_message_id=str(listing.message["id"]),
                next_custom_id=_next_button(listing.message),
            )
            load = LoadGenerator(sb, pools, dict(MIX), users)
            slugs_file = workdir / "slugs.txt"
            slugs_file.write_text("\n".join(slugs), encoding="utf-8")
            paths = ("directory", "initiative", "calendar feed")
            async with aiohttp.ClientSession() as http:
                # Warm-up: the first feed is built, pages and connections are made.
                warm = WebClientProcess(base, slugs_file, 20, 2.0)
                await warm.ready()
                await warm.run()
                await load.step(min(100, args.rate), args.warmup)
                await _wait_idle(proc.pid)
                feed_bytes = len(await (await http.get(base + "calendar.ics")).read())
                directory_bytes = len(await (await http.get(base)).read())

                alone: list[list[float]] = []
                beside: list[list[float]] = []
                pages: dict[str, list[float]] = {name: [] for name in paths}
                errors: dict[str, int] = {name: 0 for name in paths}
                failed = {"alone": 0, "with web": 0}
                cpu_rounds: dict[str, list[float]] = {"alone": [], "with web": []}
                for round_number in range(args.rounds):
                    cpu_alone = _procstat.cpu_seconds(proc.pid)
                    solo = await load.step(args.rate, args.seconds)
                    cpu_alone = _procstat.cpu_seconds(proc.pid) - cpu_alone
                    cpu_rounds["alone"].append(cpu_alone / args.seconds)
                    alone.append(solo.latencies_ms)
                    failed["alone"] += solo.failed
                    await _wait_idle(proc.pid)
                    client = WebClientProcess(
                        base,
                        slugs_file,
                        args.web_rate,
                        args.seconds,
                        offset=100 + round_number * int(args.web_rate * args.seconds),
                    )
                    await client.ready()
                    cpu_before = _procstat.cpu_seconds(proc.pid)
                    both, web = await asyncio.gather(
                        load.step(args.rate, args.seconds), client.run()
                    )
                    cpu = _procstat.cpu_seconds(proc.pid) - cpu_before
                    cpu_rounds["with web"].append(cpu / args.seconds)
                    beside.append(both.latencies_ms)
                    failed["with web"] += both.failed
                    for name in paths:
                        pages[name] += web.latencies_ms[name]
                        errors[name] += web.errors[name]
                    print(
                        f"round {round_number + 1}: interactions p99 alone"
                        f" {percentile(solo.latencies_ms, 0.99):.1f} ms, with web"
                        f" {percentile(both.latencies_ms, 0.99):.1f} ms; pages p99 "
                        + ", ".join(
                            f"{name} {percentile(v, 0.99):.1f} ms"
                            for name, v in web.latencies_ms.items()
                            if v
                        )
                        + f"; Agora CPU {cpu_alone / args.seconds:.2f} cores alone,"
                        f" {cpu / args.seconds:.2f} with web",
                        file=sys.stderr,
                        flush=True,
                    )
                    await _wait_idle(proc.pid)
            # Per round, then the median of the rounds: noise on a shared machine hits
            # one round, not the comparison.
            p99_alone = statistics.median(percentile(v, 0.99) for v in alone)
            p99_beside = statistics.median(percentile(v, 0.99) for v in beside)
            return {
                "interactions_alone": _summary([x for v in alone for x in v]),
                "interactions_with_web": _summary([x for v in beside for x in v]),
                "interaction_p99_alone_ms": round(p99_alone, 2),
                "interaction_p99_with_web_ms": round(p99_beside, 2),
                "interaction_ratio": round(p99_beside / p99_alone, 2) if p99_alone else None,
                "failed": failed,
                "agora": stats,
                "agora_cores": {
                    label: round(statistics.median(values), 2)
                    for label, values in cpu_rounds.items()
                },
                "pages": {name: _summary(v) for name, v in pages.items()},
                "page_errors": errors,
                "feed_bytes": feed_bytes,
                "directory_bytes": directory_bytes,
                "initiatives": len(slugs),
            }
        finally:
            if proc is not None and proc.returncode is None:
                assert proc.stdin is not None and proc.stdout is not None
                proc.stdin.close()
                try:
                    tail = await asyncio.wait_for(proc.stdout.read(), 20)
                    await asyncio.wait_for(proc.wait(), 20)
                    print(f"Agora: {tail.decode().strip()}", file=sys.stderr)
                    with contextlib.suppress(ValueError, IndexError):
                        stats.update(json.loads(tail.decode().strip().splitlines()[-1]))
                except TimeoutError:
                    proc.kill()
                    await proc.wait()
            await sb.stop()


def verdict(report: dict[str, Any]) -> bool:
    pages_ok = all(
        (page["p99_ms"] or 1e9) < PAGE_P99_MS for page in report["pages"].values()
    ) and not any(report["page_errors"].values())
    ratio = report["interaction_ratio"]
    return pages_ok and ratio is not None and ratio <= RATIO


def markdown(report: dict[str, Any], args: argparse.Namespace) -> str:
    meta = report["meta"]
    lines = [
        SECTION,
        "",
        f"`python bench/web.py` on {meta['date']} ({meta['cpus']} CPUs, Python"
        f" {meta['python']}, load average {meta['loadavg_before']} before,"
        f" {meta['loadavg_after']} after): {meta['sizes']}; {report['initiatives']:,}"
        f" initiatives on the pages ({report['directory_bytes']:,}-byte directory page,"
        f" {report['feed_bytes']:,}-byte calendar feed). {args.rounds} rounds of"
        f" {args.seconds:g} s, alternating: Discord interactions alone at {args.rate}/s, then"
        f" the same with each page requested at {args.web_rate}/s, in the same Agora process.",
        "",
        "| page | requests | p50 | p99 | max | target p99 |",
        "|---|---|---|---|---|---|",
    ]
    for name, page in report["pages"].items():
        lines.append(
            f"| {name} | {page['n']:,} | {page['p50_ms']} ms | {page['p99_ms']} ms |"
            f" {page['max_ms']} ms | < {PAGE_P99_MS:g} ms |"
        )
    lines += [
        "",
        f"| interactions at {args.rate}/s | n | p50 | p99 (median of rounds) | max |",
        "|---|---|---|---|---|",
    ]
    for label, key, p99 in (
        ("alone", "interactions_alone", "interaction_p99_alone_ms"),
        (
            f"with {args.web_rate}/s per page",
            "interactions_with_web",
            "interaction_p99_with_web_ms",
        ),
    ):
        row = report[key]
        lines.append(
            f"| {label} | {row['n']:,} | {row['p50_ms']} ms | {report[p99]} ms"
            f" | {row['max_ms']} ms |"
        )
    lines += [
        "",
        f"Interaction p99 with the web load: {report['interaction_ratio']}x the p99 without"
        f" (target: within {RATIO}x). Agora's process used {report['agora_cores']['alone']}"
        f" cores with the interactions alone and {report['agora_cores']['with web']} with the"
        f" pages too (medians of rounds). Pages rendered (not answered from bytes kept):"
        f" {report['agora'].get('renders', '?')}. Failed interactions: {report['failed']};"
        " page errors:"
        f" {report['page_errors']}. {'All targets met.' if verdict(report) else 'Targets missed.'}",
        "",
    ]
    return "\n".join(lines)


def write_section(path: Path, text: str) -> None:
    current = path.read_text(encoding="utf-8") if path.exists() else ""
    if SECTION in current:
        head, _, rest = current.partition(SECTION)
        tail = rest.split("\n## ", 1)
        after = "\n## " + tail[1] if len(tail) == 2 else ""
        current = head.rstrip() + "\n\n" + text.rstrip() + "\n" + after
    else:
        current = current.rstrip() + "\n\n" + text.rstrip() + "\n"
    path.write_text(current, encoding="utf-8")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny database, low rates, no docs")
    parser.add_argument("--rate", type=int, default=None, help="interactions/s (200)")
    parser.add_argument("--web-rate", type=int, default=None, help="requests/s per page (200)")
    parser.add_argument("--seconds", type=float, default=None, help="per round (10)")
    parser.add_argument("--rounds", type=int, default=None, help="alternations (3)")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--no-docs", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--web-client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--base", default="", help=argparse.SUPPRESS)
    parser.add_argument("--slugs", default="", help=argparse.SUPPRESS)
    parser.add_argument("--offset", type=int, default=0, help=argparse.SUPPRESS)
    for name in ("--api-base", "--gateway", "--token", "--db"):
        parser.add_argument(name, default="", help=argparse.SUPPRESS)
    parser.add_argument("--guild-id", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    small = Sizes(initiatives=300, memberships=2_000, meetings=200, messages=20_000)
    args.sizes = small if args.quick else Sizes()
    args.rate = args.rate or (20 if args.quick else 200)
    args.web_rate = args.web_rate or (20 if args.quick else 200)
    args.seconds = args.seconds or (1.0 if args.quick else 10.0)
    args.rounds = args.rounds or (1 if args.quick else 3)
    if args.quick:
        args.users = min(args.users, 20)
        args.warmup = 0.5
        args.no_docs = True
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        asyncio.run(child(args))
        return 0
    if args.web_client:
        args.slug_list = Path(args.slugs).read_text(encoding="utf-8").split()
        asyncio.run(web_client(args))
        return 0
    before = [round(x, 2) for x in _procstat.load_average()]
    report = asyncio.run(run(args))
    report["meta"] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "sizes": (
            f"{args.sizes.initiatives:,} initiatives, {args.sizes.memberships:,} memberships,"
            f" {args.sizes.meetings:,} meetings"
        ),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_before": before,
        "loadavg_after": [round(x, 2) for x in _procstat.load_average()],
    }
    report["targets_met"] = verdict(report)
    if not args.no_docs:
        write_section(DOCS, markdown(report, args))
    with contextlib.suppress(BrokenPipeError):
        print(json.dumps(report, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
