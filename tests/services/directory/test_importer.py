"""Import/export: the seed, idempotency, updates in place, rejected rows, bad files, round trips."""

from __future__ import annotations

import json
import tomllib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.errors import InvalidInput
from bot.services.directory.importer import bundled_seed, parse_document
from tests.support.directory import ADMIN, GUILD, Core, open_core

HEADER = 'format_version = 1\n[[clusters]]\nslug = "c"\nname = "Cluster C"\n'


@pytest.fixture
async def core(database_url: str) -> AsyncIterator[Core]:
    async with open_core(database_url) as core:
        yield core


def seed() -> dict[str, Any]:
    return tomllib.loads(bundled_seed().decode("utf-8"))


def initiative(slug: str, **fields: Any) -> str:
    lines = [f'[[initiatives]]\nslug = "{slug}"']
    values = {"name": slug.replace("-", " ").title(), "cluster": "c", **fields}
    lines.extend(f"{key} = {json.dumps(value)}" for key, value in values.items())
    return "\n".join(lines) + "\n"


async def snapshot(core: Core) -> list[tuple[object, ...]]:
    rows = await core.store.db.fetch_all(
        "SELECT id, slug, name, goal, title_missing, goal_truncated, cluster_id, source_members,"
        " source_note, updated_at FROM initiatives ORDER BY id"
    )
    clusters = await core.store.db.fetch_all("SELECT * FROM clusters ORDER BY id")
    return [tuple(row) for row in rows] + [tuple(row) for row in clusters]


def test_the_seed_file_holds_the_eip_scc_directory() -> None:
    data = seed()
    assert data["format_version"] == 1
    assert [c["name"] for c in data["clusters"]] == [
        "Business Models, Finance and Procurement",
        "Citizen Focus",
        "Integrated Infrastructures and Processes",
        "Integrated Planning, Policy and Regulations",
        "Sustainable Districts and Built Environment",
        "Sustainable Urban Mobility",
    ]
    by_slug = {i["slug"]: i for i in data["initiatives"]}
    assert len(by_slug) == 9
    assert by_slug["humble-lamppost"]["source_counts"] == {
        "members": 18,
        "documents": 17,
        "projects": 0,
        "discussions": 9,
    }
    assert by_slug["urban-data-platform"]["goal"].endswith("competent urban data platfo")
    assert by_slug["urban-data-platform"]["goal_truncated"] is True
    assert by_slug["space4cities"]["goal"].endswith("(E")
    assert by_slug["space4cities"]["title_missing"] is True
    untitled = by_slug["citizen-tools-and-platforms"]
    assert untitled["title_missing"] is True and untitled["name"].startswith("Untitled:")
    assert untitled["goal"].startswith("Develop Tools and Platforms to make citizens central")
    assert by_slug["small-giants"]["goal"].startswith("identify and support 50 EU ‘Small Giant’")


async def test_importing_the_seed_twice_changes_nothing_the_second_time(core: Core) -> None:
    first = await core.importer.import_directory(GUILD, bundled_seed(), "eip-scc.toml")
    assert (len(first.added), len(first.rejected)) == (15, 0)
    before = await snapshot(core)
    core.clock.advance(days=1)
    second = await core.importer.import_directory(GUILD, bundled_seed(), "eip-scc.toml")
    assert (len(second.added), len(second.updated), len(second.unchanged)) == (0, 0, 15)
    assert not second.changed
    assert await snapshot(core) == before  # not even updated_at moved


async def test_a_changed_file_updates_in_place(core: Core) -> None:
    await core.seed()
    lamppost = await core.directory.get_initiative(GUILD, "humble-lamppost")
    await core.memberships.join(GUILD, 10, "humble-lamppost")
    data = seed()
    for row in data["initiatives"]:
        if row["slug"] == "humble-lamppost":
            row["goal"] = "20 Million Smart Lampposts"
            row["cluster"] = "sustainable-urban-mobility"
    report = await core.importer.import_directory(GUILD, json.dumps(data).encode(), "d.json")
    assert [(u.row.key, u.fields) for u in report.updated] == [
        ("humble-lamppost", ("cluster", "goal"))
    ]
    assert len(report.unchanged) == 14
    info = await core.directory.initiative_info(GUILD, "humble-lamppost")
    assert info.initiative.id == lamppost.id
    assert info.initiative.goal == "20 Million Smart Lampposts"
    assert info.cluster.slug == "sustainable-urban-mobility"
    assert info.counts.members == 1  # memberships stay with the same initiative


