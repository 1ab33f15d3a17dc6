"""The directory at the target scale: 10,000 initiatives and 100,000 memberships.

Checks correctness at scale and prints latencies (run with ``-s`` to see them)
as a micro-benchmark; it asserts no timings, which would make CI flaky. The
lead's ``bench/lookups.py`` measures end to end.
"""

from __future__ import annotations

import random
import statistics
import time
from pathlib import Path

from bot.storage.directory.models import ClusterDraft, InitiativeDraft
from bot.storage.directory.repository import DirectoryChanges
from tests.support.directory import GUILD, open_core

WORDS = (
    "smart city urban data platform mobility energy lamppost citizen district green water "
    "waste open innovation policy lab network european digital twin sensor grid transport "
    "procurement finance budget participatory health living climate resilient building solar"
).split()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


async def test_info_and_autocomplete_at_scale(tmp_path: Path) -> None:
    rng = random.Random(7)
    names: set[str] = set()
    while len(names) < 10_000:
        words = rng.sample(WORDS, rng.randint(2, 4))
        names.add(" ".join(word.title() for word in words) + f" {rng.randint(1, 99_999)}")
    ordered = sorted(names)
    async with open_core(tmp_path / "agora.db") as core:
        await core.seed()
        drafts = [
            InitiativeDraft(
                slug=f"i-{n}", name=name, cluster_slug="citizen-focus", goal=f"Goal of {name}"
            )
            for n, name in enumerate(ordered)
        ]
        await core.store.directory.apply(
            GUILD,
            DirectoryChanges(new_clusters=[ClusterDraft("x", "X")], new_initiatives=drafts),
            core.clock(),
        )
        rows = await core.store.db.fetch_all(
            "SELECT id FROM initiatives WHERE guild_id = ?", (GUILD,)
        )
        ids = [row[0] for row in rows]
        async with core.store.db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO memberships (guild_id, initiative_id, user_id, role, joined_at,"
                " join_reason) VALUES (?, ?, ?, 'member', '2026-01-01T00:00:00+00:00', 'joined')",
                [(GUILD, ids[n % len(ids)], 1_000_000 + n) for n in range(100_000)],
            )
        started = time.perf_counter()
        restarted = await core.restart()
        await restarted.cache.warm()
        load_seconds = time.perf_counter() - started

        target = ordered[1234]
        info = await restarted.directory.initiative_info(GUILD, target)
        assert info.initiative.name == target and info.counts.members >= 9
        typo = target.lower().replace("a", "", 1)
        assert (await restarted.directory.autocomplete(GUILD, "humble lampost"))[0].name == (
            "Humble Lamppost"
        )

        queries = [name[: rng.randint(1, 12)] for name in rng.sample(ordered, 300)]
        queries += [typo, "urbn data", "lampost", "smrt cty", "xyz", ""]
        autocomplete_ms: list[float] = []
        for query in queries:
            begin = time.perf_counter()
            choices = await restarted.directory.autocomplete(GUILD, query)
            autocomplete_ms.append((time.perf_counter() - begin) * 1000)
            assert len(choices) <= 25
        info_ms: list[float] = []
        for name in rng.sample(ordered, 500):
            begin = time.perf_counter()
            await restarted.directory.initiative_info(GUILD, name)
            info_ms.append((time.perf_counter() - begin) * 1000)
        print(
            f"\nload {load_seconds:.2f}s; autocomplete p50 {statistics.median(autocomplete_ms):.3f}"
            f" ms p99 {percentile(autocomplete_ms, 0.99):.3f} ms max {max(autocomplete_ms):.3f} ms;"
            f" info p50 {statistics.median(info_ms):.3f} ms p99 {percentile(info_ms, 0.99):.3f} ms"
        )
