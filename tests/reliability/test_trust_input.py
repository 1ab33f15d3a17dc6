"""Hostile input, refused or defused: import files built to break the parser, names
that look like another's, and links whose title lies about where they go.

Everything runs through the sandbox with the real client and a real SQLite file:
the files are attachments of ``/admin import``, names and links are typed by members.
"""

from __future__ import annotations

import json
import re
import tomllib

from bot.runtime import RunningAgora
from discord_sandbox import Sandbox

HUMBLE = "humble-lamppost"
CLUSTER = "integrated-infrastructures-processes"


def _initiative(slug: str, name: str, **extra: object) -> dict[str, object]:
    return {"slug": slug, "name": name, "cluster": CLUSTER, **extra}


async def _export(sandbox: Sandbox) -> object:
    exported = await sandbox.user("admin").slash("admin export")
    return tomllib.loads(exported.attachments[0].data.decode("utf-8"))


async def _refused(sandbox: Sandbox, filename: str, data: bytes) -> str:
    """Import ``data``; assert it was refused as a whole, with a reason and no error id."""
    before = await _export(sandbox)
    result = await sandbox.user("admin").slash("admin import", file=(filename, data))
    assert result.ephemeral, result.text
    assert "error id" not in result.text.lower() and "went wrong" not in result.text.lower()
    assert await _export(sandbox) == before  # nothing changed
    return result.text


# --------------------------------------------------------------------------- import files