async def test_bad_rows_are_reported_and_good_rows_imported(core: Core) -> None:
    data = (
        HEADER
        + '[[clusters]]\nname = "No Slug"\n'
        + '[[clusters]]\nslug = "c"\nname = "Again"\n'
        + initiative("good-one")
        + initiative("unknown-cluster", cluster="nope")
        + '[[initiatives]]\nname = "Missing Slug"\ncluster = "c"\n'
        + initiative("good-one", name="Dup")
        + initiative("long-goal", goal="x" * 1001)
        + initiative("long-name", name="n" * 101)
        + initiative("Bad Slug")
        + initiative("typo-field", gaol="g")
        + initiative("bad-count").replace("\n", "\nsource_counts = { members = -1 }\n", 1)
        + initiative("same-name", name="Good One")
        + initiative("flag-text", title_missing="yes")
    ).encode()
    report = await core.importer.import_directory(GUILD, data, "dir.toml")
    assert [str(row) for row in report.added] == ["cluster #1 `c`", "initiative #1 `good-one`"]
    reasons = {str(r.row): r.reason for r in report.rejected}
    assert reasons == {
        "cluster #2 `No Slug`": "missing slug",
        "cluster #3 `c`": "duplicate slug (already used by cluster #1)",
        "initiative #2 `unknown-cluster`": "unknown cluster 'nope' (use the slug of a cluster in"
        " the file or on this server)",
        "initiative #3 `Missing Slug`": "missing slug",
        "initiative #4 `good-one`": "duplicate slug (already used by initiative #1)",
        "initiative #5 `long-goal`": "the goal is 1001 characters long; the limit is 1000",
        "initiative #6 `long-name`": "the name is 101 characters long; the limit is 100",
        "initiative #7 `Bad Slug`": "the slug `Bad Slug` must be lowercase letters and digits"
        " joined by single dashes, like `humble-lamppost`",
        "initiative #8 `typo-field`": "unknown field gaol (known: slug, name, cluster, goal,"
        " title_missing, goal_truncated, source_note, source_counts)",
        "initiative #9 `bad-count`": "source_counts.members must be a whole number >= 0, got -1",
        "initiative #10 `same-name`": "the name 'Good One' is already used by initiative"
        " `good-one`",
        "initiative #11 `flag-text`": "title_missing must be true or false, got 'yes'",
    }
    assert [i.slug for i in await core.directory.all_initiatives(GUILD)] == ["good-one"]
    assert "1 added" not in report.summary() and "2 added, 0 updated" in report.summary()
    assert any(line.startswith("Rejected initiative #5") for line in report.lines())


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"format_version = 1\n[[clusters]\n", "d.toml", "not valid TOML"),
        (b'{"format_version": 1,', "d.json", "not valid JSON: Expecting"),
        (b"[1, 2]", "d.json", "must hold a table"),
        (b'[clusters]\nslug = "a"\n', "d.toml", "no format_version"),
        (b"format_version = 2\n", "d.toml", "format_version 2; this Agora reads format_version 1"),
        (b'format_version = "1"\n', "d.toml", "format_version '1'"),
        (b"format_version = 1\nclusters = 3\n", "d.toml", "clusters must be a list"),
        (b"format_version = 1\ncomunity = 3\n", "d.toml", "unknown top-level keys: comunity"),
        (b"\xff\xfe", "d.toml", "not UTF-8"),
    ],
)
async def test_a_bad_file_changes_nothing(
    core: Core, data: bytes, filename: str, message: str
) -> None:
    await core.seed()
    before = await snapshot(core)
    with pytest.raises(InvalidInput) as caught:
        await core.importer.import_directory(GUILD, data, filename)
    assert message in caught.value.message
    assert await snapshot(core) == before