async def test_a_json_key_given_twice_is_refused_not_silently_the_last(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    # json.loads keeps the last "name": this file would have renamed Humble Lamppost.
    data = (
        '{"format_version": 1, "initiatives": [{"slug": "humble-lamppost", '
        '"name": "Humble Lamppost", "cluster": "' + CLUSTER + '", "name": "Renamed"}]}'
    ).encode()
    text = await _refused(sandbox, "directory.json", data)
    assert "'name' twice" in text and "humble-lamppost" in text, text
    info = await sandbox.user("alice").slash("initiative info", initiative=HUMBLE)
    assert info.embed is not None and info.embed["title"] == "Humble Lamppost"


async def test_deeply_nested_files_are_refused_with_the_limit(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    deep_json = (
        '{"format_version": 1, "initiatives": [{"slug": "x", "goal": '
        + "[" * 50_000
        + "]" * 50_000
        + "}]}"
    )
    deep_toml = "format_version = 1\n[[initiatives]]\nslug = 'x'\ngoal = " + "[" * 5_000
    deep_toml += "]" * 5_000 + "\n"
    # Deep, but not deep enough to exhaust the parser: refused by the nesting check.
    shallow_json = json.dumps(
        {"format_version": 1, "initiatives": [_initiative("x", "X", goal=[[[[[[[[1]]]]]]]])]}
    )
    for filename, data in (
        ("deep.json", deep_json),
        ("deep.toml", deep_toml),
        ("nested.json", shallow_json),
    ):
        text = await _refused(sandbox, filename, data.encode())
        assert "more than 8 levels deep" in text, (filename, text)


async def test_huge_numbers_are_refused_with_the_row_and_key(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    admin = sandbox.user("admin")
    # Too long for Python to read at all: the whole file is refused.
    endless = (
        '{"format_version": 1, "initiatives": [{"slug": "humble-lamppost", '
        '"source_counts": {"members": ' + "9" * 5_000 + "}}]}"
    )
    text = await _refused(sandbox, "big.json", endless.encode())
    assert "thousands of digits" in text, text

    # Readable but beyond SQLite's 64-bit integers (and beyond any real count): the row
    # is rejected with its key, the others are imported.
    for filename, data in (
        (
            "big.toml",
            f"format_version = 1\n[[initiatives]]\nslug = 'big-count'\nname = 'Big Count'\n"
            f"cluster = '{CLUSTER}'\n[initiatives.source_counts]\nmembers = {10**30}\n",
        ),
        (
            "big.json",
            json.dumps(
                {
                    "format_version": 1,
                    "initiatives": [
                        _initiative("big-count", "Big Count", source_counts={"members": 10**30}),
                        _initiative("fine-count", "Fine Count", source_counts={"members": 12}),
                    ],
                }
            ),
        ),
    ):
        result = await admin.slash("admin import", file=(filename, data.encode()))
        assert result.ephemeral and "error id" not in result.text.lower(), result.text
        assert "1 rejected" in result.text, result.text
        assert "initiative #1 `big-count`: source_counts.members is" in result.text
        assert "above 1,000,000" in result.text
    directory = await _export(sandbox)
    assert isinstance(directory, dict)
    slugs = {row["slug"] for row in directory["initiatives"]}
    assert "fine-count" in slugs and "big-count" not in slugs


# --------------------------------------------------------------------------- look-alike names


async def test_names_that_look_like_another_are_refused(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    admin = sandbox.user("admin")
    first = {"format_version": 1, "initiatives": [_initiative("cafe-lab", "Café Lab")]}
    added = await admin.slash("admin import", file=("one.json", json.dumps(first).encode()))
    assert "1 added" in added.text, added.text

    impostors = [
        _initiative("cafe-lab-nfd", "Cafe\u0301 Lab"),  # decomposed é
        _initiative("cafe-lab-cyrillic", "C\u0430f\u00e9 Lab"),  # Cyrillic а
        _initiative("cafe-lab-wide", "\uff23\uff41\uff46\u00e9 \uff2c\uff41\uff42"),  # full width
        _initiative("cafe-lab-digit", "Café 1ab"),  # digit one for l
        _initiative("humble-twin", "Humble Lamppost\u200b"),  # zero-width space
        _initiative("humble-rtl", "Humble \u202eLamppost"),  # right-to-left override
    ]
    document = {"format_version": 1, "initiatives": impostors}
    result = await admin.slash("admin import", file=("two.json", json.dumps(document).encode()))
    text = result.text
    assert "0 added" in text and "6 rejected" in text, text
    lines = {slug: line for line in text.splitlines() for slug in re.findall(r"`([a-z-]+)`", line)}
    # Stored NFKC-normalised, the decomposed and full-width spellings are the same name.
    for slug in ("cafe-lab-nfd", "cafe-lab-wide"):
        assert "the name 'Café Lab' is already used by initiative `cafe-lab`" in lines[slug]
    for slug in ("cafe-lab-cyrillic", "cafe-lab-digit"):
        assert "looks the same as 'Café Lab' (initiative `cafe-lab`)" in lines[slug], text
    assert "invisible character (U+200B ZERO WIDTH SPACE)" in text, text
    assert "invisible character (U+202E RIGHT-TO-LEFT OVERRIDE)" in text, text

    directory = await _export(sandbox)
    assert isinstance(directory, dict)
    looks = [row["name"] for row in directory["initiatives"] if "caf" in row["slug"]]
    assert looks == ["Café Lab"]


async def test_a_zero_width_impostor_does_not_rank_first(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    admin, alice = sandbox.user("admin"), sandbox.user("alice")
    # Zero-width characters where a space or nothing shows: each reads "Humble Lamppost"
    # (or nearly); before they were refused, one could outrank the real initiative.
    impostors = [
        _initiative(f"humble-{n}", name, goal="Humble Lamppost")
        for n, name in enumerate(
            (
                "Humble\u200bLamppost",
                "\u200bHumble Lamppost",
                "Humble Lamppost\u2060",
                "Humble \u200dLamppost",
            )
        )
    ]
    document = {"format_version": 1, "initiatives": impostors}
    result = await admin.slash("admin import", file=("imp.json", json.dumps(document).encode()))
    assert "4 rejected" in result.text, result.text

    for typed in ("Humble Lamppost", "humble lamp", "Humble\u200bLamppost"):
        choices = await alice.autocomplete("initiative info", "initiative", typed)
        assert choices and choices[0]["value"] == HUMBLE, (typed, choices)
        assert all(c["value"] == HUMBLE or "humble-" not in c["value"] for c in choices)
    found = await alice.slash("initiative search", query="Humble Lamppost")
    assert found.embed is not None
    # Before, "Humble Lamppost\u2060" (a word joiner) with a shorter goal came first.
    assert found.embed["description"].startswith("**Humble Lamppost** ·"), found.embed
    # Typed with a Cyrillic а, the real initiative is still found first.
    choices = await alice.autocomplete("initiative info", "initiative", "Humble L\u0430mppost")
    assert choices and choices[0]["value"] == HUMBLE, choices


# --------------------------------------------------------------------------- link text


async def test_a_link_titled_like_another_url_shows_where_it_really_goes(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    alice, bob = sandbox.user("alice"), sandbox.user("bob")
    await alice.slash("initiative join", initiative=HUMBLE)
    added = await alice.slash(
        "initiative doc add",
        initiative=HUMBLE,
        title="https://good.example/report.pdf",
        url="https://evil.example/phish",
    )
    assert added.embed is not None and not added.ephemeral
    assert "url" not in added.embed  # the title text is not itself a link
    description = added.embed["description"]
    assert (
        "[https\\:\\/\\/good.example/report.pdf](https://evil.example/phish) (evil.example)"
        in description
    )

    # Markdown in a title stays text: no second link, no code, no emphasis.
    await alice.slash(
        "initiative project add",
        initiative=HUMBLE,
        title="[Report](https://good.example) `x` **y**",
        url="https://good.example@evil.example/p",
    )
    docs = await bob.slash("initiative doc list", initiative=HUMBLE)
    assert docs.embed is not None
    listed = docs.embed["description"]
    assert "(evil.example)" in listed
    assert "](https://good.example" not in listed  # the title's URL is not a link target
    assert not re.search(r"(?<!\\)https://good", listed), listed  # nor auto-linked

    projects = await bob.slash("initiative project list", initiative=HUMBLE)
    assert projects.embed is not None
    line = projects.embed["description"]
    assert (
        "[(Report)(https\\:\\/\\/good.example) \\`x\\` \\*\\*y\\*\\*]"
        "(https://good.example@evil.example/p) (evil.example)"
    ) in line, line


async def test_invisible_characters_leave_typed_titles(
    sandbox: Sandbox, agora: RunningAgora
) -> None:
    alice = sandbox.user("alice")
    await alice.slash("initiative join", initiative=HUMBLE)
    # A right-to-left override would show "report.exe" reversed as "exe.troper"...
    added = await alice.slash(
        "initiative doc add",
        initiative=HUMBLE,
        title="Pilot \u202eexe.troper\u202c \u200bplan",
        url="https://example.org/plan.pdf",
    )
    assert added.embed is not None, added.text
    assert added.embed["title"] == "Pilot exe.troper plan"
    blank = await alice.slash(
        "initiative doc add", initiative=HUMBLE, title="\u200b\u2060", url="https://a.example"
    )
    assert blank.ephemeral and "title is empty" in blank.text