def test_toml_errors_say_where() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_document(b"format_version = 1\nname = \n", "x.toml")
    assert "line 2" in caught.value.message


def test_json_is_recognised_by_content_without_extension() -> None:
    assert parse_document(b'{"format_version": 1}', "upload")["format_version"] == 1


async def test_export_then_import_changes_nothing(core: Core) -> None:
    await core.seed()
    before = await snapshot(core)
    for fmt in ("toml", "json"):
        exported = await core.importer.export_directory(GUILD, fmt)  # type: ignore[arg-type]
        report = await core.importer.import_directory(GUILD, exported, f"export.{fmt}")
        assert not report.changed and not report.rejected
        assert len(report.unchanged) == 15
    assert await snapshot(core) == before


async def test_export_of_the_imported_seed_is_equivalent_to_the_seed(core: Core) -> None:
    await core.seed()
    exported = tomllib.loads((await core.importer.export_directory(GUILD)).decode("utf-8"))
    original = seed()
    assert exported["format_version"] == original["format_version"]
    assert exported["clusters"] == original["clusters"]
    by_slug = {row["slug"]: row for row in exported["initiatives"]}
    assert by_slug == {row["slug"]: row for row in original["initiatives"]}


async def test_export_escapes_awkward_text(core: Core) -> None:
    await core.importer.import_directory(GUILD, HEADER.encode(), "c.toml")
    await core.directory.create_initiative(
        GUILD, ADMIN, 'Quotes " and \\ back', "c", goal='line1\nline2\t"x" \x7f ü 😀'
    )
    exported = await core.importer.export_directory(GUILD)
    row = tomllib.loads(exported.decode("utf-8"))["initiatives"][0]
    assert row["name"] == 'Quotes " and \\ back'
    assert row["goal"] == 'line1\nline2\t"x" \x7f ü 😀'


async def test_rows_missing_from_the_file_are_kept_and_listed(core: Core) -> None:
    await core.seed()
    report = await core.importer.import_directory(
        GUILD, (HEADER + initiative("new-one")).encode(), "partial.toml"
    )
    assert "humble-lamppost" in report.not_in_file
    assert "citizen-focus" in report.not_in_file
    assert len(await core.directory.all_initiatives(GUILD)) == 10


async def test_two_initiatives_can_swap_names_in_one_import(core: Core) -> None:
    first = HEADER + initiative("a", name="Alpha") + initiative("b", name="Beta")
    await core.importer.import_directory(GUILD, first.encode(), "x.toml")
    swapped = HEADER + initiative("a", name="Beta") + initiative("b", name="Alpha")
    report = await core.importer.import_directory(GUILD, swapped.encode(), "x.toml")
    assert len(report.updated) == 2 and not report.rejected
    assert (await core.directory.get_initiative(GUILD, "Alpha")).slug == "b"
    assert (await core.directory.autocomplete(GUILD, "alph"))[0].value == "b"


async def test_a_name_taken_by_an_initiative_not_in_the_file_is_rejected(core: Core) -> None:
    await core.seed()
    data = HEADER + initiative("copycat", name="humble lamppost")
    report = await core.importer.import_directory(GUILD, data.encode(), "x.toml")
    assert [r.reason for r in report.rejected] == [
        "the name 'humble lamppost' is already used by initiative `humble-lamppost`"
    ]


async def test_initiatives_may_refer_to_clusters_by_name(core: Core) -> None:
    await core.seed()
    data = (
        'format_version = 1\n[[initiatives]]\nslug = "x"\nname = "X"\ncluster = "citizen focus"\n'
    )
    report = await core.importer.import_directory(GUILD, data.encode(), "x.toml")
    assert not report.rejected
    assert (await core.directory.initiative_info(GUILD, "x")).cluster.slug == "citizen-focus"


async def test_seed_is_loaded_only_into_an_empty_directory(core: Core, tmp_path: Path) -> None:
    path = tmp_path / "seed.toml"
    path.write_bytes(bundled_seed())
    report = await core.importer.import_seed_if_empty(GUILD, path)
    assert report is not None and len(report.added) == 15
    assert await core.importer.import_seed_if_empty(GUILD, path) is None
